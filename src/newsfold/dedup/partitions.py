"""The dedup stage's steps for one partition of a corpus, as a batch engine runs them.

The engines move rows between partitions; these functions say what happens
inside one.  They call the dedup stage's own code
(:class:`~newsfold.dedup.fingerprint.Fingerprinter`, :meth:`LSHIndex.band_hashes`,
:func:`~newsfold.dedup.fingerprint.overlap`, :func:`~newsfold.dedup.config.classify`,
:func:`~newsfold.dedup.config.canonical_key`, :func:`~newsfold.dedup.config.pick_sources`)
so that a pair is judged, a group's canonical and an article's passage
sources picked, exactly as the local stage does it:

* exact copies: articles with the same normalized-content hash link to the
  first one (the smallest key); only that one enters LSH;
* candidates: every pair sharing a band bucket, each later member paired
  with the first ``max_bucket`` members (the local index returns the oldest
  ``max_bucket`` keys of a bucket; the two agree whenever no bucket is
  larger than that);
* groups: connected components of the verified copy pairs (the local stage
  merges the groups of everything an article matches, which gives the same
  components); the canonical is the earliest published, else the one with
  most shingles, else the first; every member links to it with the relation
  measured against it (``reprint`` when it only joined through another
  member).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..models import DupLink
from .fingerprint import Fingerprinter, overlap
from .lsh import LSHIndex, LSHParams
from .config import DedupConfig, canonical_key, classify, pick_sources

KIND_CODES = {"exact": 1, "near-duplicate": 2, "reprint": 3}


@lru_cache(maxsize=8)
def _fingerprinter(shingle_size: int, num_perm: int, seed: int) -> Fingerprinter:
    return Fingerprinter(shingle_size, num_perm, seed)


@lru_cache(maxsize=8)
def _index(params: LSHParams, max_bucket: int) -> LSHIndex:
    return LSHIndex(params, max_bucket)


def fingerprinter(config: DedupConfig) -> Fingerprinter:
    return _fingerprinter(config.shingle_size, config.num_perm, config.seed)


# ------------------------------------------------------------ fingerprints
@dataclass
class FingerprintRows:
    """Fingerprints of a batch, column-wise (what the stage stores per article)."""

    content_hash: np.ndarray  # str objects, "" when the text has no words
    n_shingles: np.ndarray
    has_signature: np.ndarray
    signature: np.ndarray  # (n, num_perm) uint32


def fingerprint_texts(texts: list[str], config: DedupConfig) -> FingerprintRows:
    """The same fingerprints :class:`~newsfold.dedup.pairs.PairFinder` computes."""
    fps = fingerprinter(config).fingerprint(texts, keep_shingles=True)
    return FingerprintRows(np.array(fps.content_hashes, dtype=object), fps.n_shingles.astype(np.int64),
                           fps.has_signature.astype(bool), fps.signatures)


# ------------------------------------------------------------ exact copies
def first_of_hash(keys: np.ndarray, hashes: np.ndarray) -> np.ndarray:
    """For each row, the smallest key with the same content hash."""
    keys = np.asarray(keys, dtype=np.int64)
    if keys.size == 0:
        return keys
    order = np.lexsort((keys, hashes.astype(str)))
    h = hashes[order]
    start = np.ones(h.size, dtype=bool)
    start[1:] = h[1:] != h[:-1]
    run = np.cumsum(start) - 1
    first = keys[order][np.flatnonzero(start)][run]
    out = np.empty_like(keys)
    out[order] = first
    return out


# --------------------------------------------------------------- LSH bands
def band_rows(keys: np.ndarray, signatures: np.ndarray, config: DedupConfig,
              max_bucket: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """``(band hash, key)`` for every band of every signature."""
    index = _index(config.lsh_params(), max_bucket)
    bh = index.band_hashes(np.asarray(signatures, dtype=np.uint32))
    return bh.ravel(), np.repeat(np.asarray(keys, dtype=np.int64), bh.shape[1])


def bucket_pairs(band_hash: np.ndarray, keys: np.ndarray, max_bucket: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """``(later key, earlier key)`` of every pair sharing a bucket, unique.

    Each member of a bucket is paired with the first ``max_bucket`` members
    before it.
    """
    if keys.size < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    order = np.lexsort((keys, band_hash))
    h, k = band_hash[order], keys[order]
    keep = np.ones(k.size, dtype=bool)
    keep[1:] = (h[1:] != h[:-1]) | (k[1:] != k[:-1])
    h, k = h[keep], k[keep]
    start = np.ones(h.size, dtype=bool)
    start[1:] = h[1:] != h[:-1]
    run_start = np.flatnonzero(start)
    first = run_start[np.cumsum(start) - 1]
    pos = np.arange(h.size) - first  # position inside the bucket
    cnt = np.minimum(pos, max_bucket)
    total = int(cnt.sum())
    if total == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    idx = np.repeat(np.arange(h.size), cnt)
    within = np.arange(total) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    return unique_pairs(k[idx], k[first[idx] + within])


def unique_pairs(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique ``(a, b)`` rows, sorted."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    if a.size == 0:
        return a, b
    order = np.lexsort((b, a))
    a, b = a[order], b[order]
    keep = np.ones(a.size, dtype=bool)
    keep[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    return a[keep], b[keep]


# ------------------------------------------------------------ verification
def verify_pairs(new: np.ndarray, old: np.ndarray, text_new: np.ndarray, text_old: np.ndarray,
                 config: DedupConfig) -> tuple[np.ndarray, np.ndarray]:
    """The relation code (0: not a copy) and the containment of each candidate pair, on exact shingle sets."""
    fp = fingerprinter(config)
    texts: dict[int, str] = {}
    for k, t in zip(new.tolist(), text_new.tolist()):
        texts[k] = t
    for k, t in zip(old.tolist(), text_old.tolist()):
        texts[k] = t
    ks = list(texts)
    sets = dict(zip(ks, fp.shingle_sets([texts[k] or "" for k in ks])))
    out = np.zeros(new.size, dtype=np.int8)
    conts = np.zeros(new.size, dtype=np.float64)
    for i, (a, b) in enumerate(zip(new.tolist(), old.tolist())):
        jac, cont = overlap(sets[a], sets[b])
        rel = classify(jac, cont, False, config)
        conts[i] = cont
        if rel.kind is not None:
            out[i] = KIND_CODES[rel.kind]
    return out, conts


def passage_sources(new: np.ndarray, old: np.ndarray, cont: np.ndarray, max_sources: int) -> np.ndarray:
    """Indices of the pairs ``(new, old)`` whose passages the stage records (:func:`pick_sources` per new key)."""
    by_new: dict[int, list[tuple[int, float]]] = {}
    for i, (n, c) in enumerate(zip(new.tolist(), cont.tolist())):
        by_new.setdefault(n, []).append((i, c))
    olds = old.tolist()
    out = []
    for rows in by_new.values():
        at = {olds[i]: i for i, _ in rows}
        out += [at[o] for o in pick_sources([(olds[i], c) for i, c in rows], max_sources)]
    return np.array(sorted(out), dtype=np.int64)


def component_links(comp: np.ndarray, keys: np.ndarray, ids: np.ndarray, texts: np.ndarray,
                    published: np.ndarray, config: DedupConfig) -> list[DupLink]:
    """Canonical and links of every component whose members are all in these rows."""
    out: list[DupLink] = []
    if keys.size == 0:
        return out
    # the stage's own fingerprint call, so n_shingles and content hashes are what it stores
    fps = fingerprinter(config).fingerprint([t or "" for t in texts.tolist()], keep_shingles=True)
    assert fps.shingles is not None
    chash = fps.content_hashes
    order = np.lexsort((keys, comp))
    comp_s = comp[order]
    bounds = np.flatnonzero(np.r_[True, comp_s[1:] != comp_s[:-1], True])
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        rows = order[lo:hi].tolist()
        best = min(rows, key=lambda i: canonical_key(published[i], fps.n_shingles[i], keys[i]))
        for i in rows:
            if i == best:
                continue
            jac, cont = overlap(fps.shingles.shingles(i), fps.shingles.shingles(best))
            rel = classify(jac, cont, bool(chash[i]) and chash[i] == chash[best], config)
            out.append(DupLink(str(ids[i]), str(ids[best]), rel.kind or "reprint", rel.similarity))
    return out
