"""The same-story decision: do two sets of articles (an article and a story, or two stories) report one event?

One decision serves the batch fold (:mod:`.cluster_batch`), online placement
(:mod:`.cluster_online`), the refold and the engines.  It weighs the evidence
*between the two sides*, averaged over their article pairs:

- ``text``: TF-IDF cosine, names and numbers boosted.  The IDF comes from the
  corpus being folded, so the words a whole stream shares (``shot``,
  ``police``, ``hospital``) weigh little and what tells incidents apart
  (place and person names, ages, counts, street names) weighs much;
- ``dense``: the encoder's cosine (0 without an encoder);
- ``gap``: ``log2(1 + days / 7)`` between the two articles' event dates, over
  the pairs where both are dated; ``dated``: the share of such pairs;
- ``outlet``: the share of pairs from one outlet (both known).  One outlet's
  reports share its local vocabulary and its page furniture, so two of its
  articles alike in words are less often one event than two outlets' are;
- ``day_same``, ``day_differs``: over the pairs not both dated, the share
  whose leads name the same weekday (``said on Sunday``) and the share whose
  leads name two different ones.  An undated report still says on which day
  its event happened; two reports of one statement name one day, last
  year's statement was made on another (a dated pair's weekday is already
  in its event dates).

The score is linear in that evidence (a logit), so the mean over all article
pairs of two stories is the score of their *sums*: a story keeps the sum of
its members' unit vectors and a histogram of their event dates
(:class:`Members`), and the evidence between two stories is exact without
visiting their articles one by one.  That is average linkage, batch and
online alike.  Dates are evidence between the two sides only: no third
story's dates bridge a gap.  A side whose event dates all lie more than
``event_gap_days`` from the other's is never joined (a developing story is
bridged by its own members).

The weights are fitted by ``bench/fit_decision.py`` on development data
(GVA 2013–2015 and ECB+; its held-out figures come from fits that leave
out the set they score) and kept here as numbers; nothing here names any
word, place, person or outlet.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

GAP_SCALE_DAYS = 7.0  # the date gap counts in weeks, on a log scale


def gap_weight(days: float) -> float:
    """How far apart two event dates are, on the decision's scale: ``log2(1 + days / 7)``."""
    return math.log2(1.0 + abs(days) / GAP_SCALE_DAYS)


@dataclass
class Members:
    """What a story (or one article) brings to the decision: sums over its articles.

    ``terms``: the sum of its articles' unit TF-IDF vectors (term id → weight);
    ``dense``: the sum of their unit dense vectors (``None`` without an encoder);
    ``dates``: event date (ordinal) → number of articles; ``size``: articles.
    """

    terms: dict[int, float] = field(default_factory=dict)
    dense: np.ndarray | None = None
    dates: Counter[int] = field(default_factory=Counter)
    size: int = 0
    outlets: Counter[str] = field(default_factory=Counter)
    # lead weekday (as ``date.weekday()``) → articles; ``weekdays_dated``: the same among the dated articles
    weekdays: Counter[int] = field(default_factory=Counter)
    weekdays_dated: Counter[int] = field(default_factory=Counter)

    @classmethod
    def one(cls, terms: dict[int, float], dense: np.ndarray | None, date: int | None,
            outlet: str | None = None, weekday: int | None = None) -> "Members":
        wd = Counter([weekday]) if weekday is not None else Counter()
        return cls(terms=dict(terms), dense=None if dense is None else np.asarray(dense, dtype=np.float64).copy(),
                   dates=Counter([date]) if date is not None else Counter(), size=1,
                   outlets=Counter([outlet]) if outlet else Counter(),
                   weekdays=wd, weekdays_dated=wd if date is not None else Counter())

    def absorb(self, other: "Members") -> None:
        """Add ``other``'s articles to these sums."""
        terms = self.terms
        for j, w in other.terms.items():
            terms[j] = terms.get(j, 0.0) + w
        if other.dense is not None:
            self.dense = other.dense.copy() if self.dense is None else self.dense + other.dense
        self.dates.update(other.dates)
        self.outlets.update(other.outlets)
        self.weekdays.update(other.weekdays)
        self.weekdays_dated.update(other.weekdays_dated)
        self.size += other.size

    @property
    def dated(self) -> int:
        return sum(self.dates.values())

    def span(self) -> tuple[int, int] | None:
        return (min(self.dates), max(self.dates)) if self.dates else None


@dataclass
class Evidence:
    """The evidence between two sides, each figure a mean over their article pairs."""

    text: float
    dense: float
    gap: float
    dated: float
    outlet: float = 0.0
    day_same: float = 0.0
    day_differs: float = 0.0
    days: int | None = None       # the smallest gap between their event dates (None: undated, or not asked)
    shared: tuple[int, ...] = ()  # the term ids that contribute most to ``text`` (when asked)

    def vector(self) -> np.ndarray:
        return np.array([self.text, self.dense, self.gap, self.dated, self.outlet, self.day_same, self.day_differs])


def _match(a: Counter, b: Counter) -> int:
    """The number of pairs (one from each side) with equal keys."""
    small, big = (a, b) if len(a) < len(b) else (b, a)
    return sum(c * big.get(k, 0) for k, c in small.items())


def _dot(a: dict[int, float], b: dict[int, float]) -> float:
    small, big = (a, b) if len(a) < len(b) else (b, a)
    get = big.get
    return sum(w * get(j, 0.0) for j, w in small.items())


def mean_gap(a: Counter[int], b: Counter[int]) -> float:
    """The sum over dated pairs of :func:`gap_weight` (divide by the pair count for the mean)."""
    if not a or not b:
        return 0.0
    da = np.fromiter(a.keys(), dtype=np.float64, count=len(a))
    ca = np.fromiter(a.values(), dtype=np.float64, count=len(a))
    db = np.fromiter(b.keys(), dtype=np.float64, count=len(b))
    cb = np.fromiter(b.values(), dtype=np.float64, count=len(b))
    g = np.log2(1.0 + np.abs(da[:, None] - db[None, :]) / GAP_SCALE_DAYS)
    return float(ca @ g @ cb)


def closest_days(a: Counter[int], b: Counter[int]) -> int | None:
    """Days between the nearest event dates of the two sides (``None`` when one is undated)."""
    if not a or not b:
        return None
    sa, sb = sorted(a), sorted(b)
    i = j = 0
    best = abs(sa[0] - sb[0])
    while i < len(sa) and j < len(sb) and best:
        best = min(best, abs(sa[i] - sb[j]))
        if sa[i] < sb[j]:
            i += 1
        else:
            j += 1
    return best


def evidence(a: Members, b: Members, top_terms: int = 0) -> Evidence:
    """The mean pair evidence between sides ``a`` and ``b`` (see the module docstring).

    With ``top_terms``, also what a reason says: the terms that weigh most and the days between the
    nearest event dates (left out otherwise: the agglomeration asks for the figures alone).
    """
    pairs = float(a.size * b.size) or 1.0
    text = _dot(a.terms, b.terms) / pairs
    dense = float(a.dense @ b.dense) / pairs if a.dense is not None and b.dense is not None else 0.0
    dated_pairs = a.dated * b.dated
    gap = mean_gap(a.dates, b.dates) / pairs if dated_pairs else 0.0
    shared: tuple[int, ...] = ()
    days = None
    if top_terms:
        days = closest_days(a.dates, b.dates)
        small, big = (a.terms, b.terms) if len(a.terms) < len(b.terms) else (b.terms, a.terms)
        contrib = ((w * big[j], j) for j, w in small.items() if j in big)
        shared = tuple(j for _, j in heapq.nlargest(top_terms, contrib))
    outlet = _match(a.outlets, b.outlets) / pairs
    # weekday pairs not both dated: all pairs naming a day, less the dated ones (none when a side names no day)
    named = same = 0
    if a.weekdays and b.weekdays:
        named = (sum(a.weekdays.values()) * sum(b.weekdays.values())
                 - sum(a.weekdays_dated.values()) * sum(b.weekdays_dated.values()))
        same = _match(a.weekdays, b.weekdays) - _match(a.weekdays_dated, b.weekdays_dated)
    return Evidence(text=text, dense=dense, gap=gap, dated=dated_pairs / pairs, outlet=outlet,
                    day_same=same / pairs, day_differs=(named - same) / pairs, days=days, shared=shared)


class SideSums:
    """:func:`evidence` between one side and many at once, as *sums* over their article pairs (the agglomeration
    measures a story just merged against each neighbour of its partner: hundreds of sides per merge).

    Each side's counts are kept as arrays (:meth:`arrays`; :meth:`forget` drops them when the side changes):
    its terms and outlets as index and weight arrays, its event dates as ordinals and counts, its weekdays as
    two 7-vectors.  The one side's terms and outlets are scattered into dense buffers, so each figure for all
    the other sides is one gather and one segment sum.
    """

    def __init__(self, members: list[Members]) -> None:
        self.members = members
        self.terms = np.zeros(1 + max((max(m.terms) for m in members if m.terms), default=0))
        self.outlet_ids: dict[str, int] = {}
        for m in members:
            for o in m.outlets:
                self.outlet_ids.setdefault(o, len(self.outlet_ids))
        self.outlets = np.zeros(len(self.outlet_ids) + 1)
        self._arrays: dict[int, tuple[np.ndarray, ...]] = {}

    def arrays(self, k: int) -> tuple[np.ndarray, ...]:
        """Side ``k``'s term ids, term weights, date ordinals, date counts, outlet ids, outlet counts, weekday
        counts and dated weekday counts."""
        got = self._arrays.get(k)
        if got is None:
            m = self.members[k]
            week, week_dated = np.zeros(7), np.zeros(7)
            for d, c in m.weekdays.items():
                week[d] = c
            for d, c in m.weekdays_dated.items():
                week_dated[d] = c
            got = self._arrays[k] = (
                np.fromiter(m.terms.keys(), dtype=np.int64, count=len(m.terms)),
                np.fromiter(m.terms.values(), dtype=np.float64, count=len(m.terms)),
                np.fromiter(m.dates.keys(), dtype=np.float64, count=len(m.dates)),
                np.fromiter(m.dates.values(), dtype=np.float64, count=len(m.dates)),
                np.fromiter((self.outlet_ids[o] for o in m.outlets), dtype=np.int64, count=len(m.outlets)),
                np.fromiter(m.outlets.values(), dtype=np.float64, count=len(m.outlets)),
                week, week_dated)
        return got

    def forget(self, k: int) -> None:
        self._arrays.pop(k, None)

    def against(self, one: int, others: list[int]) -> np.ndarray:
        """``evidence(members[one], members[c]).vector() * pairs`` for each ``c`` of ``others`` (one row each)."""
        out = np.zeros((len(others), 7))
        if not others:
            return out
        a = self.members[one]
        mine = self.arrays(one)
        theirs = [self.arrays(c) for c in others]
        out[:, 0] = _gathered(self.terms, mine[0], mine[1], [t[0] for t in theirs], [t[1] for t in theirs])
        out[:, 4] = _gathered(self.outlets, mine[4], mine[5], [t[4] for t in theirs], [t[5] for t in theirs])
        if a.dense is not None:
            sides = [self.members[c].dense for c in others]
            if all(d is not None for d in sides):
                out[:, 1] = np.vstack(sides) @ a.dense
        if len(mine[2]):
            lengths = np.array([len(t[2]) for t in theirs])
            if lengths.any():
                keys = np.concatenate([t[2] for t in theirs])
                per = (np.log2(1.0 + np.abs(keys[:, None] - mine[2][None, :]) / GAP_SCALE_DAYS) @ mine[3])
                out[:, 2] = _segment_sums(per * np.concatenate([t[3] for t in theirs]), lengths)
                out[:, 3] = mine[3].sum() * np.array([t[3].sum() for t in theirs])
        if mine[6].any():
            week = np.vstack([t[6] for t in theirs])
            week_dated = np.vstack([t[7] for t in theirs])
            # weekday pairs not both dated: all pairs naming a day less the dated ones (none when a side names none)
            named = mine[6].sum() * week.sum(axis=1) - mine[7].sum() * week_dated.sum(axis=1)
            same = week @ mine[6] - week_dated @ mine[7]
            out[:, 5] = same
            out[:, 6] = named - same
        return out


def _gathered(buffer: np.ndarray, idx: np.ndarray, w: np.ndarray, idxs: list[np.ndarray],
              ws: list[np.ndarray]) -> np.ndarray:
    """The dot products of one sparse vector (``idx``, ``w``) with many (``idxs``, ``ws``), through ``buffer``
    (zeros, as wide as the ids; left zero)."""
    lengths = np.array([len(i) for i in idxs])
    if not len(idx) or not lengths.any():
        return np.zeros(len(idxs))
    buffer[idx] = w
    got = buffer[np.concatenate(idxs)] * np.concatenate(ws)
    buffer[idx] = 0.0
    return _segment_sums(got, lengths)


def _segment_sums(values: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The sums of consecutive runs of ``values`` of the given ``lengths`` (0 for an empty run)."""
    out = np.zeros(len(lengths))
    full = lengths > 0
    if full.any():
        starts = np.cumsum(lengths) - lengths
        out[full] = np.add.reduceat(values, starts[full])
    return out


@dataclass
class Decision:
    """The same-story decision for one representation: a logit on :class:`Evidence`.

    ``join``: two sides are one story when their score reaches it.
    ``group``: the looser score at which sides form a *topic group*.
    ``count``, ``max_events``: a topic group that holds at most
    ``max_events`` candidate events (stories at the ``count`` level) is a
    topic with few events (two earthquakes, two rehab stays), which the batch
    fold splits by what only some of its articles share
    (:mod:`newsfold.stories.split`), when it holds at least ``2 × min_event``
    articles; a group of many look-alike events (a city's shootings) is cut
    at ``join``.
    ``split_weekday``: in that split, how much two undated leads naming the
    same weekday attract and two naming different ones repel.
    ``event_gap_days``: sides whose nearest event dates lie further apart
    are never joined (``None``: no limit).
    """

    weights: tuple[float, ...]  # one per :meth:`Evidence.vector` figure
    bias: float
    join: float
    group: float
    count: float = -1.5
    max_events: int = 6
    min_event: int = 3
    split_weekday: float = 0.0
    event_gap_days: int | None = 1095
    fitted_on: str = ""

    def score(self, ev: Evidence) -> float:
        return float(np.dot(self.weights, ev.vector())) + self.bias

    def vetoed(self, a: Members, b: Members) -> bool:
        """True when the two sides' nearest event dates lie more than ``event_gap_days`` apart."""
        if self.event_gap_days is None or not a.dates or not b.dates:
            return False
        (a0, a1), (b0, b1) = a.span(), b.span()  # type: ignore[misc]
        return bool(self.spans_apart(a0, a1, b0, b1))

    def spans_apart(self, a0: Any, a1: Any, b0: Any, b1: Any) -> Any:
        """:meth:`vetoed` on event-date spans (first, last ordinal; numbers or arrays, NaN for an undated side)."""
        if self.event_gap_days is None:
            return np.zeros(np.broadcast(a0, b0).shape, dtype=bool) if np.ndim(a0) or np.ndim(b0) else False
        return np.maximum(np.subtract(b0, a1), np.subtract(a0, b1)) > self.event_gap_days

    def reason(self, ev: Evidence, score: float, names: Callable[[int], str] | None = None) -> str:
        """Why: the score against the threshold, the shared names and words that weigh most, the date gap."""
        verdict = "same story" if score >= self.join else "different stories"
        parts = [f"{verdict}: score {score:+.2f} {'≥' if score >= self.join else '<'} {self.join:+.2f}"]
        if ev.shared and names is not None:
            parts.append("shares " + ", ".join(names(j) for j in ev.shared))
        elif names is not None:
            parts.append("shares no distinctive word")
        if ev.days is not None:
            parts.append(describe_days(ev.days))
        return "; ".join(parts)


def describe_days(days: int) -> str:
    """``same day`` / ``3 days apart`` / ``5 weeks apart`` / ``14 months apart`` / ``2 years apart``."""
    if days == 0:
        return "same day"
    if days < 14:
        return f"{days} day{'s' if days != 1 else ''} apart"
    if days < 61:
        return f"{round(days / 7)} weeks apart"
    if days < 730:
        return f"{round(days / 30.4)} months apart"
    return f"{days / 365.25:.0f} years apart"


# Fitted by `python bench/fit_decision.py` (see its docstring for the protocol and the printout).
DECISIONS: dict[str, Decision] = {
    "minilm": Decision(weights=(11.804, 4.817, -0.922, 1.425, -1.675, 0.614, -0.679), bias=-5.884, join=-0.5,
                       group=-4.5, count=-1.5, max_events=6, min_event=4, split_weekday=0.05,
                       fitted_on="GVA 2013-2015 + ECB+ ecb0+ecb1 (levels also on the SemEval pairs)"),
    "none": Decision(weights=(16.199, 0.0, -0.975, 1.369, -2.165, 0.559, -0.812), bias=-3.851, join=-0.5,
                     group=-4.5, count=-1.5, max_events=4, min_event=4, split_weekday=0.0,
                     fitted_on="GVA 2013-2015 + ECB+ ecb0+ecb1 (levels also on the SemEval pairs)"),
}
# static: no fit of its own yet (it needs torch to distil); it takes the MiniLM decision it was distilled from
DECISIONS["static"] = DECISIONS["minilm"]


def decision_for(encoder: str) -> Decision:
    """The fitted decision for an encoder family (``minilm``, ``static``, ``none``)."""
    return DECISIONS.get(encoder, DECISIONS["none"])
