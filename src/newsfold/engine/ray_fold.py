"""Batch story folding on Ray Data: the windowed fold of :mod:`~newsfold.engine.fold`, partitioned.

=================  ===============================  ==================================================
step               partitioned by                   runs
=================  ===============================  ==================================================
read               input split (no shuffle)         :func:`~newsfold.engine.inputs.read_split`
unique ids         article id                       the first record of an id wins
embed              input block, actor pool          :func:`~newsfold.engine.fold.embed` (the model is
                                                    loaded once per actor)
windows            window (``groupby``)             :func:`~newsfold.engine.fold.fold_window`
components         node (repeated)                  large-star / small-star, as for dedup
members            article key                      each article's story (smallest key)
summaries          story (``groupby``)              :func:`~newsfold.engine.fold.summarize`
=================  ===============================  ==================================================

Each article travels to the windows it falls in (two, with the default
overlap) with its text and vector; only counts come back to the driver.
The SQLite output is written by the driver, Parquet output by the workers
into a temporary directory that is renamed when complete.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from . import fold
from .base import BatchReport, Output, ParquetOutput, ProgressFn, no_progress
from .inputs import ReadStats, expand, plan, read_all
from .ray_engine import _Clock, _drop_keys, _first_of_id, _read_task, _typed

if TYPE_CHECKING:  # pragma: no cover
    import ray.data

    from .ray_engine import RayEngine

log = logging.getLogger(__name__)

Batch = dict[str, np.ndarray]
FIELDS = ("id", "text", "title", "published", "url", "outlet")


def _articles(b: Batch, idx: Sequence[int] | None = None) -> list[Any]:
    rows = range(b["key"].size) if idx is None else idx
    return [fold.make_article({f: b[f][i] for f in FIELDS}) for i in rows]


def _blank(n: int) -> np.ndarray:
    return np.full(n, "", dtype=object)


class Embed:
    """An actor: the encoder, loaded once, embedding batches of articles (one text at a time)."""

    def __init__(self, encoder: str) -> None:
        from ..represent import make_encoder

        self.encoder = make_encoder(encoder)
        self.encoder.encode(["load the model now"])

    def __call__(self, b: Batch) -> Batch:
        emb = fold.embed(_articles(b), self.encoder)
        dense = emb.dense if emb.dense.shape[1] else np.zeros((b["key"].size, 1), dtype=np.float32)
        out = {"key": b["key"].astype(np.int64), "day": emb.day, "skip": np.array(emb.skip, dtype=object),
               "dense": dense}
        for f in FIELDS:
            out[f] = np.array([v if v is not None else "" for v in b[f].tolist()], dtype=object)
        return {k: (np.array([], dtype="U1") if v.dtype == object and v.size == 0 else v) for k, v in out.items()}


@_typed
def _explode(b: Batch, cfg: fold.FoldConfig) -> Batch:
    ok = np.flatnonzero(b["skip"] == "")
    rows, wins = fold.windows_of(b["day"][ok], cfg)
    pick = ok[rows]
    out = {k: v[pick] for k, v in b.items() if k not in ("skip", "day")}
    out["window"] = wins.astype(np.int64)
    return out


@_typed
def _fold_window(b: Batch, cfg: fold.FoldConfig) -> Batch:
    window = int(b["window"][0])
    arts = _articles(b)
    dense = b["dense"] if cfg.encoder != "none" else np.zeros((len(arts), 0), dtype=np.float32)
    feats = fold.features(arts, np.asarray(dense, dtype=np.float32))
    keys, roots = fold.fold_window(b["key"].astype(np.int64), feats, window, cfg)
    keep = keys != roots
    return {"u": keys[keep], "v": roots[keep]}


@_typed
def _skips(b: Batch) -> Batch:
    bad = b["skip"] != ""
    return {"key": b["key"][bad], "id": b["id"][bad], "published": b["published"][bad], "skip": b["skip"][bad]}


@_typed
def _article_rows(b: Batch) -> Batch:
    ok = b["skip"] == ""
    out = {f: b[f][ok] for f in FIELDS}
    out["j"] = b["key"][ok].astype(np.int64)
    out["other"] = np.full(int(ok.sum()), -1, dtype=np.int64)
    return out


@_typed
def _star_rows(b: Batch) -> Batch:
    n = b["u"].size
    out = {f: _blank(n) for f in FIELDS}
    out["j"] = b["u"].astype(np.int64)
    out["other"] = b["v"].astype(np.int64)
    return out


@_typed
def _assign(b: Batch) -> Batch:
    """Each article with its story root (itself when no window linked it to another)."""
    is_art = b["other"] < 0
    root = dict(zip(b["j"][~is_art].tolist(), b["other"][~is_art].tolist()))
    keys = b["j"][is_art]
    out = {f: b[f][is_art] for f in FIELDS}
    out["key"] = keys
    out["root"] = np.array([root.get(k, k) for k in keys.tolist()], dtype=np.int64)
    out["story_id"] = np.array([fold.story_id(r) for r in out["root"].tolist()], dtype=object)
    return out


@_typed
def _summarize(b: Batch, cfg: fold.FoldConfig) -> Batch:
    s = fold.summarize(str(b["story_id"][0]), _articles(b), cfg)
    return {k: np.array([v], dtype=np.int64 if k == "size" else object) for k, v in vars(s).items()}


def _empty_to_none(t: pa.Table, cols: Sequence[str]) -> pa.Table:
    for c in cols:
        i = t.schema.get_field_index(c)
        vals = [v or None for v in t.column(c).to_pylist()]
        t = t.set_column(i, c, pa.array(vals, type=pa.string()))
    return t


def _articles_table(t: pa.Table) -> pa.Table:
    n = t.num_rows
    if "skip" in t.schema.names:
        cols = {"key": t.column("key"), "id": t.column("id"), "published": t.column("published"),
                "story_id": pa.nulls(n, pa.string()), "skip_reason": t.column("skip")}
    else:
        cols = {"key": t.column("key"), "id": t.column("id"), "published": t.column("published"),
                "story_id": t.column("story_id"), "skip_reason": pa.nulls(n, pa.string())}
    out = pa.table({k: (v.cast(pa.int64()) if k == "key" else v.cast(pa.string())) for k, v in cols.items()})
    return _empty_to_none(out, ["published"])


def _stories_table(t: pa.Table) -> pa.Table:
    schema = fold.fold_schemas()["stories"]
    out = pa.table({f.name: t.column(f.name).cast(f.type) for f in schema})
    return _empty_to_none(out, ["first_published", "last_published"])


def fold_on_ray(engine: "RayEngine", inputs: Sequence[str], cfg: fold.FoldConfig, output: Output,
                progress: ProgressFn = no_progress) -> BatchReport:
    """The windowed fold on Ray; the same stories as :func:`~newsfold.engine.local.fold_local_engine`."""
    if output.kind == "store":
        fold.check_store(output.path)
    ray = engine._ray()
    report = BatchReport(engine.name)
    splits = plan(expand(inputs), engine.split_bytes)
    n = engine._n_parts(ray)
    clock = _Clock(report, progress, ["read", "embed", "windows", "components", "summaries", "write"])

    read = ray.remote(_read_task).options(num_returns=2, max_retries=engine.max_retries)
    refs = [read.remote(s) for s in splits]
    stats = ray.get([r[1] for r in refs])
    arts = ray.data.from_arrow_refs([r[0] for r in refs])
    n_read = sum(s.records for s in stats)
    ids = engine._shuffle(arts.select_columns(["id", "key"]), "id", n, _first_of_id)
    dropped = np.array([k for b in ids.iter_batches(batch_format="numpy") for k in b["key"].tolist()],
                       dtype=np.int64)
    if dropped.size:
        arts = arts.map_batches(_drop_keys, fn_kwargs={"keys": dropped}, batch_format="pyarrow")
    report.articles = n_read - int(dropped.size)
    report.skipped = sum(s.skipped for s in stats) + int(dropped.size)
    clock.done("read")

    # the model is loaded once per actor; blocks of about embed_batch rows keep every actor busy
    actors = engine.actors or max(1, int(ray.cluster_resources().get("CPU", 1)))
    blocks = max(actors, -(-report.articles // engine.embed_batch))
    # materialized first: an actor pool holding every CPU would leave no CPU to the upstream tasks
    emb = arts.repartition(blocks).materialize().map_batches(
        Embed, fn_constructor_kwargs={"encoder": cfg.encoder}, compute=ray.data.ActorPoolStrategy(size=actors),
        batch_size=engine.embed_batch, batch_format="numpy").materialize()
    clock.done("embed")

    per_window = emb.map_batches(_explode, fn_kwargs={"cfg": cfg}, batch_format="numpy")
    edges = per_window.groupby("window").map_groups(_fold_window, fn_kwargs={"cfg": cfg},
                                                    batch_format="numpy").materialize()
    report.details["windows"] = len(per_window.unique("window"))
    report.details["window_links"] = edges.count()
    clock.done("windows")

    stars, rounds = engine._components(edges, n)
    report.details["cc_rounds"] = rounds
    assigned = engine._shuffle(emb.map_batches(_article_rows, batch_format="numpy").union(
        stars.map_batches(_star_rows, batch_format="numpy")), "j", n, _assign).materialize()
    skips = emb.map_batches(_skips, batch_format="numpy").materialize()
    clock.done("components")

    stories = assigned.groupby("story_id").map_groups(_summarize, fn_kwargs={"cfg": cfg},
                                                      batch_format="numpy").materialize()
    report.groups = stories.count()
    report.links = assigned.count()
    report.details["stories"] = report.groups
    report.details["unusable"] = skips.count()
    report.skipped += report.details["unusable"]
    clock.done("summaries")

    if output.kind == "parquet":
        with ParquetOutput(output.path) as out:
            assigned.select_columns(["key", "id", "published", "story_id"]).map_batches(
                _articles_table, batch_format="pyarrow").union(
                skips.map_batches(_articles_table, batch_format="pyarrow")).write_parquet(out.table_dir("articles"))
            stories.map_batches(_stories_table, batch_format="pyarrow").write_parquet(out.table_dir("stories"))
            assigned.select_columns(["id", "story_id"]).map_batches(
                lambda t: pa.table({"article_id": t.column("id").cast(pa.string()),
                                    "story_id": t.column("story_id").cast(pa.string())}),
                batch_format="pyarrow").write_parquet(out.table_dir("links"))
            out.commit()
    else:
        links = [(a, s) for b in assigned.select_columns(["id", "story_id"]).iter_batches(batch_format="numpy")
                 for a, s in zip(b["id"].tolist(), b["story_id"].tolist())]
        skip_rows = [(a, s) for b in skips.iter_batches(batch_format="numpy")
                     for a, s in zip(b["id"].tolist(), b["skip"].tolist())]
        rows: list[fold.StoryRow] = []
        for b in stories.iter_batches(batch_format="pyarrow"):
            for r in _stories_table(b).to_pylist():
                rows.append(fold.StoryRow(**r))
        rows.sort(key=lambda s: s.story_id)
        fold.write_store(output.path, read_all(splits, ReadStats()), links, skip_rows, rows, cfg)
    clock.done("write")
    return report
