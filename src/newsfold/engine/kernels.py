"""Pure numpy steps of batch dedup, one partition at a time.

The distributed engine moves rows between partitions; these functions say
what happens inside one.  They call the dedup stage's own code
(:class:`~newsfold.dedup.fingerprint.Fingerprinter`, :meth:`LSHIndex.band_hashes`,
:func:`~newsfold.dedup.fingerprint.overlap`, :func:`~newsfold.dedup.config.classify`)
so that a pair is judged, and a group's canonical picked, exactly as the
local stage does it:

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

from ..dedup.config import DedupConfig, classify
from ..dedup.fingerprint import Fingerprinter, fmix64, overlap
from ..dedup.lsh import LSHIndex, LSHParams

KIND_CODES = {"exact": 1, "near-duplicate": 2, "reprint": 3}


@lru_cache(maxsize=8)
def _fingerprinter(shingle_size: int, num_perm: int, seed: int) -> Fingerprinter:
    return Fingerprinter(shingle_size, num_perm, seed)


@lru_cache(maxsize=8)
def _index(params: LSHParams, max_bucket: int) -> LSHIndex:
    return LSHIndex(params, max_bucket)


def fingerprinter(config: DedupConfig) -> Fingerprinter:
    return _fingerprinter(config.shingle_size, config.num_perm, config.seed)


def partition_of(values: np.ndarray, n: int) -> np.ndarray:
    """A well-mixed partition number in ``[0, n)`` for each integer value."""
    h = np.asarray(values).astype(np.uint64, copy=True)
    return (fmix64(h) % np.uint64(n)).astype(np.int64)


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


# ------------------------------------------------------------- semi-joins
BLOOM_HASHES = 7


def bloom_size(n_keys: int) -> int:
    """Bits for about 1% false positives at ``n_keys`` keys (a multiple of 8)."""
    return max(1 << 16, (10 * int(n_keys) + 7) // 8 * 8)


def _bloom_positions(keys: np.ndarray, m: int) -> np.ndarray:
    k = np.asarray(keys, dtype=np.int64).astype(np.uint64)
    out = np.empty((BLOOM_HASHES, k.size), dtype=np.int64)
    for i in range(BLOOM_HASHES):
        h = k * np.uint64(2 * i + 1) + np.uint64((0x9E3779B97F4A7C15 * (i + 1)) & 0xFFFFFFFFFFFFFFFF)
        out[i] = (fmix64(h) % np.uint64(m)).astype(np.int64)
    return out


def bloom_bits(keys: np.ndarray, m: int) -> np.ndarray:
    """A Bloom filter of ``keys`` in ``m`` bits, packed (filters of the same size merge by OR)."""
    bits = np.zeros(m, dtype=bool)
    bits[_bloom_positions(keys, m).ravel()] = True
    return np.packbits(bits)


def bloom_contains(keys: np.ndarray, packed: np.ndarray, m: int) -> np.ndarray:
    """True for every key that may be in the filter (never False for one that is)."""
    bits = np.unpackbits(packed, count=m).astype(bool)
    return bits[_bloom_positions(keys, m)].all(axis=0)


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
    """Indices of the pairs whose passages the stage records: per later article, its
    ``max_sources`` most contained earlier matches (ties: the earlier key first)."""
    if new.size == 0:
        return np.zeros(0, np.int64)
    order = np.lexsort((old, -cont, new))
    n_sorted = new[order]
    start = np.ones(n_sorted.size, dtype=bool)
    start[1:] = n_sorted[1:] != n_sorted[:-1]
    first = np.flatnonzero(start)[np.cumsum(start) - 1]
    rank = np.arange(n_sorted.size) - first
    return order[rank < max_sources]


# ---------------------------------------------------- connected components
def _group_min(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort by ``a``; per row, the minimum of its ``a`` group over ``{a} ∪ b``."""
    order = np.argsort(a, kind="stable")
    a, b = a[order], b[order]
    start = np.ones(a.size, dtype=bool)
    start[1:] = a[1:] != a[:-1]
    starts = np.flatnonzero(start)
    m = np.minimum(np.minimum.reduceat(b, starts), a[starts])
    return a, b, m[np.cumsum(start) - 1]


def large_star(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One large-star step (Kiveris et al. 2014) on the edges whose ``a`` is in this partition.

    ``(a, b)`` holds both directions of every edge.  Each node links its
    larger neighbours to the smallest node of its closed neighbourhood.
    """
    if a.size == 0:
        return a, b
    a, b, m = _group_min(np.asarray(a, np.int64), np.asarray(b, np.int64))
    keep = b > a
    return unique_pairs(b[keep], m[keep])


def small_star(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One small-star step on edges oriented ``a > b`` whose ``a`` is in this partition.

    Each node links itself and its smaller neighbours to the smallest of them.
    """
    if a.size == 0:
        return a, b
    a, b, m = _group_min(np.asarray(a, np.int64), np.asarray(b, np.int64))
    u = np.concatenate([b, a])
    v = np.concatenate([m, m])
    keep = u != v
    return unique_pairs(u[keep], v[keep])


def edge_digest(a: np.ndarray, b: np.ndarray) -> int:
    """An order-free digest of an edge set (equal sets, equal digests)."""
    if a.size == 0:
        return 0
    h = np.asarray(a, np.int64).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) + np.asarray(b, np.int64).astype(np.uint64)
    fmix64(h)
    return int((h & np.uint64(0xFFFFFFFF)).sum())


# ------------------------------------------------------------- the groups
@dataclass
class LinkRows:
    """Duplicate links, column-wise."""

    article_id: list[str]
    canonical_id: list[str]
    kind: list[str]
    similarity: list[float]


def component_links(comp: np.ndarray, keys: np.ndarray, ids: np.ndarray, texts: np.ndarray,
                    published: np.ndarray, config: DedupConfig) -> LinkRows:
    """Canonical and links of every component whose members are all in these rows."""
    out = LinkRows([], [], [], [])
    if keys.size == 0:
        return out
    # the stage's own fingerprint call, so n_shingles and content hashes are what it stores
    fps = fingerprinter(config).fingerprint([t or "" for t in texts.tolist()], keep_shingles=True)
    assert fps.shingles is not None
    sets = [fps.shingles.shingles(i) for i in range(len(keys))]
    n_sh = fps.n_shingles
    chash = fps.content_hashes
    order = np.lexsort((keys, comp))
    comp_s = comp[order]
    bounds = np.flatnonzero(np.r_[True, comp_s[1:] != comp_s[:-1], True])
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        rows = order[lo:hi].tolist()

        def ckey(i: int) -> tuple[int, str, int, int]:
            p = published[i]
            return (0 if p else 1, p or "", -int(n_sh[i]), int(keys[i]))

        best = min(rows, key=ckey)
        for i in rows:
            if i == best:
                continue
            jac, cont = overlap(sets[i], sets[best])
            same = bool(chash[i]) and chash[i] == chash[best]
            rel = classify(jac, cont, same, config)
            out.article_id.append(str(ids[i]))
            out.canonical_id.append(str(ids[best]))
            out.kind.append(rel.kind or "reprint")
            out.similarity.append(rel.similarity)
    return out
