"""The local engine: ``add``'s ingest and the stages' own ``catch_up``, in this process.

Inputs are stored through the Ingester in input order (their ``seq`` is
their key), then the dedup stage does exactly what ``newsfold dedup``
does; a fold runs the windowed fold (:mod:`~newsfold.engine.fold`) here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..dedup.config import DedupConfig
from ..dedup.stage import DedupStage
from ..store.db import Store
from . import fold
from .base import (ARTICLE_SCHEMA, LINK_SCHEMA, PASSAGE_SCHEMA, BatchReport, Output, ParquetOutput, ProgressFn,
                   no_progress, working_store)
from .inputs import Split, expand, ingest, plan, skip_reasons

log = logging.getLogger(__name__)

# what an engine computes for a fold: the windowed fold of a corpus, and every article's vector
FoldFn = Callable[[fold.Corpus, BatchReport], tuple[fold.FoldResult, np.ndarray]]
# the Ray engine's cleaned splits (see :func:`~newsfold.engine.inputs.ingest`)
CleanedFn = Callable[[Sequence[Split]], Any] | None


def export_parquet(store: Store, out: ParquetOutput) -> None:
    """The store's fingerprints, links and passages as the Parquet tables the ray engine writes."""
    rows = store.conn.execute(
        "SELECT a.seq, a.id, a.published, f.content_hash, f.n_shingles FROM articles a"
        " JOIN fingerprints f ON f.article_id = a.id ORDER BY a.seq").fetchall()
    arts = pa.Table.from_pylist([dict(zip(ARTICLE_SCHEMA.names, r)) for r in rows], schema=ARTICLE_SCHEMA)
    pq.write_table(arts, Path(out.table_dir("articles")) / "part-00000.parquet")
    links = store.conn.execute("SELECT article_id, canonical_id, kind, similarity FROM dup_links"
                               " ORDER BY article_id").fetchall()
    lt = pa.Table.from_pylist([dict(zip(LINK_SCHEMA.names, r)) for r in links], schema=LINK_SCHEMA)
    pq.write_table(lt, Path(out.table_dir("links")) / "part-00000.parquet")
    ps = store.conn.execute("SELECT article_id, source_id, sentence, source_sentence, similarity, direction"
                            " FROM passages ORDER BY rowid").fetchall()
    pt = pa.Table.from_pylist([dict(zip(PASSAGE_SCHEMA.names, r)) for r in ps], schema=PASSAGE_SCHEMA)
    pq.write_table(pt, Path(out.table_dir("passages")) / "part-00000.parquet")


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


def run_fold(name: str, splits: Sequence[Split], cfg: fold.FoldConfig, output: Output, compute: FoldFn,
             cleaned: CleanedFn = None, progress: ProgressFn = no_progress) -> BatchReport:
    """A batch fold on any engine: ingest, dedup, ``compute`` the windowed fold, leave the store ready.

    Ingest, the dedup stage and the store writing run here (SQLite is one
    file on one machine); ``compute`` is where an engine spends its cores.
    """
    report = BatchReport(name)
    if output.kind == "store":
        fold.check_store(output.path)
    with working_store(output) as store:
        store_inputs(store, splits, report, cleaned)
        t0 = time.perf_counter()
        report.details["dedup"] = DedupStage().catch_up(store, progress).processed
        report.seconds["dedup"] = time.perf_counter() - t0
        corpus = fold.load_corpus(store)
        res, dense = compute(corpus, report)
        t0 = time.perf_counter()
        sizes = fold.write_stories(store, corpus, res, dense, cfg)
        report.seconds["write stories"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        report.details.update(fold.finish(store, cfg, progress))
        report.seconds["passages, summaries"] = time.perf_counter() - t0
        if output.kind == "parquet":
            t0 = time.perf_counter()
            with ParquetOutput(output.path) as out:
                fold.export_parquet(store, out)
                out.commit()
            report.seconds["write"] = time.perf_counter() - t0
    report.groups = len(sizes)
    report.links = sum(sizes.values())
    report.skipped += len(res.skipped)
    report.details.update({"windows": res.windows, "stories": len(sizes), "window_links": res.edges,
                           "unusable": len(res.skipped), "suspect_stories": fold.suspects(sizes)})
    return report


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
            stage_report = DedupStage(config=config).catch_up(store, progress)
            report.seconds["dedup"] = time.perf_counter() - t0
            report.details.update(stage_report.details)
            report.links = int(store.conn.execute("SELECT count(*) FROM dup_links").fetchone()[0])
            report.groups = int(store.conn.execute(
                "SELECT count(DISTINCT canonical_id) FROM dup_links").fetchone()[0])
            if output.kind == "parquet":
                t0 = time.perf_counter()
                with ParquetOutput(output.path) as out:
                    export_parquet(store, out)
                    out.commit()
                report.seconds["write"] = time.perf_counter() - t0
        return report

    def fold(self, inputs: Sequence[str], config: fold.FoldConfig, output: Output,
             progress: ProgressFn = no_progress) -> BatchReport:
        """Stories of every article in ``inputs`` by windowed batch folding, with summaries."""

        def compute(corpus: fold.Corpus, report: BatchReport) -> tuple[fold.FoldResult, np.ndarray]:
            from ..stories.represent import make_encoder

            t0 = time.perf_counter()
            progress("fold", 0, 1)
            out = fold.fold_local(corpus, config, make_encoder(config.encoder))
            progress("fold", 1, 1)
            report.seconds["fold"] = time.perf_counter() - t0
            return out

        return run_fold(self.name, plan(expand(inputs)), config, output, compute, progress=progress)

    def close(self) -> None:
        return None
