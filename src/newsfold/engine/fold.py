"""A batch fold on any engine: the pipeline's stages, with the windowed fold (:mod:`newsfold.stories.windows`)
computed where the engine spends its cores.

:func:`run_fold` ingests the inputs as ``add`` does, runs the dedup stage,
hands the corpus to the engine's ``compute`` (the windowed fold: in this
process, or partitioned on Ray), writes the stories through the stories'
writer, then runs the passages and summaries stages; everything but
``compute`` runs here, through :func:`newsfold.pipeline.catch_up`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

from ..present.parquet import FOLD_TABLES, Output, export_parquet
from ..read.splits import Split
from ..stages import ProgressFn, no_progress
from ..store.db import Store
from ..stories import windows
from .base import BatchReport, CleanedFn, EngineError, store_inputs, working_store

# what an engine computes for a fold: the windowed fold of a corpus, and every article's vector
FoldFn = Callable[[windows.Corpus, BatchReport], tuple[windows.FoldResult, np.ndarray]]

def check_store(path: str) -> None:
    """A fold writes a store's first stories: refuse one that already has stories."""
    with Store(path) as store:
        if int(store.conn.execute("SELECT count(*) FROM stories").fetchone()[0]):
            raise EngineError(f"{path} already holds stories; a batch fold writes a store's first stories. Use "
                              "`newsfold stories` (incremental) on it, or choose a new --db.")


def run_fold(name: str, splits: Sequence[Split], cfg: windows.FoldConfig, output: Output, compute: FoldFn,
             cleaned: CleanedFn = None, progress: ProgressFn = no_progress) -> BatchReport:
    """A batch fold on any engine: ingest, dedup, ``compute`` the windowed fold, leave the store ready.

    Ingest, the stages and the store writing run here (SQLite is one file on
    one machine); ``compute`` is where an engine spends its cores.
    """
    from ..pipeline import catch_up

    report = BatchReport(name)
    if output.kind == "store":
        check_store(output.path)
    with working_store(output) as store:
        store_inputs(store, splits, report, cleaned)
        t0 = time.perf_counter()
        report.details["dedup"] = catch_up(store, only=["dedup"], progress=progress)[0].processed
        report.seconds["dedup"] = time.perf_counter() - t0
        corpus = windows.load_corpus(store)
        try:
            res, dense = compute(corpus, report)
        except windows.FoldError as e:
            raise EngineError(str(e)) from None
        t0 = time.perf_counter()
        sizes = windows.write_stories(store, corpus, res, dense, cfg)
        report.seconds["write stories"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        after = ["passages", "summaries"] if cfg.summaries else ["passages"]
        done = catch_up(store, only=after, progress=progress,
                        options={"summaries": {"max_words": cfg.max_words, "with_nlp": cfg.with_nlp}})
        report.details.update({r.stage: r.processed for r in done})
        report.seconds["passages, summaries"] = time.perf_counter() - t0
        if output.kind == "parquet":
            t0 = time.perf_counter()
            export_parquet(store, output, FOLD_TABLES)
            report.seconds["write"] = time.perf_counter() - t0
    report.groups = len(sizes)
    report.links = sum(sizes.values())
    report.skipped += len(res.skipped)
    report.details.update({"windows": res.windows, "stories": len(sizes), "window_links": res.edges,
                           "unusable": len(res.skipped), "suspect_stories": windows.suspects(sizes)})
    return report
