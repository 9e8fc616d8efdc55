"""Cluster: articles → stories, in batch (:class:`BatchClusterer`) and online (:class:`OnlineClusterer`).

Both decide with one learned, calibrated model (:mod:`newsfold.samestory`):
the probability that two sides (articles or stories) report the same event,
from their headline, lead and body TF-IDF cosines, shared names and numbers,
the dense cosine, the gap between their event dates and the story's size.

- **Batch**: the model's probability for every pair of articles, then
  average-linkage agglomeration cut where the average probability between
  two groups falls below :data:`~newsfold.samestory.BATCH_CUT`.
- **Online**: an article is compared with the candidate stories that share
  its rarest names or numbers (an inverted index, so cost does not grow with
  the number of stories) and joins the most probable one when its
  probability reaches :data:`~newsfold.samestory.ONLINE_CUT`; else it starts
  a new story.

Every decision keeps its probability and its top reasons in words.
"""

from __future__ import annotations

import dataclasses
import heapq
import logging
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .represent import ArticleFeatures, DocFreq, is_evidence
from .samestory import (BATCH_CUT, FEATURES, ONLINE_CUT, IdfFn, Profile, SameStoryModel, article_profile,
                        context_means, day_gap, feature_matrices, idf_from, story_context)

log = logging.getLogger(__name__)


def profile_of(f: ArticleFeatures) -> Profile:
    """The same-story model's side for one article."""
    return article_profile(f.terms, f.title_terms, f.lead_terms, f.dense, f.event_date)


# ---------------------------------------------------------- dendrogram
def _average_linkage(sim: np.ndarray) -> np.ndarray:
    from scipy.cluster.hierarchy import linkage
    from scipy.spatial.distance import squareform

    dist = np.clip(1.0 - sim, 0.0, None)
    np.fill_diagonal(dist, 0.0)
    dist = (dist + dist.T) / 2
    return linkage(squareform(dist, checks=False), method="average")


def cut_threshold(sim: np.ndarray, threshold: float) -> np.ndarray:
    """Average-linkage clusters whose average similarity stays at least ``threshold``."""
    n = len(sim)
    if n < 2:
        return np.zeros(n, dtype=int)
    from scipy.cluster.hierarchy import fcluster

    return fcluster(_average_linkage(sim), t=1.0 - threshold, criterion="distance") - 1


# -------------------------------------------------------------- batch
@dataclass
class BatchClusterer:
    """The pairwise same-story probability, cut by average linkage (see the module docstring); sklearn-style.

    ``fit(features)`` sets ``labels_`` (one story number per article),
    ``reasons_`` (one line per story number), and per article ``prob_`` (its
    average probability with the rest of its story; for a story of one, its
    best probability with any other article) and ``why_`` (that decision's
    top reasons).
    """

    model: SameStoryModel = field(default_factory=SameStoryModel)
    cut: float = BATCH_CUT

    labels_: np.ndarray = field(init=False, repr=False)
    reasons_: list[str] = field(init=False, repr=False)
    prob_: np.ndarray = field(init=False, repr=False)
    why_: list[str] = field(init=False, repr=False)
    evidence_: list[dict[str, float]] = field(init=False, repr=False)

    @classmethod
    def for_encoder(cls, name: str, **params: Any) -> "BatchClusterer":
        """The shipped model (fitted with MiniLM vectors; other encoders get the same coefficients)."""
        return cls(**params)

    @staticmethod
    def idf(feats: list[ArticleFeatures]) -> IdfFn:
        df: Counter[str] = Counter()
        for f in feats:
            df.update(f.terms.keys())
        return idf_from(dict(df), len(feats))

    @staticmethod
    def profiles(feats: list[ArticleFeatures]) -> list[Profile]:
        return [profile_of(f) for f in feats]

    def probabilities(self, feats: list[ArticleFeatures]) -> tuple[np.ndarray, list[np.ndarray]]:
        """The ``n × n`` same-story probabilities and the feature matrices behind them."""
        mats = self.features(feats)
        return self.model.prob(mats), mats

    def features(self, feats: list[ArticleFeatures]) -> list[np.ndarray]:
        """The ``n × n`` matrix of each of the model's features (each article's context: its nearest articles)."""
        profs = self.profiles(feats)
        ctx = None
        if feats and all(f.dense is not None and len(f.dense) for f in feats):
            vecs = np.vstack([f.dense for f in feats]).astype(np.float64)
            vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
            ctx = context_means(vecs)
        return feature_matrices(profs, profs, self.idf(feats), ctx, ctx)

    def fit(self, feats: list[ArticleFeatures]) -> "BatchClusterer":
        n = len(feats)
        self.labels_, self.reasons_ = np.zeros(n, dtype=int), []
        self.prob_, self.why_, self.evidence_ = np.zeros(n), [], []
        if n == 0:
            return self
        p, mats = self.probabilities(feats)
        np.fill_diagonal(p, 1.0)
        labels = cut_threshold(p, self.cut)
        self.labels_ = labels
        k = int(labels.max()) + 1
        profs = [dataclasses.replace(profile_of(f), dense=None) for f in feats]
        for c in range(k):
            idx = np.where(labels == c)[0]
            if len(idx) == 1:
                self.reasons_.append("alone: no other article is probably the same story "
                                     f"(average probability ≥ {self.cut:.2f})")
            else:
                sub = p[np.ix_(idx, idx)]
                mean = (sub.sum() - len(idx)) / (len(idx) * (len(idx) - 1))
                self.reasons_.append(f"{len(idx)} articles, average same-story probability {mean:.2f} "
                                     f"(cut {self.cut:.2f})")
        for i in range(n):
            row = p[i].copy()
            row[i] = -1.0
            mates = np.where(labels == labels[i])[0]
            mates = mates[mates != i]
            j = int(mates[np.argmax(row[mates])]) if len(mates) else int(np.argmax(row)) if n > 1 else i
            self.prob_[i] = float(row[mates].mean()) if len(mates) else float(max(row.max(), 0.0))
            if j == i:
                self.why_.append("the only article")
                self.evidence_.append({})
                continue
            x = [float(m[i, j]) for m in mats]
            gap = day_gap(profs[i], profs[j])
            lead = "closest story-mate" if len(mates) else "closest other article"
            self.why_.append(f"{lead}: p={p[i, j]:.2f}, {self.model.reasons(x, gap)}")
            self.evidence_.append({**{k: round(v, 4) for k, v in zip(FEATURES, x)},
                                   **({"gap_days": gap} if gap is not None else {})})
        return self

    def fit_predict(self, feats: list[ArticleFeatures]) -> np.ndarray:
        return self.fit(feats).labels_


# ------------------------------------------------------------- online
@dataclass
class Placement:
    """Where one article went: an existing story (``new`` False) or a new one, with the probability."""

    story: int
    new: bool
    score: float
    reason: str
    candidates: int = 0
    evidence: dict[str, float] = field(default_factory=dict)


class OnlineClusterer:
    """One article at a time: join the most probable candidate story or start a new one.

    Candidates come from an inverted index on each story's rarest names and
    numbers; the ``max_scored`` closest by dense cosine are scored with the
    same-story model (article → story profile: summed term weights, summed
    dense vector, event-date range, size); the best joins when its
    probability is at least ``threshold``.
    """

    def __init__(self, threshold: float = ONLINE_CUT, model: SameStoryModel | None = None,
                 key_terms: int = 24, max_postings: int = 5000, max_candidates: int = 200,
                 max_scored: int = 24) -> None:
        self.threshold = threshold
        self.model = model or SameStoryModel()
        self.key_terms = key_terms
        self.max_postings = max_postings
        self.max_candidates = max_candidates
        self.max_scored = max_scored
        self._dmat: np.ndarray | None = None  # story dense sums, one row per story (grown by doubling)
        self._dnorm = np.zeros(0, dtype=np.float32)
        self.df_ = DocFreq()
        self.vocab_: dict[str, int] = {}
        self.stories_: list[Profile] = []
        self.postings_: dict[int, list[int]] = {}

    # ---- helpers
    def _evidence(self, terms: dict[str, float]) -> list[tuple[str, float, bool, int]]:
        """``(term, idf, is a name or number, document frequency)`` for each term, computed once."""
        df = self.df_.df
        n1 = self.df_.n_docs + 1
        out = []
        for t in terms:
            d = df.get(t, 0)
            out.append((t, math.log(n1 / (d + 1)) + 1.0, is_evidence(t), d))
        return out

    def _keys(self, ev: list[tuple[str, float, bool, int]]) -> list[int]:
        """The rarest names and numbers that some other article also has (hapaxes find nothing)."""
        cand = [(idf, t) for t, idf, e, d in ev if e and d >= 2]
        if len(cand) < self.key_terms:
            cand += [(idf, t) for t, idf, e, d in ev if not e and d >= 2]
        vocab = self.vocab_
        return [vocab[t] for _, t in heapq.nlargest(self.key_terms, cand) if t in vocab]

    def _index_keys(self, ev: list[tuple[str, float, bool, int]]) -> list[int]:
        """The terms a story is found by: the article's rarest names and numbers."""
        cand = [(idf, t) for t, idf, e, _ in ev if e] or [(idf, t) for t, idf, _, _ in ev]
        return [self.vocab_.setdefault(t, len(self.vocab_)) for _, t in heapq.nlargest(self.key_terms, cand)]

    def idf(self) -> IdfFn:
        return idf_from(self.df_.df, self.df_.n_docs)

    def dense_sum(self, sid: int) -> np.ndarray | None:
        """Story ``sid``'s summed dense vectors (None when it has none)."""
        if self._dmat is None or sid >= len(self._dnorm) or not self._dnorm[sid]:
            return None
        return self._dmat[sid].copy()

    def _set_dense(self, sid: int, vec: np.ndarray, add: bool) -> None:
        if self._dmat is None:
            self._dmat = np.zeros((1024, len(vec)), dtype=np.float32)
            self._dnorm = np.zeros(1024, dtype=np.float32)
        if sid >= len(self._dmat):
            cap = max(sid + 1, 2 * len(self._dmat))
            grown = np.zeros((cap, self._dmat.shape[1]), dtype=np.float32)
            grown[: len(self._dmat)] = self._dmat
            self._dmat = grown
            norms = np.zeros(cap, dtype=np.float32)
            norms[: len(self._dnorm)] = self._dnorm
            self._dnorm = norms
        row = self._dmat[sid]
        if add:
            row += vec
        else:
            row[:] = vec
        self._dnorm[sid] = float(np.linalg.norm(row)) or 1e-9

    def _shortlist(self, f: ArticleFeatures, cands: list[int]) -> list[int]:
        """The candidates worth a full score: the closest centroids by dense cosine, in one product."""
        if len(cands) <= self.max_scored or f.dense is None or self._dmat is None:
            return cands[: self.max_scored] if len(cands) > self.max_scored else cands
        idx = np.fromiter(cands, dtype=np.int64, count=len(cands))
        idx = idx[idx < len(self._dnorm)]
        sims = (self._dmat[idx] @ f.dense) / np.maximum(self._dnorm[idx], 1e-9)
        top = np.argpartition(-sims, self.max_scored - 1)[: self.max_scored]
        return [int(i) for i in idx[top]]

    def candidates(self, keys: list[int]) -> list[int]:
        seen: dict[int, int] = {}
        for j in keys:
            post = self.postings_.get(j)
            if not post or len(post) > self.max_postings:
                continue
            for s in post[-self.max_candidates:]:
                seen[s] = seen.get(s, 0) + 1
        if len(seen) > self.max_candidates:
            return [s for s, _ in heapq.nlargest(self.max_candidates, seen.items(), key=lambda x: x[1])]
        return list(seen)

    def _story_side(self, sid: int) -> Profile:
        return dataclasses.replace(self.stories_[sid], dense=self.dense_sum(sid))

    def context(self, vec: np.ndarray | None, cands: list[int], sids: list[int]) -> np.ndarray | None:
        """The context of the article's comparison with each of ``sids``, among ``cands`` (see
        :func:`~newsfold.samestory.story_context`)."""
        if vec is None or self._dmat is None or not cands:
            return None
        idx = np.array(sorted(set(c for c in cands + sids if c < len(self._dnorm))), dtype=np.int64)
        sizes = np.array([self.stories_[c].size for c in idx], dtype=float)
        each = story_context(vec.astype(np.float64), self._dmat[idx].astype(np.float64), sizes)
        row = {int(c): k for k, c in enumerate(idx)}
        return np.vstack([each[row[s]] for s in sids])

    def probabilities(self, side: Profile, sids: list[int],
                      ctx: np.ndarray | None = None) -> tuple[np.ndarray, list[np.ndarray]]:
        """The model's probability that ``side`` reports the story of each of ``sids``, with the features;
        ``ctx``: one context row per story, taken by both sides of that comparison."""
        mats = feature_matrices([side], [self._story_side(s) for s in sids], self.idf(), ctx, ctx)
        return self.model.prob(mats)[0], [m[0] for m in mats]

    # ---- the API
    def place(self, f: ArticleFeatures) -> Placement:
        """Place one article; updates the index and returns where it went and why."""
        self.df_.add(f.terms)
        ev = self._evidence(f.terms)
        cands = self.candidates(self._keys(ev))
        keys = self._index_keys(ev)
        side = profile_of(f)
        short = self._shortlist(f, cands)
        best, best_p, why, evid = -1, 0.0, "", {}
        if short:
            p, mats = self.probabilities(side, short, self.context(f.dense, cands, short))
            k = int(np.argmax(p))
            best, best_p = short[k], float(p[k])
            x = [float(m[k]) for m in mats]
            gap = day_gap(side, self.stories_[best])
            why = self.model.reasons(x, gap)
            evid = {n: round(v, 4) for n, v in zip(FEATURES, x)}
            if gap is not None:
                evid["gap_days"] = gap
        if best >= 0 and best_p >= self.threshold:
            self._add(best, f, side, keys)
            return Placement(best, False, best_p, f"joined: same-story probability {best_p:.2f} "
                             f"≥ {self.threshold:.2f} ({why})", len(cands), evid)
        sid = len(self.stories_)
        self.stories_.append(Profile(size=0))
        self._add(sid, f, side, keys)
        if best >= 0:
            reason = f"new story: best candidate only {best_p:.2f} < {self.threshold:.2f} ({why})"
        else:
            reason = "new story: no candidate story shares a rare name or number"
        return Placement(sid, True, best_p, reason, len(cands), evid)

    def _add(self, sid: int, f: ArticleFeatures, side: Profile, keys: list[int]) -> None:
        if f.dense is not None:
            self._set_dense(sid, f.dense.astype(np.float32), add=True)
        self.stories_[sid].add(dataclasses.replace(side, dense=None))
        for j in keys:
            post = self.postings_.setdefault(j, [])
            if not post or post[-1] != sid:
                if sid in post[-8:]:
                    continue
                post.append(sid)

    def load_story(self, dense_sum: np.ndarray | None, saved: dict[str, Any]) -> int:
        """Restore a story saved with :meth:`profile` (the index rebuilds from a store); returns its number."""
        sid = len(self.stories_)
        prof = Profile.from_json(saved, None)
        self.stories_.append(prof)
        if dense_sum is not None:
            self._set_dense(sid, dense_sum.astype(np.float32), add=False)
        for j in self._index_keys(self._evidence(prof.body)):
            self.postings_.setdefault(j, []).append(sid)
        return sid

    def profile(self, sid: int) -> dict[str, Any]:
        """Story ``sid``'s profile as JSON (what :meth:`load_story` takes back)."""
        return self.stories_[sid].to_json()

    def add_to_story(self, sid: int, f: ArticleFeatures) -> None:
        """Put ``f`` into story ``sid`` without deciding (used to rebuild the index from a store)."""
        self.df_.add(f.terms)
        while len(self.stories_) <= sid:
            self.stories_.append(Profile(size=0))
        ev = self._evidence(f.terms)
        self._add(sid, f, profile_of(f), self._index_keys(ev))

    @classmethod
    def for_encoder(cls, name: str, **params: Any) -> "OnlineClusterer":
        """The shipped model and cut (fitted with MiniLM vectors; other encoders get the same)."""
        return cls(**params)

    def fit(self, feats: list[ArticleFeatures]) -> "OnlineClusterer":
        self.labels_ = np.array([self.place(f).story for f in feats], dtype=int)
        return self
