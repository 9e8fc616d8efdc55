"""The pair finder: content hash, LSH candidates and exact verification, batch by batch.

:class:`PairFinder` turns a batch of new texts into verified pairs with
older ones (:class:`PairBatch`); the dedup stage (:mod:`.stage`) groups them
and writes them.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .config import DedupConfig, Relation, classify
from .fingerprint import Fingerprinter, Fingerprints, common_counts, overlap_arrays
from .lsh import LSHIndex

log = logging.getLogger(__name__)


@dataclass
class PairBatch:
    """What :meth:`PairFinder.add` learned about one batch.

    ``matches[key]`` lists ``(older key, relation)`` for every verified pair
    (a copy, or at least ``passage_containment`` contained); ``sets`` and
    ``hashes`` hold the shingle sets and content hashes it looked at.
    """

    fingerprints: Fingerprints
    matches: dict[int, list[tuple[int, Relation]]]
    sets: dict[int, np.ndarray]
    hashes: dict[int, str]
    n_candidates: int
    rows: dict[int, int] = field(default_factory=dict)  # key → its row in ``fingerprints``


class PairFinder:
    """Incremental pair finding: content hash, LSH candidates, exact verification.

    Keys are increasing integers (the store's ``seq``).  ``fetch`` returns
    ``{key: text}`` for older keys a batch's candidates point to.  The
    shingle sets it computes stay in a cache of at most ``cache_shingles``
    hashes (least recently used out), so an article that is a candidate of
    many later ones is fetched and shingled once; a finder that may have
    seen a rolled-back batch is dropped whole.
    """

    def __init__(self, config: DedupConfig, cache_shingles: int = 1 << 24) -> None:
        self.config = config
        self.fingerprinter = Fingerprinter(config.shingle_size, config.num_perm, config.seed)
        self.index = LSHIndex(config.lsh_params())
        self.hashes: dict[str, int] = {}
        self.cache_shingles = int(cache_shingles)
        self._sets: OrderedDict[int, tuple[np.ndarray, str]] = OrderedDict()
        self._held = 0

    def load(self, keys: Sequence[int], content_hashes: Sequence[str], signatures: Sequence[np.ndarray | None]) -> None:
        """Re-index stored fingerprints (in key order), e.g. in a new process."""
        ks, sigs = [], []
        for k, h, sig in zip(keys, content_hashes, signatures):
            if h and self.hashes.setdefault(h, k) != k:
                continue  # an exact copy: its original stands for it
            if sig is not None and len(sig) == self.config.num_perm:
                ks.append(k)
                sigs.append(sig)
        if ks:
            self.index.add(np.array(ks, dtype=np.int64), np.vstack(sigs))

    def add(self, keys: Sequence[int], texts: Sequence[str],
            fetch: Callable[[list[int]], dict[int, tuple[str, str]]]) -> PairBatch:
        """Fingerprint and index a batch; return its verified pairs with older keys.

        ``fetch(keys)`` gives ``{key: (text, content hash)}`` for stored keys.
        """
        cfg = self.config
        seqs = np.asarray(keys, dtype=np.int64)
        fps = self.fingerprinter.fingerprint(texts, keep_shingles=True)
        assert fps.shingles is not None
        hashes = {int(s): fps.content_hashes[i] for i, s in enumerate(seqs)}
        exact: dict[int, int] = {}
        lsh_rows = []
        for i, s in enumerate(seqs.tolist()):
            h = fps.content_hashes[i]
            if h and h in self.hashes:
                exact[s] = self.hashes[h]
                continue
            if h:
                self.hashes[h] = s
            if fps.has_signature[i]:
                lsh_rows.append(i)
        rows = np.array(lsh_rows, dtype=np.int64)
        cands = self.index.add_and_query(seqs[rows], fps.signatures[rows])
        batch = PairBatch(fps, {}, {}, hashes, len(cands), {int(s): i for i, s in enumerate(seqs.tolist())})
        # shingle sets only for the articles a pair involves (most have none)
        self.sets_for({*cands.query.tolist(), *cands.key.tolist()}, batch, fetch)
        sets = batch.sets
        matches = batch.matches
        for new, old in exact.items():
            matches.setdefault(new, []).append((old, Relation("exact", 1.0, 1.0, 1.0)))
        # exact overlap of every candidate pair: one pass per new article over its candidates' sets
        query, key = cands.query.tolist(), cands.key.tolist()
        inter = np.zeros(len(query), dtype=np.int64)
        na = np.zeros(len(query), dtype=np.int64)
        nb = np.array([sets[k].size for k in key], dtype=np.int64)
        q = cands.query
        runs = np.flatnonzero(np.r_[True, q[1:] != q[:-1], True]).tolist() if q.size else [0]
        for lo, hi in zip(runs[:-1], runs[1:]):
            mine = sets[query[lo]]
            inter[lo:hi] = common_counts(mine, [sets[k] for k in key[lo:hi]])
            na[lo:hi] = mine.size
        jac, cont = overlap_arrays(inter, na, nb)
        keep = (jac >= cfg.threshold) | (cont >= cfg.containment) | (cont >= cfg.passage_containment)
        idx = np.flatnonzero(keep)
        for i, j, c in zip(idx.tolist(), jac[idx].tolist(), cont[idx].tolist()):
            matches.setdefault(query[i], []).append((key[i], classify(j, c, False, cfg)))
        return batch

    def sets_for(self, keys: Iterable[int], batch: PairBatch,
                 fetch: Callable[[list[int]], dict[int, tuple[str, str]]]) -> None:
        """Fill ``batch.sets`` for ``keys``: the batch's own from its shingles, older ones cached or fetched."""
        shingles = batch.fingerprints.shingles
        assert shingles is not None
        older = []
        for k in keys:
            if k in batch.sets:
                continue
            i = batch.rows.get(k)
            if i is None:
                older.append(k)
                continue
            batch.sets[k] = sh = shingles.shingles(i)
            self._keep(k, sh, batch.hashes[k])
        self.fetch_sets(older, batch.sets, batch.hashes, fetch)

    def fetch_sets(self, keys: Iterable[int], sets: dict[int, np.ndarray], hashes: dict[int, str],
                   fetch: Callable[[list[int]], dict[int, tuple[str, str]]]) -> None:
        """Fill ``sets``/``hashes`` for ``keys`` not in them yet: cached, else re-shingled from stored texts."""
        missing = []
        for k in sorted(set(keys) - sets.keys()):
            hit = self._sets.get(k)
            if hit is None:
                missing.append(k)
            else:
                self._sets.move_to_end(k)
                sets[k], hashes[k] = hit
        if not missing:
            return
        got = fetch(missing)
        ks = list(got)
        for k, sh in zip(ks, self.fingerprinter.shingle_sets([got[k][0] for k in ks])):
            sets[k] = sh
            hashes[k] = got[k][1]
            self._keep(k, sh, hashes[k])

    def _keep(self, key: int, shingles: np.ndarray, content_hash: str) -> None:
        if key in self._sets or shingles.size > self.cache_shingles:
            return
        self._sets[key] = (shingles, content_hash)
        self._held += shingles.size
        while self._held > self.cache_shingles:
            _, (old, _) = self._sets.popitem(last=False)
            self._held -= old.size
