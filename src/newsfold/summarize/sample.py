"""Which articles a big story's briefing reads: a bounded sample spread over outlets and time.

A story of thousands of articles is mostly copies; its briefing reads at
most ``SAMPLE_SIZE`` of them, so a briefing costs the same whatever the
story's size.  Originals come before copies (an article with a
``dup_links`` row is a copy of its canonical article).  Within each,
articles are picked one at a time: from the outlets read least so far,
the article farthest (in publication order) from those already picked,
starting with the earliest.  So the sample covers as many outlets as it
can and the story's whole time span, in proportion to how much was
published when.  A story that fits is read whole.  The briefing says when
it was sampled (``Briefing.sampled``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

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
    """``k`` members of ``pool`` (in time order): least-read outlet first, then farthest from the picked ones."""
    if k <= 0:
        return []
    if len(pool) <= k:
        for m in pool:
            used[m.outlet or m.id] += 1
        return [m.id for m in pool]
    names = [m.outlet or m.id for m in pool]
    codes = {o: j for j, o in enumerate(dict.fromkeys(names))}
    outlet = np.asarray([codes[o] for o in names])
    reads = np.asarray([used[o] for o in codes], dtype=np.float64)
    rank = np.arange(len(pool))
    gap = np.full(len(pool), np.inf)  # distance to the nearest picked member, in publication order
    out = []
    for _ in range(k):
        load = reads[outlet]
        load[gap == 0] = np.inf  # picked already
        cand = np.flatnonzero(load == load.min())
        best = int(cand[np.argmax(gap[cand])])  # ties: the earliest
        out.append(pool[best].id)
        reads[outlet[best]] += 1
        used[names[best]] += 1
        np.minimum(gap, np.abs(rank - best), out=gap)
    return out
