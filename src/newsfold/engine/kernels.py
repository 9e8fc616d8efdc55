"""The mechanics of moving rows between partitions: hash partitions, Bloom-filter semi-joins and
connected components by large-star / small-star rounds (Kiveris et al. 2014), in numpy.

What happens to the rows inside a partition is the stages' own code
(:mod:`newsfold.dedup.partitions`, :mod:`newsfold.stories.windows`).
"""

from __future__ import annotations

import numpy as np

from ..dedup.fingerprint import fmix64
from ..dedup.partitions import unique_pairs


def partition_of(values: np.ndarray, n: int) -> np.ndarray:
    """A well-mixed partition number in ``[0, n)`` for each integer value."""
    h = np.asarray(values).astype(np.uint64, copy=True)
    return (fmix64(h) % np.uint64(n)).astype(np.int64)



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


