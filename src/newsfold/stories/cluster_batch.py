"""The batch fold: articles → stories, all at once (:class:`BatchClusterer`); online placement is in
:mod:`.cluster_online`.

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
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from .eventdate import EVENT_GAP_DAYS
from .represent import ArticleFeatures, is_evidence

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
