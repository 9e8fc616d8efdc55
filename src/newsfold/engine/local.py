"""The local engine: the dedup stage's own ``catch_up``, in this process.

Articles are read in key order (sorted files, then position in each file)
and inserted into a store in that order, so their ``seq`` follows the key;
the stage then does exactly what ``newsfold dedup`` does.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

from ..dedup import DedupConfig, DedupStage
from ..models import Article
from ..store import Store
from .base import ARTICLE_SCHEMA, LINK_SCHEMA, PASSAGE_SCHEMA, BatchReport, Output, ParquetOutput, ProgressFn, no_progress
from .inputs import ReadStats, expand, plan, read_all

if TYPE_CHECKING:  # pragma: no cover
    from .fold import FoldConfig

log = logging.getLogger(__name__)


def insert_tables(store: Store, tables: Iterable[pa.Table], stats: ReadStats) -> list[int]:
    """Insert every record not already in ``store`` (by id), in order; return the keys left out.

    A record whose id is already taken (by an earlier record or a stored
    article) is left out and counted in ``stats.skipped``.
    """
    dropped: list[int] = []
    with store.atomic():
        for t in tables:
            rows = t.to_pylist()
            taken = store.existing_ids(r["id"] for r in rows)
            for r in rows:
                if r["id"] in taken:
                    dropped.append(r["key"])
                    stats.skipped += 1
                    if len(stats.reasons) < 20:
                        stats.reasons.append(f"id {r['id']!r} already used")
                    continue
                taken.add(r["id"])
                text = r["text"]
                store.insert_article(Article(
                    id=r["id"], text=text, title=r["title"], url=r["url"], outlet=r["outlet"],
                    published=r["published"], source_ref=str(r["key"]),
                    content_hash=hashlib.sha1(text.encode("utf-8", "replace")).hexdigest()))
    return dropped


def export_parquet(store: Store, out: ParquetOutput) -> None:
    """The store's fingerprints and links as the Parquet tables the ray engine writes."""
    rows = store.conn.execute(
        "SELECT a.source_ref, a.id, a.published, f.content_hash, f.n_shingles FROM articles a"
        " JOIN fingerprints f ON f.article_id = a.id ORDER BY a.seq").fetchall()
    arts = pa.Table.from_pylist([{"key": int(r[0]) if str(r[0]).isdigit() else None, "id": r[1],
                                  "published": r[2], "content_hash": r[3], "n_shingles": r[4]} for r in rows],
                                schema=ARTICLE_SCHEMA)
    pq.write_table(arts, Path(out.table_dir("articles")) / "part-00000.parquet")
    links = store.conn.execute("SELECT article_id, canonical_id, kind, similarity FROM dup_links"
                               " ORDER BY article_id").fetchall()
    lt = pa.Table.from_pylist([dict(zip(("article_id", "canonical_id", "kind", "similarity"), r)) for r in links],
                              schema=LINK_SCHEMA)
    pq.write_table(lt, Path(out.table_dir("links")) / "part-00000.parquet")
    ps = store.conn.execute("SELECT article_id, source_id, sentence, source_sentence, similarity, direction"
                            " FROM passages ORDER BY rowid").fetchall()
    pt = pa.Table.from_pylist([dict(zip(PASSAGE_SCHEMA.names, r)) for r in ps], schema=PASSAGE_SCHEMA)
    pq.write_table(pt, Path(out.table_dir("passages")) / "part-00000.parquet")


class LocalEngine:
    """In-process engine (the default)."""

    name = "local"

    def dedup(self, inputs: Sequence[str], config: DedupConfig, output: Output,
              progress: ProgressFn = no_progress) -> BatchReport:
        report = BatchReport(self.name)
        splits = plan(expand(inputs))
        stats = ReadStats()
        with tempfile.TemporaryDirectory(prefix="newsfold-local-") as tmp:
            path = output.path if output.kind == "store" else str(Path(tmp) / "batch.db")
            with Store(path) as store:
                t0 = time.perf_counter()
                insert_tables(store, read_all(splits, stats), stats)
                report.seconds["read"] = time.perf_counter() - t0
                t0 = time.perf_counter()
                stage_report = DedupStage(config=config).catch_up(store, progress)
                report.seconds["dedup"] = time.perf_counter() - t0
                report.details.update(stage_report.details)
                report.articles = stats.records - stats.skipped
                report.skipped = stats.skipped
                report.details["skip_reasons"] = stats.reasons[:5]
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

    def fold(self, inputs: Sequence[str], config: "FoldConfig", output: Output,
             progress: ProgressFn = no_progress) -> BatchReport:
        """Stories of every article in ``inputs`` by windowed batch folding, with summaries."""
        return fold_local_engine(inputs, config, output, progress)

    def close(self) -> None:
        return None


def fold_local_engine(inputs: Sequence[str], cfg: "FoldConfig", output: Output,
                      progress: ProgressFn = no_progress) -> BatchReport:
    """The windowed fold (:mod:`~newsfold.engine.fold`) in this process, written to ``output``."""
    import numpy as np

    from . import fold

    report = BatchReport("local")
    if output.kind == "store":
        fold.check_store(output.path)
    t0 = time.perf_counter()
    splits = plan(expand(inputs))
    stats = ReadStats()
    tables = list(read_all(splits, stats))
    seen: set[str] = set()
    keys: list[int] = []
    articles: list[Article] = []
    for t in tables:  # the first record of an id wins (what the store keeps)
        for r in t.to_pylist():
            if r["id"] in seen:
                stats.skipped += 1
                continue
            seen.add(r["id"])
            keys.append(r["key"])
            articles.append(fold.make_article(r))
    report.seconds["read"] = time.perf_counter() - t0
    progress("fold", 0, 3)
    t0 = time.perf_counter()
    from ..represent import make_encoder

    enc = make_encoder(cfg.encoder)
    res, _ = fold.fold_local(np.array(keys, dtype=np.int64), articles, cfg, enc)
    report.seconds["fold"] = time.perf_counter() - t0
    progress("fold", 1, 3)
    t0 = time.perf_counter()
    members: dict[int, list[Article]] = {}
    for k, a in zip(keys, articles):
        if k in res.root:
            members.setdefault(res.root[k], []).append(a)
    stories = [fold.summarize(fold.story_id(r), members[r], cfg) for r in sorted(members)]
    report.seconds["summaries"] = time.perf_counter() - t0
    progress("fold", 2, 3)
    t0 = time.perf_counter()
    sid = {k: fold.story_id(r) for k, r in res.root.items()}
    links = [(a.id, sid[k]) for k, a in zip(keys, articles) if k in sid]
    skips = [(a.id, res.skipped[k]) for k, a in zip(keys, articles) if k in res.skipped]
    if output.kind == "store":
        fold.write_store(output.path, tables, links, skips, stories, cfg)
    else:
        schemas = fold.fold_schemas()
        with ParquetOutput(output.path) as out:
            arts = [{"key": k, "id": a.id, "published": a.published, "story_id": sid.get(k),
                     "skip_reason": res.skipped.get(k)} for k, a in zip(keys, articles)]
            pq.write_table(pa.Table.from_pylist(arts, schema=schemas["articles"]),
                           Path(out.table_dir("articles")) / "part-00000.parquet")
            pq.write_table(pa.Table.from_pylist([vars(s) for s in stories], schema=schemas["stories"]),
                           Path(out.table_dir("stories")) / "part-00000.parquet")
            pq.write_table(pa.Table.from_pylist([{"article_id": a, "story_id": s} for a, s in links],
                                                schema=schemas["links"]),
                           Path(out.table_dir("links")) / "part-00000.parquet")
            out.commit()
    report.seconds["write"] = time.perf_counter() - t0
    progress("fold", 3, 3)
    report.articles = len(articles)
    report.skipped = stats.skipped + len(res.skipped)
    report.groups = len(stories)
    report.links = len(links)
    report.details.update({"windows": res.windows, "stories": len(stories), "window_links": res.edges,
                           "unusable": len(res.skipped), "skip_reasons": stats.reasons[:5]})
    return report
