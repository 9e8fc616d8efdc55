"""Sentence selection as budgeted submodular maximisation (Lin & Bilmes, 2011).

The objective over a set S of sentences, for the ground set V of all the
story's sentences with pairwise similarities w_ij, is

    F(S) = sum_i omega_i * min(C_i(S), alpha * C_i(V))  +  lambda * sum_k sqrt(sum_{j in S ∩ P_k} r_j)

* coverage: C_i(S) = sum_{j in S} w_ij is how well S covers sentence i; it
  saturates at a share alpha = a / N of what the whole story gives it, so a
  second sentence saying the same thing earns little (omega_i weights
  sentences near the start of their article a little higher, as news puts
  the essentials first);
* diversity: the sentences are partitioned by k-means (P_k) and each part's
  reward grows with the square root of the importance r_j of the sentences
  taken from it, so S spreads over the story's sub-topics.

Both terms are monotone submodular.  Under a word budget B, the modified
greedy of Lin & Bilmes (2010) adds the sentence with the best gain per
cost^r and finally compares with the best single sentence; with r = 1 that
is a (1 - 1/sqrt(e))-approximation.  We run it with r = 1 and with the
scaled r (0.3, better in practice) and keep the set with the higher F, so
the answer keeps the guarantee.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

log = logging.getLogger(__name__)


class SubmodularSelector:
    """Pick sentences that cover the story without repeating it, within ``max_words``.

    Parameters follow Lin & Bilmes (2011): ``a`` (coverage saturation
    alpha = a / N), ``lam`` (weight of diversity), ``cluster_ratio`` (k-means
    parts = ratio * N), ``scale`` (the r of the cost scaling), and
    ``position_weight`` (how much more a lead sentence counts as a coverage
    target).  ``fit(W, costs, candidates, positions)`` sets ``selected_``
    (indices, in the order chosen), ``objective_`` and ``parts_``.
    """

    def __init__(self, max_words: int = 100, *, a: float = 5.0, lam: float = 6.0, cluster_ratio: float = 0.2,
                 scale: float = 0.3, position_weight: float = 1.0, random_state: int = 0) -> None:
        self.max_words = max_words
        self.a = a
        self.lam = lam
        self.cluster_ratio = cluster_ratio
        self.scale = scale
        self.position_weight = position_weight
        self.random_state = random_state

    # ------------------------------------------------------------ fit
    def fit(self, W: np.ndarray, costs: Sequence[int], candidates: Sequence[int],
            positions: Sequence[int] | None = None, X: object | None = None) -> "SubmodularSelector":
        """``W``: N×N similarities; ``costs``: words per sentence; ``candidates``: indices that may be chosen."""
        n = W.shape[0]
        costs_ = np.asarray(costs, dtype=np.float64)
        cand = np.asarray([c for c in candidates if 0 < costs_[c] <= self.max_words], dtype=np.int64)
        self.selected_: list[int] = []
        self.objective_ = 0.0
        self.parts_ = np.zeros(n, dtype=np.int64)
        if n == 0 or cand.size == 0:
            return self
        W = np.clip(W, 0.0, None)
        pos = np.asarray(positions if positions is not None else np.zeros(n), dtype=np.float64)
        self.omega_ = 1.0 + self.position_weight / (1.0 + pos)
        self.cap_ = (self.a / n) * W.sum(axis=1)
        self.r_ = W.sum(axis=0) / n
        self.parts_ = self._partition(W, X, n)
        best_set, best_val = [], -1.0
        for r in sorted({1.0, float(self.scale)}):
            chosen = self._greedy(W, costs_, cand, r)
            val = self._value(W, chosen)
            log.debug("greedy r=%.2f: %d sentences, F=%.4f", r, len(chosen), val)
            if val > best_val + 1e-12:
                best_set, best_val = chosen, val
        self.selected_ = best_set
        self.objective_ = best_val
        return self

    def _partition(self, W: np.ndarray, X: object | None, n: int) -> np.ndarray:
        k = max(1, int(round(self.cluster_ratio * n)))
        if k <= 1 or n <= 2:
            return np.zeros(n, dtype=np.int64)
        if k >= n:
            return np.arange(n, dtype=np.int64)
        from sklearn.cluster import KMeans

        data = X if X is not None else W
        km = KMeans(n_clusters=k, n_init=1, random_state=self.random_state, max_iter=50)
        return km.fit_predict(data).astype(np.int64)

    def _value(self, W: np.ndarray, chosen: Sequence[int]) -> float:
        if not chosen:
            return 0.0
        idx = np.asarray(chosen)
        cov = np.minimum(W[:, idx].sum(axis=1), self.cap_)
        part_sums = np.bincount(self.parts_[idx], weights=self.r_[idx], minlength=int(self.parts_.max()) + 1)
        return float((self.omega_ * cov).sum() + self.lam * np.sqrt(part_sums).sum())

    def _greedy(self, W: np.ndarray, costs: np.ndarray, cand: np.ndarray, r: float) -> list[int]:
        n_parts = int(self.parts_.max()) + 1
        C = np.zeros(W.shape[0])
        part_sums = np.zeros(n_parts)
        remaining = list(cand)
        chosen: list[int] = []
        spent = 0.0
        while remaining:
            rem = np.asarray(remaining)
            gains = self._gains(W, C, part_sums, rem)
            ratio = gains / np.power(costs[rem], r)
            k = int(np.argmax(ratio))
            j = int(rem[k])
            remaining.pop(k)
            if gains[k] <= 1e-12:
                break
            if spent + costs[j] <= self.max_words:
                chosen.append(j)
                spent += costs[j]
                C += W[:, j]
                part_sums[self.parts_[j]] += self.r_[j]
        # the best single sentence, for the guarantee
        single_gains = self._gains(W, np.zeros(W.shape[0]), np.zeros(n_parts), cand)
        best_single = int(cand[int(np.argmax(single_gains))])
        if self._value(W, [best_single]) > self._value(W, chosen):
            return [best_single]
        return chosen

    def _gains(self, W: np.ndarray, C: np.ndarray, part_sums: np.ndarray, rem: np.ndarray) -> np.ndarray:
        base = np.minimum(C, self.cap_)
        new = np.minimum(C[:, None] + W[:, rem], self.cap_[:, None])
        cov_gain = (self.omega_[:, None] * (new - base[:, None])).sum(axis=0)
        ps = part_sums[self.parts_[rem]]
        div_gain = np.sqrt(ps + self.r_[rem]) - np.sqrt(ps)
        return cov_gain + self.lam * div_gain
