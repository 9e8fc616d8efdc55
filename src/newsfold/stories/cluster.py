"""Cluster: articles → stories, in batch (:class:`BatchClusterer`) and online (:class:`OnlineClusterer`).

Two events of the same kind (two earthquakes, two rehab check-ins) share most
of their vocabulary, so one global similarity threshold cannot keep them
apart.  The batch clusterer therefore decides in two levels:

1. **Topic groups.**  Average-linkage agglomeration on a combined similarity
   (dense cosine + TF-IDF cosine with names and numbers up-weighted), cut at
   a loose threshold: articles about the same *kind* of event fall together.
2. **Events inside a group.**  Inside each group the shared topic is
   removed: dense vectors are centred on the group mean, and the TF-IDF is
   re-weighted by a *local* IDF over names and numbers that occur in at least
   two of the group's articles (what the articles share with only some of
   their group: who, where, how many).  Articles with dates close together
   attract, far apart repel.  The group's dendrogram is then split top-down
   while the two halves are less similar to each other than ``split_ratio``
   times their own cohesion; fragments smaller than ``min_event`` are put
   back into the closest event.

Both clusterers veto a fold across time: two articles whose *event dates*
(:mod:`newsfold.stories.eventdate`: the day the reported event happened) lie more
than ``event_gap_days`` apart are not put into one story unless dated
articles in between bridge the gap (a developing story).  Undated articles
are judged on content alone.

Every story carries a reason saying which level produced it.
"""

from __future__ import annotations

import datetime as dt
import heapq
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from .represent import ArticleFeatures, DocFreq, is_evidence

log = logging.getLogger(__name__)


# ------------------------------------------------------------ matrices
def _term_matrix(feats: list[ArticleFeatures]) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """Sparse (articles × terms) sublinear tf, the global IDF, and the evidence flag per term."""
    vocab: dict[str, int] = {}
    rows, cols, vals = [], [], []
    for i, f in enumerate(feats):
        for t, w in f.terms.items():
            j = vocab.setdefault(t, len(vocab))
            rows.append(i)
            cols.append(j)
            vals.append(w)
    m = sp.csr_matrix((vals, (rows, cols)), shape=(len(feats), len(vocab)), dtype=np.float64)
    df = np.asarray((m > 0).sum(axis=0)).ravel()
    idf = np.log((len(feats) + 1) / (df + 1)) + 1.0
    names = [None] * len(vocab)
    for t, j in vocab.items():
        names[j] = t
    evidence = np.array([is_evidence(t) for t in names], dtype=bool)
    return m, idf, evidence


def _cosine_rows(m: sp.spmatrix | np.ndarray) -> np.ndarray:
    """Cosine similarity matrix of the rows of ``m``."""
    if sp.issparse(m):
        norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        x = sp.diags(1.0 / norms) @ m
        return (x @ x.T).toarray()
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    x = m / norms
    return x @ x.T


def _dense_matrix(feats: list[ArticleFeatures]) -> np.ndarray | None:
    if not feats or any(f.dense is None for f in feats):
        return None
    return np.vstack([f.dense for f in feats]).astype(np.float64)


def _date_matrix(feats: list[ArticleFeatures], close_days: int, far_days: int) -> np.ndarray:
    """+1 for two dated articles within ``close_days``, -1 beyond ``far_days``, else 0."""
    n = len(feats)
    ords = np.array([f.date.toordinal() if f.date else np.nan for f in feats], dtype=float)
    gap = np.abs(ords[:, None] - ords[None, :])
    out = np.zeros((n, n))
    out[gap <= close_days] = 1.0
    out[gap > far_days] = -1.0
    return out


# Event dates more than this many days apart (with no dated article between) are never folded together.
# Measured on ECB+ dev and the SemEval pairs (`newsfold eval clustering`, `newsfold eval pairs`,
# bench/cluster_cv.py): a veto at 30-365 days lowers ECB+ batch B-cubed F1 (0.961 -> 0.925-0.951), because
# ECB+ stories run for up to two years (a shooting, then the trial); from 730 days on nothing changes on
# either set.  Three years leaves a margin above the longest story seen.
EVENT_GAP_DAYS = 1095


def date_runs(dates: list[dt.date], max_gap: int) -> list[int]:
    """Run number of each date after sorting: a new run starts where consecutive dates are > ``max_gap`` days apart."""
    order = sorted(range(len(dates)), key=lambda i: dates[i])
    runs = [0] * len(dates)
    run = 0
    for prev, i in zip([None, *order], order):
        if prev is not None and (dates[i] - dates[prev]).days > max_gap:
            run += 1
        runs[i] = run
    return runs


def split_by_event_dates(labels: np.ndarray, feats: list[ArticleFeatures], sim: np.ndarray,
                         max_gap: int) -> tuple[np.ndarray, dict[int, tuple[int, int, int]]]:
    """Split every cluster whose event dates leave a gap over ``max_gap`` days; undated members join
    the part they are on average most similar to.  New parts take the next free numbers.  Returns the
    labels and, per label of a split cluster, ``(the cluster's old label, part, number of parts)``."""
    out = labels.copy()
    parts: dict[int, tuple[int, int, int]] = {}
    nxt = int(labels.max()) + 1 if len(labels) else 0
    for c in np.unique(labels):
        idx = np.where(labels == c)[0]
        dated = [i for i in idx if feats[i].event_date is not None]
        if len(dated) < 2:
            continue
        runs = date_runs([feats[i].event_date for i in dated], max_gap)  # type: ignore[misc]
        k = max(runs) + 1
        if k == 1:
            continue
        members: list[list[int]] = [[] for _ in range(k)]
        for i, r in zip(dated, runs):
            members[r].append(i)
        for i in idx:
            if feats[i].event_date is None:
                members[int(np.argmax([sim[i, m].mean() for m in members]))].append(i)
        for r, m in enumerate(members):
            lab = int(c) if r == 0 else nxt
            nxt += r > 0
            out[m] = lab
            parts[lab] = (int(c), r + 1, k)
    return out, parts


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


@dataclass
class GroupSims:
    """The similarities one topic group is split on (all ``n × n`` over the group's articles).

    ``event``: centred dense + local-IDF names/numbers + dates (builds the dendrogram);
    ``evidence``: local-IDF names/numbers only, uncentred; ``topic``: the level-1 similarity.
    """

    event: np.ndarray
    evidence: np.ndarray
    topic: np.ndarray


@dataclass
class Split:
    """The evidence for splitting one node of a group's dendrogram into two events.

    Each ``*_ratio`` is the mean similarity between the two halves divided by
    their mean cohesion (1 = the halves are as alike as their own members;
    near 0 = nothing in common); ``between``/``cohesion`` are on the centred
    event similarity.
    """

    evidence_ratio: float
    topic_ratio: float
    between: float
    cohesion: float
    sizes: tuple[int, int] = (0, 0)

    def vector(self) -> np.ndarray:
        return np.array([self.evidence_ratio, self.topic_ratio, self.between, self.cohesion])


@dataclass
class SplitModel:
    """A linear decision on :meth:`Split.vector`: split when ``p > 0.5``, i.e. ``w·x + b > 0``.

    The default splits when the two halves are, on the centred event
    similarity, less alike than an average pair of the group (``between <
    0``).  ``bench/cluster_cv.py`` chooses the rule ``between + a·ratio < τ``
    by cross-validation across topics (fit on half the topics, score the
    other half) and prints both scores.
    """

    weights: tuple[float, ...] = (0.0, 0.0, -1.0, 0.0)
    bias: float = 0.0

    def p_split(self, s: Split) -> float:
        z = float(np.dot(self.weights, s.vector())) + self.bias
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def _ratio(m: np.ndarray, a: list[int], b: list[int]) -> float:
    def coh(x: list[int]) -> float:
        sub = m[np.ix_(x, x)]
        return float((sub.sum() - np.trace(sub)) / (len(x) * (len(x) - 1)))

    inner = (coh(a) * len(a) + coh(b) * len(b)) / (len(a) + len(b))
    between = float(m[np.ix_(a, b)].mean())
    return float(np.clip(between / inner, 0.0, 3.0)) if inner > 1e-9 else 3.0


def split_stats(sims: GroupSims, a: list[int], b: list[int]) -> Split:
    """The :class:`Split` evidence for halves ``a`` and ``b`` of a group."""
    ev = sims.event
    def coh(x: list[int]) -> float:
        sub = ev[np.ix_(x, x)]
        return float((sub.sum() - np.trace(sub)) / (len(x) * (len(x) - 1)))

    return Split(evidence_ratio=_ratio(sims.evidence, a, b), topic_ratio=_ratio(sims.topic, a, b),
                 between=float(ev[np.ix_(a, b)].mean()),
                 cohesion=(coh(a) * len(a) + coh(b) * len(b)) / (len(a) + len(b)), sizes=(len(a), len(b)))


def candidate_splits(sims: GroupSims, min_event: int,
                     decide: Callable[[Split], bool] | None = None,
                     ) -> tuple[list[list[int]], list[int], list[tuple[list[int], list[int], Split]]]:
    """Walk a group's dendrogram top-down.

    Fragments smaller than ``min_event`` are peeled off as strays; at every
    node with two halves of at least ``min_event`` articles, ``decide``
    says whether to split (``None`` explores every node, for fitting).
    Returns the events, the strays, and every ``(a, b, Split)`` examined.
    """
    n = len(sims.event)
    z = _average_linkage(sims.event)
    kids: dict[int, tuple[int, int]] = {}
    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    for k, (a, b, _, _) in enumerate(z):
        kids[n + k] = (int(a), int(b))
        members[n + k] = members[int(a)] + members[int(b)]
    events: list[list[int]] = []
    stray: list[int] = []
    seen: list[tuple[list[int], list[int], Split]] = []
    stack = [2 * n - 2]
    while stack:
        node = stack.pop()
        if node < n:
            stray.append(node)
            continue
        a, b = kids[node]
        ma, mb = members[a], members[b]
        if min(len(ma), len(mb)) < min_event:
            small, big = (a, b) if len(ma) < len(mb) else (b, a)
            if len(members[big]) < min_event:
                events.append(members[node])
            else:
                stray.extend(members[small])
                stack.append(big)
            continue
        s = split_stats(sims, ma, mb)
        seen.append((ma, mb, s))
        if decide is not None and not decide(s):
            events.append(members[node])
            continue
        stack.extend([a, b])
    return events, stray, seen


def split_events(sims: GroupSims, model: SplitModel, min_event: int,
                 refine: int = 0) -> tuple[np.ndarray, list[Split]]:
    """Split one topic group into events (see the module docstring); strays join the closest event."""
    n = len(sims.event)
    if n < 2 * min_event:
        return np.zeros(n, dtype=int), []
    events, stray, seen = candidate_splits(sims, min_event, lambda s: model.p_split(s) > 0.5)
    if not events:
        return np.zeros(n, dtype=int), []
    labels = np.full(n, -1, dtype=int)
    for c, m in enumerate(events):
        labels[m] = c
    for s in stray:
        labels[s] = int(np.argmax([sims.event[s, m].mean() for m in events]))
    labels = _refine(sims.event, labels, refine)
    made = [s for _, _, s in seen if model.p_split(s) > 0.5]
    return labels, made


def _refine(sim: np.ndarray, labels: np.ndarray, rounds: int) -> np.ndarray:
    """Move each article to the event it is on average most similar to (a few k-means-like rounds)."""
    k = int(labels.max()) + 1
    if k < 2:
        return labels
    for _ in range(rounds):
        off = sim - np.diag(np.diag(sim))
        onehot = np.eye(k)[labels]
        counts = onehot.sum(axis=0) - onehot  # per article: the sizes of the events without itself
        mean = (off @ onehot) / np.maximum(counts, 1)
        new = mean.argmax(axis=1)
        if (new == labels).all() or len(np.unique(new)) < k:
            break
        labels = new
    return labels


# -------------------------------------------------------------- batch
# level-1 thresholds per representation, chosen on ECB+ dev (see bench/ and `newsfold eval clustering`)
TOPIC_THRESHOLDS: dict[str, dict[str, float]] = {
    "minilm": {"topic_threshold": 0.25},
    "static": {"topic_threshold": 0.45},
    "none": {"topic_threshold": 0.15},
}


@dataclass
class BatchClusterer:
    """Two-level batch clustering (see the module docstring); sklearn-style.

    ``fit(features)`` sets ``labels_`` (one story number per article) and
    ``reasons_`` (one line per story number).
    """

    topic_threshold: float = 0.25
    split_model: SplitModel = field(default_factory=SplitModel)
    min_event: int = 3
    dense_weight: float = 0.5
    local_dense_weight: float = 0.3
    date_weight: float = 0.2
    evidence_boost: float = 1.0
    close_days: int = 14
    far_days: int = 365
    small_threshold: float = 0.2
    refine: int = 0
    event_gap_days: int | None = EVENT_GAP_DAYS

    labels_: np.ndarray = field(init=False, repr=False)
    reasons_: list[str] = field(init=False, repr=False)

    @classmethod
    def for_encoder(cls, name: str, **params: Any) -> "BatchClusterer":
        """Defaults measured on ECB+ for each representation (cosines differ in scale between encoders)."""
        base: dict[str, Any] = dict(TOPIC_THRESHOLDS.get(name, {}))
        base.update(params)
        return cls(**base)

    def similarity(self, feats: list[ArticleFeatures]) -> np.ndarray:
        """Level-1 similarity: dense cosine mixed with TF-IDF cosine (names and numbers boosted)."""
        m, idf, ev = _term_matrix(feats)
        tfidf = _cosine_rows(m @ sp.diags(idf * (1.0 + self.evidence_boost * ev)))
        self._plain = _cosine_rows(m @ sp.diags(idf))
        dense = _dense_matrix(feats)
        if dense is None:
            return tfidf
        return self.dense_weight * (dense @ dense.T) + (1 - self.dense_weight) * tfidf

    def group_sims(self, feats: list[ArticleFeatures], topic: np.ndarray) -> GroupSims:
        """Inside one group: what its articles share with only *some* of the group."""
        m, gidf, ev = _term_matrix(feats)
        n = len(feats)
        ldf = np.asarray((m > 0).sum(axis=0)).ravel()
        w = gidf * np.log((n + 1) / (ldf + 1)) * (ldf >= 2) * ev
        x = (m @ sp.diags(w)).toarray()
        norms = np.linalg.norm(x, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        x = x / norms
        evidence = x @ x.T
        dense = _dense_matrix(feats)
        if dense is not None and self.local_dense_weight > 0:
            c = dense - dense.mean(axis=0)
            cn = np.linalg.norm(c, axis=1, keepdims=True)
            cn[cn == 0] = 1.0
            c = c / cn
            sim = self.local_dense_weight * (c @ c.T) + (1 - self.local_dense_weight) * evidence
        else:
            sim = evidence.copy()
        if self.date_weight:
            sim = sim + self.date_weight * _date_matrix(feats, self.close_days, self.far_days)
        return GroupSims(event=sim, evidence=evidence, topic=topic)

    def groups(self, feats: list[ArticleFeatures]) -> np.ndarray:
        """Level 1: topic groups."""
        self._s1 = self.similarity(feats)
        return cut_threshold(self._s1, self.topic_threshold)

    def fit(self, feats: list[ArticleFeatures]) -> "BatchClusterer":
        n = len(feats)
        if n == 0:
            self.labels_, self.reasons_ = np.zeros(0, dtype=int), []
            return self
        groups = self.groups(feats)
        labels = np.full(n, -1, dtype=int)
        reasons: list[str] = []
        for g in np.unique(groups):
            idx = np.where(groups == g)[0]
            sub = [feats[i] for i in idx]
            small = len(idx) < 2 * self.min_event
            if small:  # too few articles to tell events apart statistically: plain TF-IDF cut
                local, splits = cut_threshold(self._plain[np.ix_(idx, idx)], self.small_threshold), []
            else:
                sims = self.group_sims(sub, self._s1[np.ix_(idx, idx)])
                local, splits = split_events(sims, self.split_model, self.min_event, self.refine)
            k = int(local.max()) + 1
            for c in range(k):
                labels[idx[local == c]] = len(reasons)
                if small:
                    reasons.append(f"part {c + 1} of {k} of a small topic group of {len(idx)} articles "
                                   f"(TF-IDF average similarity ≥ {self.small_threshold})")
                elif k == 1:
                    reasons.append(f"one topic group of {len(idx)} articles, no event split")
                else:
                    s = splits[0]
                    reasons.append(f"event {c + 1} of {k} in a topic group of {len(idx)} articles "
                                   f"(the halves share {s.evidence_ratio:.0%} of their names/numbers cohesion "
                                   f"and {s.topic_ratio:.0%} of their topic cohesion)")
        if self.event_gap_days is not None:
            labels, parts = split_by_event_dates(labels, feats, self._s1, self.event_gap_days)
            first = list(reasons)
            for lab, (old, r, k) in sorted(parts.items()):
                why = f"{first[old]}; part {r} of {k}: event dates more than {self.event_gap_days} days apart"
                if lab < len(reasons):
                    reasons[lab] = why
                else:
                    reasons.append(why)
        self.labels_ = labels
        self.reasons_ = reasons
        return self

    def fit_predict(self, feats: list[ArticleFeatures]) -> np.ndarray:
        return self.fit(feats).labels_


# ------------------------------------------------------------- online
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
