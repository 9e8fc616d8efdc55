"""The local engine: ``add``'s ingest and the stages' own ``catch_up``, in this process.

Inputs are stored through the Ingester in input order (their ``seq`` is
their key), then the dedup stage does exactly what ``newsfold dedup``
does; a fold runs the windowed fold (:mod:`~newsfold.stories.windows`) here.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from ..dedup.config import DedupConfig
from ..present.parquet import DEDUP_TABLES, Output, export_parquet
from ..read.splits import expand, plan
from ..stories import windows
from .base import BatchReport, ProgressFn, no_progress, store_inputs, working_store
from .fold import run_fold

class LocalEngine:
    """In-process engine (the default)."""

    name = "local"

    def dedup(self, inputs: Sequence[str], config: DedupConfig, output: Output,
              progress: ProgressFn = no_progress) -> BatchReport:
        report = BatchReport(self.name)
        splits = plan(expand(inputs))
        with working_store(output) as store:
            store_inputs(store, splits, report)
            t0 = time.perf_counter()
            from ..pipeline import catch_up

            stage_report = catch_up(store, only=["dedup"], progress=progress,
                                    options={"dedup": {"config": config}})[0]
            report.seconds["dedup"] = time.perf_counter() - t0
            report.details.update(stage_report.details)
            report.links = int(store.conn.execute("SELECT count(*) FROM dup_links").fetchone()[0])
            report.groups = int(store.conn.execute(
                "SELECT count(DISTINCT canonical_id) FROM dup_links").fetchone()[0])
            if output.kind == "parquet":
                t0 = time.perf_counter()
                export_parquet(store, output, DEDUP_TABLES)
                report.seconds["write"] = time.perf_counter() - t0
        return report

    def fold(self, inputs: Sequence[str], config: windows.FoldConfig, output: Output,
             progress: ProgressFn = no_progress) -> BatchReport:
        """Stories of every article in ``inputs`` by windowed batch folding, with summaries."""
        def compute(corpus: windows.Corpus, report: BatchReport) -> tuple[windows.FoldResult, np.ndarray]:
            t0 = time.perf_counter()
            progress("fold", 0, 1)
            out = windows.fold_local(corpus, config)
            progress("fold", 1, 1)
            report.seconds["fold"] = time.perf_counter() - t0
            return out

        return run_fold(self.name, plan(expand(inputs)), config, output, compute, progress=progress)

    def close(self) -> None:
        return None
