"""The batch fold: articles → stories, all at once (:class:`BatchClusterer`); online placement is in
:mod:`.cluster_online`.  Both ask :mod:`.decide` whether two sides are one story.

1. **Candidates.**  Each article meets only the articles that share its
   rarest names, numbers and words (:func:`~.termspace.candidate_pairs`);
   no article × article matrix is built.
2. **Average linkage on the decision.**  Stories start as single articles;
   the two adjacent stories with the highest same-story score merge while
   it reaches the decision's ``group`` level and no event-date gap vetoes
   it.  The score between two stories is the mean over their article pairs,
   computed exactly from their sums (:class:`~.decide.Members`).  Cut at
   the decision's ``join`` level, this gives the stories; cut at ``group``,
   the topic groups.
3. **Few look-alike events in a topic group.**  A topic group of at least
   ``2 × min_event`` articles that holds only a few candidate events (the
   decision's ``max_events`` stories at its ``count`` level) is split by the
   relative rule of :mod:`.split` (what its articles share with only some of
   the group), so two earthquakes or two rehab stays reported alike stay
   apart.  A group of many look-alike events (a city's shootings over a
   year) keeps the cut at ``join``.
4. **A small topic group folded again, its topic words counted as common.**
   The IDF is the whole input's: among unrelated articles, the words that
   every report of one topic shares (its people, its places) are rare, and
   they outweigh what tells two of its events apart.  A topic group too small
   for the relative split but larger than one event (``min_event + 1`` to
   ``2 × min_event − 1`` articles) is folded again with the words all of its
   articles share given the IDF of a word found everywhere; every other
   word keeps its weight.  A story is kept only where both folds agree: the
   second fold can part a story, never join two.

Every story carries a reason: the score of its last merge with the names its
articles share most and the days its event dates span, or the split.
"""

from __future__ import annotations

import heapq
import logging
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import scipy.sparse as sp

from .decide import GAP_SCALE_DAYS, Decision, Members, SideSums, decision_for, describe_days
from .represent import ArticleFeatures, is_evidence
from .split import GroupSplitter
from .termspace import TermSpace, candidate_pairs
from ..text import plural
from ..unionfind import UnionFind

log = logging.getLogger(__name__)


@dataclass
class Merge:
    """One step of the agglomeration: ``b`` joined ``a`` at ``score`` (ids are leaf numbers)."""

    a: int
    b: int
    score: float


def article_members(space: TermSpace, feats: list[ArticleFeatures]) -> list[Members]:
    """One :class:`Members` per article: its unit term vector, dense vector and event date."""
    out = []
    for i, f in enumerate(feats):
        d = f.event_date or f.date
        out.append(Members.one(space.row(i), f.dense, d.toordinal() if d else None, f.outlet, f.weekday))
    return out


def pair_evidence(space: TermSpace, feats: list[ArticleFeatures], ii: np.ndarray, jj: np.ndarray) -> np.ndarray:
    """The :class:`~.decide.Evidence` vectors of article pairs ``(ii[k], jj[k])`` at once (one row each):
    what :func:`~.decide.evidence` gives for two single articles, computed on whole arrays."""
    m = space.matrix
    step = 100_000  # pairs at a time: the row products of a chunk stay small
    text = np.concatenate([np.asarray(m[ii[k:k + step]].multiply(m[jj[k:k + step]]).sum(axis=1)).ravel()
                           for k in range(0, len(ii), step)]) if len(ii) else np.zeros(0)
    if feats and all(f.dense is not None for f in feats):
        dense_m = np.vstack([f.dense for f in feats]).astype(np.float32)
        dense = np.einsum("ij,ij->i", dense_m[ii], dense_m[jj]).astype(np.float64)
    else:
        dense = np.zeros(len(ii))
    days = np.array([(f.event_date or f.date).toordinal() if (f.event_date or f.date) else -1 for f in feats],
                    dtype=np.int64)
    dated = (days[ii] >= 0) & (days[jj] >= 0)
    gap = np.where(dated, np.log2(1.0 + np.abs(days[ii] - days[jj]) / GAP_SCALE_DAYS), 0.0)
    outlets = [f.outlet or "" for f in feats]
    same = np.array([bool(outlets[i]) and outlets[i] == outlets[j] for i, j in zip(ii.tolist(), jj.tolist())],
                    dtype=np.float64)
    wd = np.array([-1 if f.weekday is None else f.weekday for f in feats], dtype=np.int64)
    named = (wd[ii] >= 0) & (wd[jj] >= 0) & ~dated
    day_same = named & (wd[ii] == wd[jj])
    return np.column_stack([text, dense, gap, dated.astype(np.float64), same, day_same.astype(np.float64),
                            (named & ~day_same).astype(np.float64)])


def agglomerate(members: list[Members], pairs: tuple[np.ndarray, np.ndarray], first: np.ndarray,
                decision: Decision, stop: float) -> list[Merge]:
    """Average linkage on the decision's score over the candidate graph, down to ``stop``.

    ``members`` are consumed (merged in place); ``first``: the pairs' evidence
    rows (:func:`pair_evidence`).  Between adjacent
    stories the *sum* of their pair evidence is kept: a merged story's sum
    with a neighbour is the sum of its two parts' (the Lance–Williams update
    of average linkage); a part that was not adjacent is measured from the
    members' sums.  Returns the merges in the order made (scores never rise:
    average linkage is reducible).
    """
    n = len(members)
    ii, jj = pairs
    w = np.asarray(decision.weights, dtype=np.float64)
    bias = decision.bias
    sums: list[dict[int, np.ndarray]] = [{} for _ in range(n)]  # cluster → neighbour → summed pair evidence
    for i, j, e in zip(ii.tolist(), jj.tolist(), first):
        if i != j:
            sums[i][j] = sums[j][i] = e
    size = np.array([m.size for m in members], dtype=np.float64)
    version = [0] * n
    alive = [True] * n
    sides = SideSums(members)
    lo = np.array([min(m.dates) if m.dates else np.nan for m in members])  # event-date spans (NaN: undated)
    hi = np.array([max(m.dates) if m.dates else np.nan for m in members])

    def entries(a: int, cs: list[int], totals: np.ndarray) -> list[tuple[float, int, int, int, int]]:
        """Heap entries of the pairs (a, c) that reach ``stop`` and that no date gap vetoes."""
        if not cs:
            return []
        c = np.array(cs)
        sc = totals @ w / (size[a] * size[c]) + bias
        keep = (sc >= stop) & ~decision.spans_apart(lo[a], hi[a], lo[c], hi[c])
        va = version[a]
        return [(-float(sc[k]), a, cs[k], va, version[cs[k]]) for k in np.flatnonzero(keep).tolist()]

    heap: list[tuple[float, int, int, int, int]] = []
    for i in range(n):
        later = [j for j in sums[i] if j > i]
        if later:
            heap += entries(i, later, np.vstack([sums[i][j] for j in later]))
    heapq.heapify(heap)
    merges: list[Merge] = []
    while heap:
        neg, a, b, va, vb = heapq.heappop(heap)
        if not (alive[a] and alive[b]) or version[a] != va or version[b] != vb:
            continue
        if len(sums[a]) < len(sums[b]):
            a, b = b, a
        sa, sb = sums[a], sums[b]
        sa.pop(b, None)
        sb.pop(a, None)
        only_a = [c for c in sa if c not in sb]  # neighbours of a only: measure b against them
        for c, e in zip(only_a, sides.against(b, only_a)):
            sa[c] = sa[c] + e
        only_b = [c for c in sb if c not in sa]  # neighbours of b only: measure a against them
        for c, e in zip(only_b, sides.against(a, only_b)):
            sa[c] = sb[c] + e
        both = sb.keys() - set(only_b)
        for c, e in sb.items():
            if c in both:
                sa[c] = sa[c] + e
            del sums[c][b]
        members[a].absorb(members[b])
        sides.forget(a)
        sides.forget(b)
        size[a] += size[b]
        lo[a], hi[a] = np.fmin(lo[a], lo[b]), np.fmax(hi[a], hi[b])
        alive[b] = False
        sums[b] = {}
        version[a] += 1
        merges.append(Merge(a, b, -neg))
        cs = list(sa)
        for c in cs:
            sums[c][a] = sa[c]
        if cs:
            for x in entries(a, cs, np.vstack([sa[c] for c in cs])):
                heapq.heappush(heap, x)
    return merges


def cut(n: int, merges: list[Merge], level: float) -> np.ndarray:
    """Cluster numbers (0..k-1, in order of first article) after the merges scoring at least ``level``."""
    sets = UnionFind(n)
    for m in merges:
        if m.score >= level:
            sets.union(m.a, m.b)
    return np.array(sets.labels(), dtype=int)


@dataclass
class BatchClusterer:
    """The batch fold (see the module docstring); sklearn-style.

    ``fit(features)`` sets ``labels_`` (one story number per article) and
    ``reasons_`` (one line per story number).
    """

    decision: Decision = field(default_factory=lambda: decision_for("minilm"))
    splitter: GroupSplitter = field(default_factory=GroupSplitter)
    neighbours: int = 30
    max_split_group: int = 3000
    event_gap_days: int | None | str = "decision"

    labels_: np.ndarray = field(init=False, repr=False)
    reasons_: list[str] = field(init=False, repr=False)

    @classmethod
    def for_encoder(cls, name: str, **params: Any) -> "BatchClusterer":
        """The decision fitted for representation ``name`` (cosines differ in scale between encoders)."""
        params.setdefault("decision", decision_for(name))
        return cls(**params)

    def _decision(self) -> Decision:
        if self.event_gap_days == "decision":
            return self.decision
        return replace(self.decision, event_gap_days=self.event_gap_days)  # type: ignore[arg-type]

    def fit(self, feats: list[ArticleFeatures]) -> "BatchClusterer":
        decision = self._decision()
        return self.label(feats, self.merges(feats, decision), decision)

    def merges(self, feats: list[ArticleFeatures], decision: Decision) -> list[Merge]:
        """The agglomeration down to the decision's ``group`` level (steps 1 and 2)."""
        if not feats:
            return []
        space = TermSpace.fit(feats)
        self.space_ = space
        ii, jj = candidate_pairs(space, k=self.neighbours)
        return agglomerate(article_members(space, feats), (ii, jj), pair_evidence(space, feats, ii, jj), decision,
                           decision.group)

    def label(self, feats: list[ArticleFeatures], merges: list[Merge], decision: Decision) -> "BatchClusterer":
        """Stories from the merges: cut at ``join``, large topic groups split by events, small ones folded
        again with their topic words counted as common (steps 3 and 4)."""
        n = len(feats)
        if n == 0:
            self.labels_, self.reasons_ = np.zeros(0, dtype=int), []
            return self
        groups = cut(n, merges, decision.group)
        stories = cut(n, merges, decision.join)
        counted = cut(n, merges, decision.count)
        story_sizes = np.bincount(stories)
        labels = np.full(n, -1, dtype=int)
        reasons: list[str] = []
        splitter = replace(self.splitter, min_event=decision.min_event, weekday_weight=decision.split_weekday)
        big = 2 * splitter.min_event
        for g in range(int(groups.max()) + 1):
            idx = np.where(groups == g)[0]
            if big <= len(idx) <= self.max_split_group and len(set(counted[idx].tolist())) <= decision.max_events:
                local, splits = splitter.split([feats[i] for i in idx])
                k = int(local.max()) + 1
                for c in range(k):
                    labels[idx[local == c]] = len(reasons)
                    if k == 1:
                        reasons.append(f"one event in a topic group of {len(idx)} articles")
                    elif not splits:
                        reasons.append(f"part {c + 1} of {k} of a topic group of {len(idx)} articles: "
                                       "less alike than an average pair of the group")
                    else:
                        s = splits[0]
                        reasons.append(f"event {c + 1} of {k} in a topic group of {len(idx)} articles "
                                       f"(the halves share {s.evidence_ratio:.0%} of their names/numbers "
                                       f"cohesion and {s.topic_ratio:.0%} of their topic cohesion)")
                continue
            parts = stories[idx]
            if splitter.min_event < len(idx) < big:  # step 4
                parts = parts * len(idx) + self._fold_topic_as_common(feats, idx, decision)
            for c in dict.fromkeys(parts.tolist()):
                members = idx[parts == c]
                labels[members] = len(reasons)
                rest = int(story_sizes[stories[members[0]]]) - len(members)
                if rest:
                    reasons.append(f"{'a story of its own' if len(members) == 1 else 'same story'}: parted from "
                                   f"{plural(rest, 'other article')} when its topic group of {len(idx)} articles "
                                   "was folded again with the words all of them share counted as common")
                else:
                    reasons.append(self._reason(feats, members, merges, decision))
        self.labels_ = labels
        self.reasons_ = reasons
        return self

    def _fold_topic_as_common(self, feats: list[ArticleFeatures], idx: np.ndarray, decision: Decision) -> np.ndarray:
        """Stories of the topic group ``idx`` folded again, the words all its articles share counted as
        common (IDF 1, as if every article held them); all its pairs are candidates (step 4)."""
        space = self.space_  # the one :meth:`merges` fitted on these articles
        rows = space.matrix[idx]  # a copy
        terms, held = np.unique(rows.indices, return_counts=True)
        common = np.isin(rows.indices, terms[held == len(idx)])
        rows.data[common] /= space.idf[rows.indices[common]]
        norms = np.sqrt(np.asarray(rows.multiply(rows).sum(axis=1)).ravel())
        group = replace(space, matrix=(sp.diags(1.0 / np.where(norms > 0, norms, 1.0)) @ rows).tocsr())
        sub = [feats[i] for i in idx.tolist()]
        ii, jj = np.triu_indices(len(sub), 1)
        merges = agglomerate(article_members(group, sub), (ii, jj), pair_evidence(group, sub, ii, jj), decision,
                             decision.join)
        return cut(len(sub), merges, decision.join)

    def _reason(self, feats: list[ArticleFeatures], members: np.ndarray, merges: list[Merge],
                decision: Decision) -> str:
        """The last merge's score, the names most of the story's articles share, and how far apart its dates lie."""
        if len(members) == 1:
            return "a story of its own: no other article reached the same-story score"
        ids = set(members.tolist())
        score = next((m.score for m in reversed(merges) if m.score >= decision.join and m.a in ids), None)
        counts: Counter[str] = Counter()
        for i in members.tolist():
            counts.update(t for t in feats[i].terms if is_evidence(t))
        idf = self.space_.idf
        vocab = self.space_.vocab
        shared = sorted((t for t, c in counts.items() if c >= 2), key=lambda t: (-counts[t], -idf[vocab[t]]))[:3]
        parts = [f"same story: {len(members)} articles joined"
                 + (f" (last join scored {score:+.2f} ≥ {decision.join:+.2f})" if score is not None else "")]
        parts.append("they share " + ", ".join(shared) if shared else "they share no distinctive name")
        dates = [d for d in (feats[i].event_date or feats[i].date for i in members.tolist()) if d is not None]
        if len(dates) >= 2:
            span = (max(dates) - min(dates)).days
            within = describe_days(span).removesuffix(" apart")
            parts.append("event dates on one day" if span == 0 else f"event dates within {within}")
        return "; ".join(parts)

    def fit_predict(self, feats: list[ArticleFeatures]) -> np.ndarray:
        return self.fit(feats).labels_
