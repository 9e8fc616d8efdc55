"""Online placement: one article at a time joins the best matching story or starts a new one
(:class:`OnlineClusterer`); the batch fold is in :mod:`.cluster_batch`."""

from __future__ import annotations

import datetime as dt
import heapq
import logging
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .eventdate import EVENT_GAP_DAYS
from .represent import ArticleFeatures, DocFreq, is_evidence

log = logging.getLogger(__name__)

@dataclass
class Placement:
    """Where one article went: an existing story (``new`` False) or a new one, with the score."""

    story: int
    new: bool
    score: float
    reason: str
    candidates: int = 0


@dataclass
class _StoryState:
    terms: dict[int, float]
    size: int = 0
    first: dt.date | None = None
    last: dt.date | None = None
    norm: float = 0.0
    event_first: dt.date | None = None
    event_last: dt.date | None = None


# join thresholds per representation, chosen on ECB+ dev fed in file order (`newsfold eval clustering --mode online`)
ONLINE_THRESHOLDS: dict[str, float] = {"minilm": 0.35, "static": 0.5, "none": 0.25}


class OnlineClusterer:
    """One article at a time: join the best matching story or start a new one.

    Candidates come from an inverted index on each story's rarest names and
    numbers (so placement cost does not grow with the number of stories).  A
    candidate's score mixes dense cosine with the story centroid and TF-IDF
    cosine with the story's term profile; when both the article and the
    story are dated, an article outside the story's moving window
    ``[first - window, last + window]`` pays a penalty that grows with the
    gap (a year apart needs much stronger evidence); undated articles are
    judged on content alone.  A story whose event dates lie more than
    ``event_gap_days`` from the article's event date is not a candidate.
    """

    def __init__(self, threshold: float = 0.35, dense_weight: float = 0.5, evidence_boost: float = 1.0,
                 window_days: int = 14, date_penalty: float = 0.12, max_penalty: float = 0.5,
                 key_terms: int = 24, profile_terms: int = 48, max_postings: int = 5000,
                 max_candidates: int = 200, max_scored: int = 24,
                 event_gap_days: int | None = EVENT_GAP_DAYS) -> None:
        self.threshold = threshold
        self.dense_weight = dense_weight
        self.evidence_boost = evidence_boost
        self.window_days = window_days
        self.date_penalty = date_penalty
        self.max_penalty = max_penalty
        self.key_terms = key_terms
        self.profile_terms = profile_terms
        self.max_postings = max_postings
        self.max_candidates = max_candidates
        self.max_scored = max_scored
        self.event_gap_days = event_gap_days
        self._dmat: np.ndarray | None = None  # story dense sums, one row per story (grown by doubling)
        self._dnorm = np.zeros(0, dtype=np.float32)
        self.df_ = DocFreq()
        self.vocab_: dict[str, int] = {}
        self.stories_: list[_StoryState] = []
        self.postings_: dict[int, list[int]] = {}
        self._names: list[str] = []

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

    def _weights(self, terms: dict[str, float], ev: list[tuple[str, float, bool, int]]) -> dict[int, float]:
        vocab, boost = self.vocab_, self.evidence_boost
        out = {}
        for t, idf, e, _ in ev:
            j = vocab.get(t)
            if j is None:
                j = vocab[t] = len(vocab)
            out[j] = terms[t] * idf * (1.0 + boost * e)
        norm = math.sqrt(sum(v * v for v in out.values())) or 1.0
        return {j: v / norm for j, v in out.items()}

    def _keys(self, ev: list[tuple[str, float, bool, int]]) -> list[int]:
        """The rarest names and numbers that some other article also has (hapaxes find nothing)."""
        cand = [(idf, t) for t, idf, e, d in ev if e and d >= 2]
        if len(cand) < self.key_terms:
            cand += [(idf, t) for t, idf, e, d in ev if not e and d >= 2]
        return [self.vocab_[t] for _, t in heapq.nlargest(self.key_terms, cand)]

    def _index_keys(self, ev: list[tuple[str, float, bool, int]]) -> list[int]:
        """The terms a story is found by: the article's rarest names and numbers."""
        cand = [(idf, t) for t, idf, e, _ in ev if e] or [(idf, t) for t, idf, _, _ in ev]
        return [self.vocab_.setdefault(t, len(self.vocab_)) for _, t in heapq.nlargest(self.key_terms, cand)]

    def _penalty(self, d: dt.date | None, s: _StoryState) -> float:
        if d is None or s.first is None or s.last is None:
            return 0.0
        lo = s.first - dt.timedelta(days=self.window_days)
        hi = s.last + dt.timedelta(days=self.window_days)
        gap = (lo - d).days if d < lo else (d - hi).days if d > hi else 0
        if gap <= 0:
            return 0.0
        return min(self.max_penalty, self.date_penalty * math.log2(1 + gap / self.window_days))

    def vetoed(self, d: dt.date | None, s: _StoryState) -> bool:
        """True when event date ``d`` lies more than ``event_gap_days`` outside the story's event dates."""
        if d is None or s.event_first is None or s.event_last is None or self.event_gap_days is None:
            return False
        return (s.event_first - d).days > self.event_gap_days or (d - s.event_last).days > self.event_gap_days

    def score(self, f: ArticleFeatures, weights: dict[int, float], story: int) -> float:
        """The evidence that ``f`` reports the event of ``story`` (before the date penalty)."""
        s = self.stories_[story]
        if not s.norm:
            self._norms(s)
        small, big = (weights, s.terms) if len(weights) < len(s.terms) else (s.terms, weights)
        get = big.get  # the dot product walks the shorter of the two term lists
        sparse = sum(w * get(j, 0.0) for j, w in small.items()) / s.norm
        if f.dense is None or self._dmat is None or not self._dnorm[story]:
            return sparse
        dense = float(f.dense @ self._dmat[story]) / float(self._dnorm[story])
        return self.dense_weight * dense + (1 - self.dense_weight) * sparse

    @staticmethod
    def _norms(s: _StoryState) -> None:
        s.norm = math.sqrt(sum(v * v for v in s.terms.values())) or 1.0

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

    # ---- the API
    def place(self, f: ArticleFeatures) -> Placement:
        """Place one article; updates the index and returns where it went."""
        self.df_.add(f.terms)
        ev = self._evidence(f.terms)
        weights = self._weights(f.terms, ev)
        cands = self.candidates(self._keys(ev))
        keys = self._index_keys(ev)
        best, best_score, best_pen = -1, -1.0, 0.0
        vetoed = 0
        for c in self._shortlist(f, cands):
            if self.vetoed(f.event_date, self.stories_[c]):
                vetoed += 1
                continue
            pen = self._penalty(f.date, self.stories_[c])
            sc = self.score(f, weights, c) - pen
            if sc > best_score:
                best, best_score, best_pen = c, sc, pen
        if best >= 0 and best_score >= self.threshold:
            reason = f"joined: similarity {best_score:.2f} ≥ {self.threshold:.2f}"
            if best_pen:
                reason += f" (after a date penalty of {best_pen:.2f})"
            self._add(best, f, weights, keys)
            return Placement(best, False, best_score, reason, len(cands))
        sid = len(self.stories_)
        self.stories_.append(_StoryState(terms={}))
        self._add(sid, f, weights, keys)
        if best >= 0:
            reason = f"new story: best candidate only {best_score:.2f} < {self.threshold:.2f}"
        else:
            reason = "new story: no candidate story shares a rare name or number"
        if vetoed:
            reason += f" ({vetoed} more with event dates over {self.event_gap_days} days away)"
        return Placement(sid, True, max(best_score, 0.0), reason, len(cands))

    def _add(self, sid: int, f: ArticleFeatures, weights: dict[int, float], keys: list[int]) -> None:
        s = self.stories_[sid]
        if f.dense is not None:
            self._set_dense(sid, f.dense.astype(np.float32), add=True)
        prof = s.terms
        for j, w in weights.items():
            prof[j] = prof.get(j, 0.0) + w
        if len(prof) > self.profile_terms:
            s.terms = dict(heapq.nlargest(self.profile_terms, prof.items(), key=lambda x: x[1]))
        s.size += 1
        s.norm = 0.0
        if f.date is not None:
            s.first = f.date if s.first is None or f.date < s.first else s.first
            s.last = f.date if s.last is None or f.date > s.last else s.last
        if f.event_date is not None:
            d = f.event_date
            s.event_first = d if s.event_first is None or d < s.event_first else s.event_first
            s.event_last = d if s.event_last is None or d > s.event_last else s.event_last
        for j in keys:
            post = self.postings_.setdefault(j, [])
            if not post or post[-1] != sid:
                if sid in post[-8:]:
                    continue
                post.append(sid)

    def load_story(self, dense_sum: np.ndarray | None, terms: dict[str, float], size: int,
                   first: dt.date | None, last: dt.date | None, event_first: dt.date | None = None,
                   event_last: dt.date | None = None) -> int:
        """Restore a story saved with :meth:`profile` (the index rebuilds from a store); returns its number."""
        sid = len(self.stories_)
        prof = {self.vocab_.setdefault(t, len(self.vocab_)): w for t, w in terms.items()}
        self.stories_.append(_StoryState(terms=prof, size=size, first=first, last=last,
                                         event_first=event_first, event_last=event_last))
        if dense_sum is not None:
            self._set_dense(sid, dense_sum.astype(np.float32), add=False)
        for j in self._index_keys(self._evidence(terms)):
            self.postings_.setdefault(j, []).append(sid)
        return sid

    def profile(self, sid: int) -> dict[str, float]:
        """Story ``sid``'s term profile keyed by term (what :meth:`load_story` takes back)."""
        if len(self._names) != len(self.vocab_):
            self._names = [t for t, _ in sorted(self.vocab_.items(), key=lambda x: x[1])]
        return {self._names[j]: round(w, 5) for j, w in self.stories_[sid].terms.items()}

    def add_to_story(self, sid: int, f: ArticleFeatures) -> None:
        """Put ``f`` into story ``sid`` without deciding (used to rebuild the index from a store)."""
        self.df_.add(f.terms)
        while len(self.stories_) <= sid:
            self.stories_.append(_StoryState(terms={}))
        ev = self._evidence(f.terms)
        self._add(sid, f, self._weights(f.terms, ev), self._index_keys(ev))

    @classmethod
    def for_encoder(cls, name: str, **params: Any) -> "OnlineClusterer":
        """The measured join threshold for representation ``name`` (other parameters as given)."""
        params.setdefault("threshold", ONLINE_THRESHOLDS.get(name, 0.35))
        return cls(**params)

    def fit(self, feats: list[ArticleFeatures]) -> "OnlineClusterer":
        self.labels_ = np.array([self.place(f).story for f in feats], dtype=int)
        return self
