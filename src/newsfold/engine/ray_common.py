"""What both Ray steps (dedup and fold) share: reading on Ray, typed batches, step clocks.

``ray`` is imported only when a Ray engine runs.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from ..store.db import Store
from .base import BatchReport, ProgressFn
from ..read.splits import Split, clean_split

if TYPE_CHECKING:  # pragma: no cover
    import ray.data

log = logging.getLogger(__name__)

Batch = dict[str, np.ndarray]
ARTICLES = pa.schema([("key", pa.int64()), ("id", pa.string()), ("text", pa.string()), ("title", pa.string()),
                      ("published", pa.string()), ("url", pa.string()), ("outlet", pa.string())])


def typed(fn: Callable[..., Batch]) -> Callable[..., Batch]:
    """Give empty string columns a string type (an empty object array would become a float column,
    and blocks of one dataset must agree on their schema)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Batch:
        out = fn(*args, **kwargs)
        return {k: (np.array([], dtype="U1") if v.dtype == object and v.size == 0 else v) for k, v in out.items()}

    return wrapper


def cleaned_on_ray(ray: Any, max_retries: int) -> Callable[[Sequence[Split]], Iterator[list[Any]]]:
    """Splits read and cleaned by Ray tasks (all at once), handed back in input order."""

    def run(splits: Sequence[Split]) -> Iterator[list[Any]]:
        task = ray.remote(clean_split).options(max_retries=max_retries)
        refs = [task.remote(s) for s in splits]
        for r in refs:
            yield ray.get(r)

    return run


def stored_articles(ray: Any, store: Store, chunk: int = 20_000) -> "ray.data.Dataset":
    """The store's articles (``key`` = ``seq``) as a Ray dataset, in blocks of ``chunk`` rows."""
    tables = []
    cur = store.conn.execute("SELECT seq, id, text, title, published, url, outlet FROM articles ORDER BY seq")
    while True:
        rows = cur.fetchmany(chunk)
        if not rows:
            break
        cols = list(zip(*rows))
        tables.append(pa.table({n: pa.array(c, type=f.type) for n, f, c in zip(ARTICLES.names, ARTICLES, cols)}))
    return ray.data.from_arrow(tables or [ARTICLES.empty_table()])


class Clock:
    """Wall seconds per step, and newsfold's own progress per step."""

    def __init__(self, report: BatchReport, progress: ProgressFn, steps: list[str]) -> None:
        self.report, self.progress, self.steps = report, progress, steps
        self.t = time.perf_counter()
        progress("ray", 0, len(steps))

    def done(self, step: str) -> None:
        now = time.perf_counter()
        self.report.seconds[step] = now - self.t
        self.t = now
        self.progress("ray", self.steps.index(step) + 1, len(self.steps))
        log.info("ray %s: %.2fs", step, self.report.seconds[step])
