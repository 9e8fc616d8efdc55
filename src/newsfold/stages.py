"""The contract between the pipeline and its post-ingest stages.

Ingest (read → clean → store) writes articles.  Every later stage (dedup,
stories, summaries) is a :class:`Stage`: ``catch_up`` finds the articles or
stories it has not processed yet (by querying its own tables, never by
trusting an in-memory flag), processes them in transactions, and returns a
report.  Because each stage works out its own backlog from the store, a run
killed at any point is finished exactly once by the next run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from .store.db import Store

# progress(stage_name, done, total) — a no-op when quiet
ProgressFn = Callable[[str, int, int], None]


def no_progress(stage: str, done: int, total: int) -> None:
    return None


@dataclass
class StageReport:
    stage: str
    processed: int = 0
    details: dict[str, Any] = field(default_factory=dict)


class Stage(Protocol):
    name: str

    def catch_up(self, store: Store, progress: ProgressFn = no_progress) -> StageReport:
        """Process everything in ``store`` this stage has not processed yet."""
        ...
