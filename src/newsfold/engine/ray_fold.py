"""Batch story folding on Ray Data: the windowed fold of :mod:`~newsfold.stories.windows`, partitioned.

=================  ===============================  ==================================================
step               partitioned by                   runs
=================  ===============================  ==================================================
read, clean        input split (no shuffle)         :func:`~newsfold.read.splits.clean_split`
ingest, dedup      the driver                       ``add``'s Ingester, the dedup stage
embed              input block, actor pool          :func:`~newsfold.stories.windows.embed` (the model
                                                    is loaded once per actor)
windows            window (``groupby``)             :func:`~newsfold.stories.windows.fold_window`
stitch             pair of windows (``groupby``)    :func:`~newsfold.stories.windows.stitch`
stories            the driver                       :func:`~newsfold.stories.windows.story_roots` on
                                                    the stitched pairs (one per window story at most)
store              the driver                       :func:`~newsfold.stories.windows.write_stories`,
                                                    then the passages and summaries stages
=================  ===============================  ==================================================

Each folded article travels to the windows it falls in (two, with the
default overlap) with its text and vector.  The window stories, the
stitched pairs and the vectors come back to the driver, which leaves the
store as the local engine does (:func:`~newsfold.engine.fold.run_fold`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from ..present.parquet import Output
from ..read.splits import Split
from ..stories import windows
from .base import BatchReport, CleanedFn, ProgressFn, no_progress
from .fold import run_fold
from .ray_common import Batch, Clock, typed

log = logging.getLogger(__name__)

FIELDS = ("id", "text", "title", "published", "url", "outlet")


def _articles(b: Batch) -> list[Any]:
    return [windows.make_article({f: b[f][i] for f in FIELDS}) for i in range(b["key"].size)]


class Embed:
    """An actor: the encoder, loaded once, embedding batches of articles (one text at a time)."""

    def __init__(self, encoder: str) -> None:
        from ..stories.represent import make_encoder

        self.encoder = make_encoder(encoder)
        self.encoder.encode(["load the model now"])

    def __call__(self, b: Batch) -> Batch:
        emb = windows.embed(_articles(b), self.encoder)
        dense = emb.dense if emb.dense.shape[1] else np.zeros((b["key"].size, 1), dtype=np.float32)
        out = {"key": b["key"].astype(np.int64), "day": emb.day, "skip": np.array(emb.skip, dtype=object),
               "dense": dense, "follows": b["follows"]}
        for f in FIELDS:
            out[f] = np.array([v if v is not None else "" for v in b[f].tolist()], dtype=object)
        return {k: (np.array([], dtype="U1") if v.dtype == object and v.size == 0 else v) for k, v in out.items()}


@typed
def _explode(b: Batch, cfg: windows.FoldConfig, whole: bool) -> Batch:
    ok = np.flatnonzero((b["skip"] == "") & ~b["follows"].astype(bool))
    rows, wins = windows.windows_of(b["day"][ok], cfg, whole)
    pick = ok[rows]
    out = {k: v[pick] for k, v in b.items() if k not in ("skip", "follows")}
    out["window"] = wins.astype(np.int64)
    return out


def _features(b: Batch, cfg: windows.FoldConfig) -> list[Any]:
    dense = b["dense"] if cfg.encoder != "none" else np.zeros((b["key"].size, 0), dtype=np.float32)
    return windows.features(_articles(b), np.asarray(dense, dtype=np.float32))


@typed
def _fold_window(b: Batch, cfg: windows.FoldConfig, whole: bool, before: Callable[[], None] | None) -> Batch:
    """Each member of one window with its window story's root, and whether this is its home window."""
    if before is not None:
        before()
    window = int(b["window"][0])
    order = np.argsort(b["key"].astype(np.int64), kind="stable")
    b = {k: v[order] for k, v in b.items()}
    keys, roots = windows.fold_window(b["key"].astype(np.int64), _features(b, cfg), window, cfg)
    out = dict(b)
    out["root"] = roots
    out["home"] = windows.home_window(b["day"], cfg, whole) == window
    return out


@typed
def _home(b: Batch) -> Batch:
    home = b["home"].astype(bool)
    return {"key": b["key"][home].astype(np.int64), "node": windows.node_id(b["window"][home], b["root"][home])}


@typed
def _pair_rows(b: Batch) -> Batch:
    """Every member of a dated window, to the window pair on its left (as right side) and on its right."""
    dated = np.flatnonzero(b["window"] >= 0)
    w = b["window"][dated]
    out = {k: np.concatenate([v[dated], v[dated]]) for k, v in b.items() if k not in ("home",)}
    out["pair"] = np.concatenate([w, w - 1])
    out["side"] = np.concatenate([np.zeros(w.size, np.int64), np.ones(w.size, np.int64)])
    return out


@typed
def _stitch(b: Batch, cfg: windows.FoldConfig) -> Batch:
    pair = int(b["pair"][0])
    sides = []
    for side in (0, 1):
        rows = {k: v[b["side"] == side] for k, v in b.items()}
        order = np.argsort(rows["key"].astype(np.int64), kind="stable")
        rows = {k: v[order] for k, v in rows.items()}
        sides.append((rows["key"].astype(np.int64), rows["root"].astype(np.int64), _features(rows, cfg)))
    if not sides[0][0].size or not sides[1][0].size:
        return {"u": np.zeros(0, np.int64), "v": np.zeros(0, np.int64)}
    a, c = windows.stitch(sides[0], sides[1], cfg)
    return {"u": windows.node_id(pair, a), "v": windows.node_id(pair + 1, c)}


@typed
def _vectors(b: Batch) -> Batch:
    return {"key": b["key"].astype(np.int64), "skip": b["skip"], "dense": b["dense"]}


def fold_on_ray(engine: Any, ray: Any, splits: Sequence[Split], cfg: windows.FoldConfig, output: Output,
                cleaned: CleanedFn, progress: ProgressFn = no_progress) -> BatchReport:
    """The windowed fold on Ray; the same stories as :meth:`~newsfold.engine.local.LocalEngine.fold`.

    ``engine`` gives the actor pool's size and batch.
    """

    def compute(corpus: windows.Corpus, report: BatchReport) -> tuple[windows.FoldResult, np.ndarray]:
        clock = Clock(report, progress, ["embed", "windows", "stories"])
        follows = corpus.followers()
        cols = {f: [getattr(a, f) for a in corpus.articles] for f in FIELDS}
        table = pa.table({"key": pa.array(corpus.keys, pa.int64()), **{f: pa.array(v, pa.string())
                                                                        for f, v in cols.items()},
                          "follows": pa.array(follows)})
        actors = engine.actors or max(1, int(ray.cluster_resources().get("CPU", 1)))
        blocks = max(actors, -(-table.num_rows // engine.embed_batch))
        # materialized first: an actor pool holding every CPU would leave no CPU to the upstream tasks
        emb = ray.data.from_arrow(table).repartition(blocks).materialize().map_batches(
            Embed, fn_constructor_kwargs={"encoder": cfg.encoder}, compute=ray.data.ActorPoolStrategy(size=actors),
            batch_size=engine.embed_batch, batch_format="numpy").materialize()
        clock.done("embed")

        whole = corpus.folded() <= cfg.whole_limit
        per_window = emb.map_batches(_explode, fn_kwargs={"cfg": cfg, "whole": whole}, batch_format="numpy")
        members = per_window.groupby("window").map_groups(_fold_window,
                                                          fn_kwargs={"cfg": cfg, "whole": whole,
                                                                     "before": engine.before_batch},
                                                          batch_format="numpy").materialize()
        n_windows = len(members.unique("window"))
        edges = members.map_batches(_pair_rows, batch_format="numpy").groupby("pair").map_groups(
            _stitch, fn_kwargs={"cfg": cfg}, batch_format="numpy").materialize()
        n_edges = edges.count()
        clock.done("windows")

        home = [b for b in members.map_batches(_home, batch_format="numpy").iter_batches(batch_format="numpy")]
        pairs = [b for b in edges.iter_batches(batch_format="numpy")] if n_edges else []
        cat = lambda bs, c: np.concatenate([x[c] for x in bs]).astype(np.int64) if bs else np.zeros(0, np.int64)  # noqa: E731
        root = windows.story_roots(cat(home, "key"), cat(home, "node"), cat(pairs, "u"), cat(pairs, "v"))
        pos = {int(k): i for i, k in enumerate(corpus.keys.tolist())}
        dense: np.ndarray | None = None
        skipped: dict[int, str] = {}
        for b in emb.map_batches(_vectors, batch_format="numpy").iter_batches(batch_format="numpy"):
            if dense is None:
                dense = np.zeros((len(pos), b["dense"].shape[1] if cfg.encoder != "none" else 0), dtype=np.float32)
            idx = [pos[int(k)] for k in b["key"].tolist()]
            if dense.shape[1]:
                dense[idx] = b["dense"]
            skipped.update((int(k), str(s)) for k, s in zip(b["key"].tolist(), b["skip"].tolist()) if s)
        clock.done("stories")
        res = windows.FoldResult(windows.follow_copies(corpus, root), skipped, n_windows, n_edges)
        return res, dense if dense is not None else np.zeros((0, 0), dtype=np.float32)

    return run_fold(engine.name, splits, cfg, output, compute, cleaned, progress)
