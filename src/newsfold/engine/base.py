"""The engine interface: how batch work is partitioned and moved, never what it computes.

An :class:`Engine` runs a batch stage over input files and writes its
output (:class:`Output`): the SQLite store, or Parquet tables for corpora too
large for one SQLite file.  ``local`` runs the stages' own ``catch_up`` in
this process; ``ray`` runs the stages' per-partition code
(:mod:`newsfold.dedup.partitions`, :mod:`newsfold.stories.windows`) on Ray
Data.  Both write through the stages' writers and give the same result; only
time and memory differ.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..dedup.config import DedupConfig
from ..read.splits import Split, ingest, skip_reasons
from ..present.parquet import Output
from ..stages import ProgressFn, no_progress
from ..store.db import Store

log = logging.getLogger(__name__)


class EngineError(RuntimeError):
    """A batch run that cannot start or finish, with what to do about it."""


@dataclass
class BatchReport:
    """What a batch run did: counts, and wall seconds per stage."""

    engine: str
    articles: int = 0
    skipped: int = 0
    groups: int = 0
    links: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"engine": self.engine, "articles": self.articles, "skipped": self.skipped, "groups": self.groups,
                "links": self.links, "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
                "details": self.details}


class Engine(Protocol):
    """Runs batch stages over input files."""

    name: str

    def dedup(self, inputs: Sequence[str], config: DedupConfig, output: Output,
              progress: ProgressFn = no_progress) -> BatchReport:
        """Duplicate groups of every article in ``inputs``, written to ``output``."""
        ...

    def fold(self, inputs: Sequence[str], config: Any, output: Output,
             progress: ProgressFn = no_progress) -> BatchReport:
        """Stories (windowed batch fold, :mod:`~newsfold.engine.fold`) and summaries, written to ``output``."""
        ...

    def close(self) -> None:
        """Give back what the engine holds (a Ray connection)."""
        ...


@contextmanager
def working_store(output: Output) -> Iterator[Store]:
    """The store a batch run builds: the output store, or a temporary one for Parquet output."""
    with tempfile.TemporaryDirectory(prefix="newsfold-batch-") as tmp:
        with Store(output.path if output.kind == "store" else str(Path(tmp) / "batch.db")) as store:
            yield store


# the Ray engine's cleaned splits (see :func:`~newsfold.read.splits.ingest`)
CleanedFn = Callable[[Sequence[Split]], Any] | None


def store_inputs(store: Store, splits: Sequence[Split], report: BatchReport, cleaned: CleanedFn = None) -> None:
    """Ingest ``splits`` into ``store`` as ``add`` does, counting what was kept and skipped."""
    t0 = time.perf_counter()
    ing = ingest(store, splits, cleaned)
    report.seconds["read"] = time.perf_counter() - t0
    report.articles = ing.accepted
    report.skipped = ing.duplicate + ing.rejected
    report.details["skip_reasons"] = skip_reasons(ing)
    if ing.duplicate:
        report.details["skip_reasons"].append(f"{ing.duplicate} records repeat an article already stored")


