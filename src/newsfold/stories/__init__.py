"""Stage 3, stories: article vectors (:mod:`.represent`), the fold decision and clustering
(:mod:`.cluster`), and the online stage with its batch refold (:mod:`.stage`)."""
