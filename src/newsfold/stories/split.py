"""Look-alike events inside one topic group: the relative split the batch fold applies to large groups.

Two events of the same kind (two earthquakes, two rehab check-ins) share
most of their vocabulary.  Inside a topic group (articles the same-story
decision put near each other, :mod:`.cluster_batch`) the shared topic is
removed: dense vectors are centred on the group mean, and the TF-IDF is
re-weighted by a *local* IDF over names and numbers that occur in at least
two of the group's articles (what the articles share with only some of
their group: who, where, how many).  Articles with dates close together
attract, far apart repel.  The group's dendrogram is then split top-down
while the two halves are less alike than an average pair of the group;
fragments smaller than ``min_event`` are put back into the closest event.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

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


def _weekday_matrix(feats: list[ArticleFeatures]) -> np.ndarray:
    """+1 for two leads naming the same weekday, -1 for two naming different ones (pairs not both dated)."""
    wd = np.array([-1 if f.weekday is None else f.weekday for f in feats])
    dated = np.array([f.date is not None for f in feats])
    named = (wd[:, None] >= 0) & (wd[None, :] >= 0) & ~(dated[:, None] & dated[None, :])
    return np.where(named, np.where(wd[:, None] == wd[None, :], 1.0, -1.0), 0.0)


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
    0``); it was chosen by cross-validation across ECB+ topics (fit on
    half the topics, score the other half) among rules
    ``between + a·ratio < τ``.
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




@dataclass
class GroupSplitter:
    """The relative split's parameters; :meth:`split` labels one group's articles by event."""

    split_model: SplitModel = field(default_factory=SplitModel)
    min_event: int = 3
    dense_weight: float = 0.5
    local_dense_weight: float = 0.3
    date_weight: float = 0.2
    weekday_weight: float = 0.0
    evidence_boost: float = 1.0
    close_days: int = 14
    far_days: int = 365
    refine: int = 0

    def topic_similarity(self, feats: list[ArticleFeatures]) -> np.ndarray:
        """Dense cosine mixed with TF-IDF cosine (names and numbers boosted), over the group."""
        m, idf, ev = _term_matrix(feats)
        tfidf = _cosine_rows(m @ sp.diags(idf * (1.0 + self.evidence_boost * ev)))
        dense = _dense_matrix(feats)
        if dense is None:
            return tfidf
        return self.dense_weight * (dense @ dense.T) + (1 - self.dense_weight) * tfidf

    def group_sims(self, feats: list[ArticleFeatures]) -> GroupSims:
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
        if self.weekday_weight:
            sim = sim + self.weekday_weight * _weekday_matrix(feats)
        return GroupSims(event=sim, evidence=evidence, topic=self.topic_similarity(feats))

    def split(self, feats: list[ArticleFeatures]) -> tuple[np.ndarray, list[Split]]:
        """One event number per article of the group, and the splits made."""
        return self.split_sims(self.group_sims(feats))

    def split_sims(self, sims: GroupSims) -> tuple[np.ndarray, list[Split]]:
        return split_events(sims, self.split_model, self.min_event, self.refine)
