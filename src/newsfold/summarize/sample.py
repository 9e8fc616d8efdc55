"""Which articles a big story's briefing reads: a bounded sample spread over outlets and time.

A story of thousands of articles is mostly copies; its briefing reads at
most ``SAMPLE_SIZE`` of them, so a briefing costs the same whatever the
story's size.  Originals come before copies (an article with a
``dup_links`` row is a copy of its canonical article); the chosen
articles are spread over the story's time span (one from each of
``SAMPLE_SIZE`` equal runs of its articles in publication order) and
over its outlets (within a run, the outlet read least so far).  A story
that fits is read whole.  The briefing says when it was sampled
(``Briefing.sampled``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

SAMPLE_SIZE = 40


@dataclass
class Member:
    """What sampling needs to know of one article of a story."""

    id: str
    outlet: str | None = None
    published: str | None = None
    duplicate: bool = False


def choose_sample(members: Sequence[Member], size: int = SAMPLE_SIZE) -> list[str]:
    """Ids of at most ``size`` members: originals first, spread over time and outlets (all when they fit)."""
    if len(members) <= size:
        return [m.id for m in members]
    ordered = sorted(members, key=lambda m: (m.published is None, m.published or "", m.id))
    used: Counter[str] = Counter()
    chosen: list[str] = []
    for pool in ([m for m in ordered if not m.duplicate], [m for m in ordered if m.duplicate]):
        chosen.extend(_spread(pool, size - len(chosen), used))
        if len(chosen) >= size:
            break
    return chosen


def _spread(pool: Sequence[Member], k: int, used: Counter[str]) -> list[str]:
    """``k`` members of ``pool`` (in time order): one per equal run, from the least-read outlet."""
    if k <= 0:
        return []
    if len(pool) <= k:
        for m in pool:
            used[m.outlet or m.id] += 1
        return [m.id for m in pool]
    out = []
    for j in range(k):
        lo, hi = j * len(pool) // k, (j + 1) * len(pool) // k
        mid = (lo + hi - 1) / 2
        best = min(range(lo, hi), key=lambda i: (used[pool[i].outlet or pool[i].id], abs(i - mid), i))
        used[pool[best].outlet or pool[best].id] += 1
        out.append(pool[best].id)
    return out
