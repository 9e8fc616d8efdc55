"""Which articles a big story's briefing reads: a bounded sample spread over outlets and time.

A story of thousands of articles is mostly copies; its briefing reads at
most ``SAMPLE_SIZE`` of them, so a briefing costs the same whatever the
story's size.  Originals come before copies (an article with a
``dup_links`` row is a copy of its canonical article).  Within each,
articles are picked one at a time: from the outlets read least so far, the
article published farthest from those already picked (the earliest
first), ties broken by a hash of the id.  So the sample covers as many
outlets as it can and the story's whole time span.  An article's claim
depends only on the articles picked before it, so an article joining the
story changes the sample only if it is picked itself: a refreshed briefing
re-reads (and parses) few new articles.  A story that fits is read whole.

The briefing's entities, quotes and discrepancies need a spaCy parse of
every article they read, the costly part of a briefing; they read at most
``NLP_SAMPLE`` articles (:func:`nlp_sample`), the sample of that size,
which is contained in the briefing's sample of ``SAMPLE_SIZE`` (each
claim depends only on the claims before it) and so just as stable and as
spread over outlets and time.  Sentence selection reads the larger sample.
The briefing says what it read (``Briefing.sampled``).
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from ..models import Article
from ..published import instant

SAMPLE_SIZE = 40
NLP_SAMPLE = 12  # articles read for entities, quotes and discrepancies (see bench/summaries.py --compare-nlp)


@dataclass
class Member:
    """What sampling needs to know of one article of a story."""

    id: str
    outlet: str | None = None
    published: str | None = None
    duplicate: bool = False


def choose_sample(members: Sequence[Member], size: int = SAMPLE_SIZE) -> list[str]:
    """Ids of at most ``size`` members: originals first, spread over outlets and time (all when they fit)."""
    if len(members) <= size:
        return [m.id for m in members]
    used: Counter[str] = Counter()
    chosen: list[str] = []
    for pool in ([m for m in members if not m.duplicate], [m for m in members if m.duplicate]):
        chosen.extend(_spread(pool, size - len(chosen), used))
        if len(chosen) >= size:
            break
    return chosen


def nlp_sample(articles: Sequence[Article], duplicates: Collection[str] = (), size: int = NLP_SAMPLE,
               ) -> list[Article]:
    """The articles (of a story's sample) whose entities, quotes and figures the briefing reads, in input order.

    ``duplicates``: ids of articles that are copies of another (``dup_links``).
    """
    if len(articles) <= size:
        return list(articles)
    keep = set(choose_sample([Member(a.id, a.outlet, a.published, a.id in duplicates) for a in articles], size))
    return [a for a in articles if a.id in keep]


UNDATED = 1e12  # seconds: undated articles sit together, far from every dated one


def _when(published: str | None) -> float:
    """Seconds since the epoch (UTC when no zone is given) of an ISO date, or ``UNDATED``."""
    t = instant(published)
    return UNDATED if t is None else t.timestamp()


def _spread(pool: Sequence[Member], k: int, used: Counter[str]) -> list[str]:
    """``k`` members of ``pool``: least-read outlet first, then farthest in time from the picked ones."""
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
    when = np.asarray([_when(m.published) for m in pool])
    tie = np.asarray([zlib.crc32(m.id.encode("utf-8")) for m in pool], dtype=np.int64)
    gap = np.full(len(pool), np.inf)  # seconds to the nearest picked member
    free = np.ones(len(pool), dtype=bool)
    out = []
    for _ in range(k):
        cand = np.flatnonzero(free)
        for key in (reads[outlet], -gap, when, tie):  # each narrows the field
            score = key[cand]
            cand = cand[score == score.min()]
            if cand.size == 1:
                break
        best = int(cand[0])
        out.append(pool[best].id)
        free[best] = False
        reads[outlet[best]] += 1
        used[names[best]] += 1
        np.minimum(gap, np.abs(when - when[best]), out=gap)
    return out
