"""The pipeline: ingest, then every post-ingest stage catches up, in order.

Stages are looked up by name so that the pipeline runs whatever stages the
installed package has: dedup → stories → summaries.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from .ingest import IngestProgress, IngestReport, Ingester
from .stages import ProgressFn, Stage, StageReport, no_progress
from .store import Store

log = logging.getLogger(__name__)

# (stage name, module, class)
STAGES: list[tuple[str, str, str]] = [
    ("dedup", "newsfold.dedup", "DedupStage"),
    ("stories", "newsfold.stories", "StoriesStage"),
    ("refold", "newsfold.stories", "RefoldStage"),
    ("passages", "newsfold.passages", "StoryPassagesStage"),
    ("summaries", "newsfold.summarize", "SummariesStage"),
]


@dataclass
class PipelineReport:
    ingest: IngestReport | None = None
    stages: list[StageReport] = field(default_factory=list)


def load_stage(name: str, **options: object) -> Stage | None:
    """The stage called ``name``, or None when this build does not have it."""
    for stage_name, module, cls in STAGES:
        if stage_name == name:
            try:
                mod = importlib.import_module(module)
            except ModuleNotFoundError as e:
                if e.name == module:
                    return None
                raise
            factory = getattr(mod, cls, None)
            return factory(**options) if factory is not None else None
    raise KeyError(f"unknown stage {name!r}")


def catch_up(store: Store, *, skip: Iterable[str] = (), progress: ProgressFn = no_progress,
             options: dict[str, dict[str, object]] | None = None) -> list[StageReport]:
    """Run every stage's catch-up; each finds its own backlog in the store."""
    skip = set(skip)
    options = options or {}
    reports = []
    for name, _, _ in STAGES:
        if name in skip:
            continue
        stage = load_stage(name, **options.get(name, {}))
        if stage is None:
            log.debug("stage %s is not available", name)
            continue
        reports.append(stage.catch_up(store, progress))
    return reports


def run_pipeline(store: Store, paths: Iterable[str], *, skip: Iterable[str] = (),
                 on_ingest_progress: IngestProgress | None = None, progress: ProgressFn = no_progress,
                 options: dict[str, dict[str, object]] | None = None, **ingest_kw: object) -> PipelineReport:
    ingester = Ingester(store, **ingest_kw)  # type: ignore[arg-type]
    rep = ingester.ingest_paths(paths, on_progress=on_ingest_progress)
    return PipelineReport(ingest=rep, stages=catch_up(store, skip=skip, progress=progress, options=options))
