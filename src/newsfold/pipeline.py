"""The pipeline: ingest, then every post-ingest stage catches up, in order.

:data:`STAGES` is the pipeline, written out: each stage class with the
stages it needs.  Skipping a stage skips every stage that needs it, so
``add --no-dedup`` leaves out dedup and everything built on it without a
hand-written list.  :data:`SETTINGS` are the knobs a user may turn, as data
(name, default, help, the stages that take it): the CLI's ``--setting`` and
``newsfold settings`` read them from here.

This module imports every stage (and so numpy, SciPy, ONNX Runtime
on first use): import it where articles are processed, not in listings.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .dedup.passages import StoryPassagesStage
from .dedup.config import DEFAULT_CONTAINMENT, DEFAULT_THRESHOLD
from .dedup.stage import DedupStage
from .ingest import IngestProgress, IngestReport, Ingester
from .stages import ProgressFn, Stage, StageReport, no_progress
from .stories.refold import RefoldStage
from .stories.represent import ENCODERS
from .stories.stage import StoriesStage
from .store.db import Store
from .store.lock import writer_lock
from .summarize.stage import SummariesStage


@dataclass(frozen=True)
class StageSpec:
    """One step of the pipeline: its stage class and the stages whose output it reads."""

    name: str
    factory: type
    requires: tuple[str, ...] = ()


STAGES: tuple[StageSpec, ...] = (
    StageSpec("dedup", DedupStage),
    StageSpec("stories", StoriesStage, requires=("dedup",)),
    StageSpec("refold", RefoldStage, requires=("stories",)),
    StageSpec("passages", StoryPassagesStage, requires=("stories",)),
    StageSpec("summaries", SummariesStage, requires=("stories",)),
)


@dataclass(frozen=True)
class Setting:
    """A user-facing knob: ``stages`` maps each stage that takes it to its keyword there."""

    name: str
    default: Any
    help: str
    stages: Mapping[str, str]
    choices: tuple[str, ...] = ()
    # the values allowed, as (lowest, highest, whether the lowest itself is allowed); None: any
    bounds: tuple[float, float, bool] | None = None

    def parse(self, raw: str) -> Any:
        """``raw`` (from the command line) as this setting's type; ValueError says what is allowed."""
        if self.choices:
            if raw not in self.choices:
                raise ValueError(f"{self.name} must be one of {', '.join(self.choices)}, not {raw!r}")
            return raw
        value = self._parse(raw)
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{self.name} takes a finite number, not {raw!r}")
        if self.bounds is not None:
            low, high, low_ok = self.bounds
            if not (low <= value <= high) or (value == low and not low_ok):
                raise ValueError(f"{self.name} must be {'at least' if low_ok else 'more than'} {low:g} and at most "
                                 f"{high:g}, not {raw!r}")
        return value

    def _parse(self, raw: str) -> Any:
        kind = type(self.default)
        if kind is bool:
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(f"{self.name} takes true or false, not {raw!r}")
        try:
            return kind(raw)
        except ValueError:
            what = {int: "a whole number", float: "a number"}.get(kind, kind.__name__)
            raise ValueError(f"{self.name} takes {what}, not {raw!r}") from None


SETTINGS: tuple[Setting, ...] = (
    Setting("encoder", "minilm", "Dense representation of each article for the same-story decision.",
            {"stories": "encoder", "refold": "encoder"}, choices=tuple(ENCODERS)),
    Setting("dedup_threshold", DEFAULT_THRESHOLD, "Jaccard similarity of word shingles above which two articles are near-copies.",
            {"dedup": "threshold"}, bounds=(0, 1, False)),
    Setting("dedup_containment", DEFAULT_CONTAINMENT, "Share of an article found in an older one above which it is a reprint.",
            {"dedup": "containment"}, bounds=(0, 1, False)),
    Setting("quiet_days", 7, "Days without a new article after which a story stops taking new ones.",
            {"stories": "quiet_days"}, bounds=(0, 36_500, True)),
    Setting("refold_limit", 1000, "Largest store (placed articles) that add refolds in batch.",
            {"refold": "limit"}, bounds=(0, 2 ** 62, True)),
    Setting("refold_growth", 0.25, "Growth of the store (a share of its placed articles) since the last refold "
            "after which add refolds it again.", {"refold": "growth"}, bounds=(0, 1_000, True)),
    Setting("summary_words", 100, "Length of each briefing's summary, in words.", {"summaries": "max_words"},
            bounds=(1, 100_000, True)),
    Setting("briefing_nlp", True, "Entities, aligned quotes and discrepancies in briefings (spaCy; slower).",
            {"summaries": "with_nlp"}),
)
SETTINGS_BY_NAME = {s.name: s for s in SETTINGS}


def stage_options(values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Settings by name → keyword arguments per stage.  Unknown names raise KeyError."""
    options: dict[str, dict[str, Any]] = {}
    for name, value in values.items():
        for stage, keyword in SETTINGS_BY_NAME[name].stages.items():
            options.setdefault(stage, {})[keyword] = value
    return options


def stage_kwargs(options: Mapping[str, Mapping[str, object]], runs: Iterable[str]) -> dict[str, dict[str, object]]:
    """The keyword arguments each stage is built with when the stages ``runs`` run: the settings' (``options``,
    from :func:`stage_options`), and, where the refold follows, the stories stage's ``batch_limit``: it places a
    store's first corpus in one batch fold (what the refold would make of it), up to the refold's own limit."""
    out = {name: dict(kw) for name, kw in options.items()}
    limit = out.get("refold", {}).get("limit", SETTINGS_BY_NAME["refold_limit"].default)
    out.setdefault("stories", {})["batch_limit"] = limit if "refold" in set(runs) else 0
    return out


def closure(skip: Iterable[str]) -> set[str]:
    """``skip`` and every stage that needs, directly or not, a skipped one."""
    names = [s.name for s in STAGES]
    out = set(skip)
    unknown = out - set(names)
    if unknown:
        raise KeyError(f"unknown stage(s) {', '.join(sorted(unknown))}; the stages are {', '.join(names)}")
    for spec in STAGES:  # in pipeline order, so a need is decided before its users
        if any(r in out for r in spec.requires):
            out.add(spec.name)
    return out


@dataclass
class PipelineReport:
    ingest: IngestReport | None = None
    stages: list[StageReport] = field(default_factory=list)


def catch_up(store: Store, *, skip: Iterable[str] = (), only: Iterable[str] | None = None,
             progress: ProgressFn = no_progress,
             options: Mapping[str, Mapping[str, object]] | None = None) -> list[StageReport]:
    """Run every stage's catch-up in order; each finds its own backlog in the store.

    ``only`` names the stages to run (default: all); of those, ``skip`` and every stage needing a skipped
    one are left out.  Holds the store's writer lock throughout (waiting for another writer first).
    """
    skipped = closure(skip)
    chosen = set(only) if only is not None else {s.name for s in STAGES}
    unknown = chosen - {s.name for s in STAGES}
    if unknown:
        raise KeyError(f"unknown stage(s) {', '.join(sorted(unknown))}; the stages are "
                       f"{', '.join(s.name for s in STAGES)}")
    runs = {s.name for s in STAGES if s.name in chosen and s.name not in skipped}
    options = stage_kwargs(options or {}, runs)
    reports = []
    with writer_lock(store.path):
        for spec in STAGES:
            if spec.name in skipped or spec.name not in chosen:
                continue
            stage: Stage = spec.factory(**options.get(spec.name, {}))
            reports.append(stage.catch_up(store, progress))
    return reports


def run_pipeline(store: Store, paths: Iterable[str], *, skip: Iterable[str] = (), only: Iterable[str] | None = None,
                 on_ingest_progress: IngestProgress | None = None, progress: ProgressFn = no_progress,
                 options: Mapping[str, Mapping[str, object]] | None = None, **ingest_kw: object) -> PipelineReport:
    """Ingest ``paths`` into ``store``, then let the stages (``only`` these; not those in ``skip`` nor
    those needing one) catch up.

    Holds the store's writer lock (:mod:`newsfold.store.lock`) throughout, as the CLI and the web worker do.
    """
    with writer_lock(store.path):
        ingester = Ingester(store, **ingest_kw)  # type: ignore[arg-type]
        rep = ingester.ingest_paths(paths, on_progress=on_ingest_progress)
        return PipelineReport(ingest=rep, stages=catch_up(store, skip=skip, only=only, progress=progress,
                                                          options=options))
