"""Stage 2, dedup: fingerprints (:mod:`.fingerprint`), LSH candidates (:mod:`.lsh`), the stage
(:mod:`.stage`) and re-used passages (:mod:`.passages`)."""
