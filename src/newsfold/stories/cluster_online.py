"""Online placement: one article at a time joins the best matching story or starts a new one
(:class:`OnlineClusterer`); the batch fold is in :mod:`.cluster_batch`.  Both ask :mod:`.decide`.

An article is a :class:`~.decide.Members` of one; a story keeps the sums
of its members.  The score between them is the mean over the story's
members of the pair evidence (average linkage, exactly as in the batch
fold), so a stream placed in date order gives nearly the batch fold's
stories.  Candidates come from an inverted index on each story's rarest
names and numbers, so placement cost does not grow with the number of
stories.
"""

from __future__ import annotations

import datetime as dt
import heapq
import logging
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .decide import Decision, Members, decision_for, evidence
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
    members: Members = field(default_factory=Members)
    first: dt.date | None = None
    last: dt.date | None = None

    @property
    def size(self) -> int:
        return self.members.size


class OnlineClusterer:
    """One article at a time: join the story the same-story decision scores highest, if it says same story.

    ``decision``: the :class:`~.decide.Decision` (by default the one fitted
    for the encoder, see :meth:`for_encoder`); ``event_gap_days`` overrides
    its date veto (``None``: no veto).  ``profile_terms``: how many of a
    story's terms are kept when it is saved (:meth:`profile`).
    """

    def __init__(self, decision: Decision | None = None, evidence_boost: float = 1.0, key_terms: int = 64,
                 profile_terms: int = 128, max_postings: int = 5000, max_candidates: int = 200,
                 max_scored: int = 24, event_gap_days: int | None | str = "decision") -> None:
        decision = decision or decision_for("minilm")
        if event_gap_days != "decision":
            from dataclasses import replace

            decision = replace(decision, event_gap_days=event_gap_days)  # type: ignore[arg-type]
        self.decision = decision
        self.evidence_boost = evidence_boost
        self.key_terms = key_terms
        self.profile_terms = profile_terms
        self.max_postings = max_postings
        self.max_candidates = max_candidates
        self.max_scored = max_scored
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
        return [(t, math.log(n1 / (df.get(t, 0) + 1)) + 1.0, is_evidence(t), df.get(t, 0)) for t in terms]

    def _weights(self, terms: dict[str, float], ev: list[tuple[str, float, bool, int]]) -> dict[int, float]:
        """The article's unit TF-IDF vector (names and numbers boosted), as in the batch fold."""
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
        names = heapq.nlargest(self.key_terms, [(idf, t) for t, idf, e, d in ev if e and d >= 2])
        if len(names) < self.key_terms:  # names and numbers first, then the rarest other words
            names += heapq.nlargest(self.key_terms - len(names), [(idf, t) for t, idf, e, d in ev if not e and d >= 2])
        return [self.vocab_[t] for _, t in names]

    def _index_keys(self, ev: list[tuple[str, float, bool, int]]) -> list[int]:
        """The terms a story is found by: the article's rarest names and numbers."""
        cand = [(idf, t) for t, idf, e, _ in ev if e] or [(idf, t) for t, idf, _, _ in ev]
        return [self.vocab_.setdefault(t, len(self.vocab_)) for _, t in heapq.nlargest(self.key_terms, cand)]

    def _name(self, j: int) -> str:
        if len(self._names) != len(self.vocab_):
            self._names = list(self.vocab_)
        return self._names[j]

    @staticmethod
    def _members(f: ArticleFeatures, weights: dict[int, float]) -> Members:
        d = f.event_date or f.date
        return Members.one(weights, f.dense, d.toordinal() if d else None, f.outlet, f.weekday)

    def _shortlist(self, m: Members, cands: list[int]) -> list[int]:
        """The candidates worth a full score: the closest by mean dense cosine, when there are many."""
        if len(cands) <= self.max_scored:
            return cands
        if m.dense is None:
            return cands[: self.max_scored]
        sims = [float(m.dense @ self.stories_[c].members.dense) / self.stories_[c].size
                if self.stories_[c].members.dense is not None else -1.0 for c in cands]
        top = np.argpartition(-np.array(sims), self.max_scored - 1)[: self.max_scored]
        return [cands[int(i)] for i in top]

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
        me = self._members(f, weights)
        cands = self.candidates(self._keys(ev))
        keys = self._index_keys(ev)
        dec = self.decision
        best, best_score, best_ev = -1, -math.inf, None
        vetoed = 0
        for c in self._shortlist(me, cands):
            s = self.stories_[c].members
            if dec.vetoed(me, s):
                vetoed += 1
                continue
            e = evidence(me, s, top_terms=3)
            sc = dec.score(e)
            if sc > best_score:
                best, best_score, best_ev = c, sc, e
        if best >= 0 and best_score >= dec.join:
            self._add(best, f, me, keys)
            return Placement(best, False, best_score, "joined: " + dec.reason(best_ev, best_score, self._name),
                             len(cands))
        sid = len(self.stories_)
        self.stories_.append(_StoryState())
        self._add(sid, f, me, keys)
        if best >= 0:
            reason = "new story: best candidate " + dec.reason(best_ev, best_score, self._name)
        else:
            reason = "new story: no candidate story shares a rare name or number"
        if vetoed:
            reason += f" ({vetoed} more with event dates over {dec.event_gap_days} days away)"
        return Placement(sid, True, best_score if best >= 0 else 0.0, reason, len(cands))

    def _add(self, sid: int, f: ArticleFeatures, me: Members, keys: list[int]) -> None:
        s = self.stories_[sid]
        s.members.absorb(me)
        if f.date is not None:
            s.first = f.date if s.first is None or f.date < s.first else s.first
            s.last = f.date if s.last is None or f.date > s.last else s.last
        for j in keys:
            post = self.postings_.setdefault(j, [])
            if not post or post[-1] != sid:
                if sid in post[-8:]:
                    continue
                post.append(sid)

    def load_story(self, dense_sum: np.ndarray | None, terms: dict[str, float], size: int,
                   first: dt.date | None, last: dt.date | None, counts: dict[str, dict] | None = None) -> int:
        """Restore a story saved with :meth:`profile` and :meth:`counts` (the index rebuilds from a store);
        returns its number."""
        sid = len(self.stories_)
        prof = {self.vocab_.setdefault(t, len(self.vocab_)): w for t, w in terms.items()}
        counts = counts or {}

        def ints(key: str) -> Counter[int]:
            return Counter({int(k): int(v) for k, v in (counts.get(key) or {}).items()})

        m = Members(terms=prof, dense=None if dense_sum is None else np.asarray(dense_sum, dtype=np.float64),
                    dates=ints("event_dates"), size=size, outlets=Counter(counts.get("outlets") or {}),
                    weekdays=ints("weekdays"), weekdays_dated=ints("weekdays_dated"))
        self.stories_.append(_StoryState(members=m, first=first, last=last))
        for j in self._index_keys(self._evidence(terms)):
            self.postings_.setdefault(j, []).append(sid)
        return sid

    def profile(self, sid: int) -> dict[str, float]:
        """Story ``sid``'s strongest terms by summed weight (what :meth:`load_story` takes back)."""
        terms = self.stories_[sid].members.terms
        top = heapq.nlargest(self.profile_terms, terms.items(), key=lambda x: x[1])
        return {self._name(j): round(w, 5) for j, w in top}

    def dense_sum(self, sid: int) -> np.ndarray | None:
        """Story ``sid``'s summed dense vectors (None when it has none)."""
        d = self.stories_[sid].members.dense if sid < len(self.stories_) else None
        return None if d is None else d.copy()

    def counts(self, sid: int) -> dict[str, dict]:
        """Story ``sid``'s histograms as :meth:`load_story` takes them back: event dates (ordinal → articles),
        lead weekdays (all, and among the dated articles) and outlets."""
        m = self.stories_[sid].members
        return {"event_dates": {str(k): v for k, v in sorted(m.dates.items())},
                "weekdays": {str(k): v for k, v in sorted(m.weekdays.items())},
                "weekdays_dated": {str(k): v for k, v in sorted(m.weekdays_dated.items())},
                "outlets": dict(m.outlets)}

    def add_to_story(self, sid: int, f: ArticleFeatures) -> None:
        """Put ``f`` into story ``sid`` without deciding (used to rebuild the index from a store)."""
        self.df_.add(f.terms)
        while len(self.stories_) <= sid:
            self.stories_.append(_StoryState())
        ev = self._evidence(f.terms)
        self._add(sid, f, self._members(f, self._weights(f.terms, ev)), self._index_keys(ev))

    @classmethod
    def for_encoder(cls, name: str, **params: Any) -> "OnlineClusterer":
        """The decision fitted for representation ``name`` (other parameters as given)."""
        params.setdefault("decision", decision_for(name))
        return cls(**params)

    def fit(self, feats: list[ArticleFeatures]) -> "OnlineClusterer":
        self.labels_ = np.array([self.place(f).story for f in feats], dtype=int)
        return self
