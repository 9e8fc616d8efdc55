"""LSH banding over MinHash signatures, as sorted numpy segments.

The index maps every ``(band, band hash)`` of every signature to an integer
key (the article's ``seq`` in the store).  It is a small log-structured
merge tree: each insert adds a sorted segment, and segments of similar size
are merged, so inserting ``n`` signatures costs ``O(n log n)`` in total and a
query is a binary search per segment.  Nothing but signatures is needed to
rebuild it, which is what a new process does from ``fingerprints.minhash``.

Candidates are pairs of keys that share at least one band; callers verify
them against the exact shingle sets before reporting anything.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

from .fingerprint import fmix64

log = logging.getLogger(__name__)

DEFAULT_TARGET_RECALL = 0.995


def check_threshold(name: str, value: float) -> float:
    """Return ``value`` as a float if it lies in (0, 1], else raise ValueError."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number in (0, 1], got {value!r}") from None
    if not (0.0 < v <= 1.0) or math.isnan(v):
        raise ValueError(f"{name} must be in (0, 1] (a share of shingles), got {value!r}")
    return v


def candidate_jaccard(jaccard: float, containment: float, min_ratio: float) -> float:
    """The lowest Jaccard a pair we must find can have.

    A near-duplicate has Jaccard ≥ ``jaccard``.  A reprint has containment
    ``c`` ≥ ``containment`` of the smaller set (size ratio ``r`` = small /
    large ≥ ``min_ratio``) in the larger, so its Jaccard is at least
    ``c·r / (1 + r − c·r)``.
    """
    c, r = containment, min_ratio
    return min(jaccard, c * r / (1 + r - c * r))


@dataclass(frozen=True)
class LSHParams:
    """``bands`` bands of ``rows`` signature values each."""

    num_perm: int
    bands: int
    rows: int

    def probability(self, j: float) -> float:
        """Probability that a pair with Jaccard ``j`` shares at least one band."""
        return 1.0 - (1.0 - j ** self.rows) ** self.bands

    @classmethod
    def for_threshold(cls, jaccard: float, num_perm: int,
                      target_recall: float = DEFAULT_TARGET_RECALL) -> "LSHParams":
        """The most selective banding that still finds a pair at ``jaccard``
        with probability ≥ ``target_recall``: the most rows per band (fewer
        false candidates), then the fewest bands (a smaller index)."""
        check_threshold("jaccard", jaccard)
        for rows in range(num_perm, 0, -1):
            p = jaccard ** rows
            if p >= 1.0:
                return cls(num_perm, 1, rows)
            if p <= 0.0:
                continue
            bands = math.ceil(math.log1p(-target_recall) / math.log1p(-p)) if p > 1e-12 else num_perm + 1
            if bands * rows <= num_perm:
                return cls(num_perm, max(bands, 1), rows)
        return cls(num_perm, num_perm, 1)


@dataclass
class Candidates:
    """Pairs ``(query[i], key[i])`` that share at least one band."""

    query: np.ndarray
    key: np.ndarray

    def __len__(self) -> int:
        return int(self.query.size)


class LSHIndex:
    """Banded LSH index from integer keys to MinHash signatures.

    ``max_bucket`` caps how many keys one band bucket returns (the oldest
    ones), so a template shared by thousands of articles cannot make a query
    quadratic; duplicate groups stay connected through the ones returned.
    """

    def __init__(self, params: LSHParams, max_bucket: int = 256) -> None:
        self.params = params
        self.max_bucket = int(max_bucket)
        self._segments: list[tuple[np.ndarray, np.ndarray]] = []
        salt = np.arange(1, params.bands + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        self._band_salt = salt
        rng = np.random.default_rng(0xBA4D)
        self._row_mult = rng.integers(0, 2**63, size=params.rows, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
        self._n = 0

    def __len__(self) -> int:
        return self._n

    @property
    def nbytes(self) -> int:
        return sum(h.nbytes + k.nbytes for h, k in self._segments)

    def band_hashes(self, sigs: np.ndarray) -> np.ndarray:
        """``(n, bands)`` uint64: one hash per band, distinct across bands."""
        p = self.params
        s = np.asarray(sigs, dtype=np.uint32)[:, : p.bands * p.rows].reshape(len(sigs), p.bands, p.rows)
        s = s.astype(np.uint64)
        if p.rows == 2:
            h = (s[:, :, 0] << np.uint64(32)) | s[:, :, 1]
        else:
            h = s[:, :, 0] * self._row_mult[0]
            for r in range(1, p.rows):
                h += s[:, :, r] * self._row_mult[r]
        h ^= self._band_salt[None, :]
        return fmix64(h)

    # ---------------------------------------------------------- writes
    def add(self, keys: np.ndarray, sigs: np.ndarray) -> None:
        """Index ``sigs[i]`` under ``keys[i]``."""
        keys = np.asarray(keys, dtype=np.int64)
        if keys.size == 0:
            return
        self._add_hashes(keys, self.band_hashes(sigs))

    def _add_hashes(self, keys: np.ndarray, bh: np.ndarray) -> None:
        order = np.argsort(bh.ravel(), kind="stable")
        self._add_sorted(bh.ravel()[order], keys[order // self.params.bands])

    def _add_sorted(self, flat: np.ndarray, k: np.ndarray) -> None:
        if k.size and (int(k.max()) >= 2**32 or int(k.min()) < 0):
            raise ValueError("LSH keys must lie in [0, 2**32)")
        self._segments.append((flat, k.astype(np.uint32)))  # 12 bytes per (band, article)
        self._n += flat.size // self.params.bands
        # merge while the previous segment is not much larger than the last
        while len(self._segments) >= 2 and self._segments[-2][0].size <= 2 * self._segments[-1][0].size:
            (h1, k1), (h2, k2) = self._segments[-2], self._segments[-1]
            h = np.concatenate([h1, h2])
            kk = np.concatenate([k1, k2])
            order = np.argsort(h, kind="stable")  # two sorted runs: a linear merge; older entries stay first
            self._segments[-2:] = [(h[order], kk[order])]

    # ----------------------------------------------------------- reads
    def query(self, sigs: np.ndarray) -> Candidates:
        """Keys sharing a band with each row of ``sigs`` (row index, key), unique."""
        if len(sigs) == 0:
            return Candidates(np.zeros(0, np.int64), np.zeros(0, np.int64))
        return self._query_hashes(self.band_hashes(sigs))

    def _query_hashes(self, bh: np.ndarray) -> Candidates:
        order = np.argsort(bh.ravel(), kind="stable")
        return self._query_sorted(bh.ravel()[order], order // bh.shape[1])

    def _query_sorted(self, flat: np.ndarray, row: np.ndarray) -> Candidates:
        """``flat``: sorted band hashes (sorted needles make the binary searches
        cache-friendly, several times faster); ``row``: the query row of each."""
        qs, ks = [], []
        for h, k in self._segments:
            # one binary search per needle; bucket sizes from the (rare) hits only
            lo = np.searchsorted(h, flat, side="left")
            hit = np.flatnonzero(h[np.minimum(lo, h.size - 1)] == flat)
            if hit.size == 0:
                continue
            lo = lo[hit]
            cnt = np.ones(hit.size, dtype=np.int64)
            grow = np.arange(hit.size)
            while grow.size:
                nxt = lo[grow] + cnt[grow]
                ok = (nxt < h.size) & (cnt[grow] < self.max_bucket)
                ok[ok] = h[nxt[ok]] == flat[hit[grow[ok]]]
                grow = grow[ok]
                cnt[grow] += 1
            total = int(cnt.sum())
            first = np.repeat(np.cumsum(cnt) - cnt, cnt)
            pos = np.repeat(lo, cnt) + (np.arange(total, dtype=np.int64) - first)
            qs.append(np.repeat(row[hit], cnt))
            ks.append(k[pos].astype(np.int64))
        if not qs:
            return Candidates(np.zeros(0, np.int64), np.zeros(0, np.int64))
        q = np.concatenate(qs)
        kk = np.concatenate(ks)
        # unique (row, key) pairs
        order = np.lexsort((kk, q))
        q, kk = q[order], kk[order]
        keep = np.ones(q.size, dtype=bool)
        keep[1:] = (q[1:] != q[:-1]) | (kk[1:] != kk[:-1])
        return Candidates(q[keep], kk[keep])

    def _batch_pairs(self, flat: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pairs ``(later key, earlier key)`` inside a batch: keys that share a run of equal
        hashes in the sorted ``flat``, the first ``max_bucket`` distinct keys of each run."""
        none = np.zeros(0, np.int64)
        same = flat[1:] == flat[:-1]
        if not same.any():
            return none, none
        run = np.cumsum(np.r_[True, ~same]) - 1
        multi = np.bincount(run)[run] >= 2
        run, ks = run[multi], keys[multi].astype(np.int64)
        order = np.lexsort((ks, run))
        run, ks = run[order], ks[order]
        keep = np.r_[True, (run[1:] != run[:-1]) | (ks[1:] != ks[:-1])]
        run, ks = run[keep], ks[keep]
        starts = np.flatnonzero(np.r_[True, run[1:] != run[:-1]])
        start = np.repeat(starts, np.diff(np.r_[starts, run.size]))
        rank = np.arange(run.size) - start  # position among the run's distinct keys, ascending
        ok = rank < self.max_bucket
        rank, start, later = rank[ok], start[ok], ks[ok]
        # each key pairs with every key before it in its run
        total = int(rank.sum())
        first = np.repeat(np.cumsum(rank) - rank, rank)
        earlier = ks[np.repeat(start, rank) + (np.arange(total, dtype=np.int64) - first)]
        return np.repeat(later, rank), earlier

    def add_and_query(self, keys: np.ndarray, sigs: np.ndarray) -> Candidates:
        """Index a batch and return its candidate pairs ``(new key, older key)``.

        "Older" means a smaller key: pairs inside the batch are found too,
        each once, oriented from the later key to the earlier one.
        """
        keys = np.asarray(keys, dtype=np.int64)
        if keys.size == 0:
            return Candidates(np.zeros(0, np.int64), np.zeros(0, np.int64))
        bh = self.band_hashes(sigs)
        order = np.argsort(bh.ravel(), kind="stable")
        flat, row = bh.ravel()[order], order // self.params.bands
        c = self._query_sorted(flat, row)  # against what is indexed already
        q_in, k_in = self._batch_pairs(flat, keys[row])
        q_new, k_old = [keys[c.query], q_in], [c.key, k_in]
        self._add_sorted(flat, keys[row])
        q = np.concatenate(q_new)
        k = np.concatenate(k_old)
        keep = k < q
        q, k = q[keep], k[keep]
        order = np.lexsort((k, q))
        q, k = q[order], k[order]
        uniq = np.ones(q.size, dtype=bool)
        uniq[1:] = (q[1:] != q[:-1]) | (k[1:] != k[:-1])
        return Candidates(q[uniq], k[uniq])


def estimated_jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> np.ndarray:
    """Row-wise share of equal signature values (the MinHash estimate)."""
    return (np.asarray(sig_a) == np.asarray(sig_b)).mean(axis=-1)
