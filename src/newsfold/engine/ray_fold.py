"""Batch story folding on Ray Data: the windowed fold of :mod:`~newsfold.engine.fold`, partitioned.

=================  ===============================  ==================================================
step               partitioned by                   runs
=================  ===============================  ==================================================
read, clean        input split (no shuffle)         :func:`~newsfold.engine.inputs.clean_split`
ingest, dedup      the driver                       ``add``'s Ingester, the dedup stage
embed              input block, actor pool          :func:`~newsfold.engine.fold.embed` (the model is
                                                    loaded once per actor)
windows            window (``groupby``)             :func:`~newsfold.engine.fold.fold_window`
components         node (repeated)                  large-star / small-star, as for dedup
store              the driver                       :func:`~newsfold.engine.fold.write_stories`, then
                                                    the passages and summaries stages
=================  ===============================  ==================================================

Each folded article travels to the windows it falls in (two, with the
default overlap) with its text and vector.  The star edges and the vectors
come back to the driver, which leaves the store as the local engine does
(:func:`~newsfold.engine.local.run_fold`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from . import fold
from .base import BatchReport, Output, ProgressFn, no_progress
from .inputs import Split
from .local import CleanedFn, run_fold
from .ray_common import Batch, Clock, typed

log = logging.getLogger(__name__)

FIELDS = ("id", "text", "title", "published", "url", "outlet")


def _articles(b: Batch) -> list[Any]:
    return [fold.make_article({f: b[f][i] for f in FIELDS}) for i in range(b["key"].size)]


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
               "dense": dense, "follows": b["follows"]}
        for f in FIELDS:
            out[f] = np.array([v if v is not None else "" for v in b[f].tolist()], dtype=object)
        return {k: (np.array([], dtype="U1") if v.dtype == object and v.size == 0 else v) for k, v in out.items()}


@typed
def _explode(b: Batch, cfg: fold.FoldConfig, whole: bool) -> Batch:
    ok = np.flatnonzero((b["skip"] == "") & ~b["follows"].astype(bool))
    rows, wins = fold.windows_of(b["day"][ok], cfg, whole)
    pick = ok[rows]
    out = {k: v[pick] for k, v in b.items() if k not in ("skip", "day", "follows")}
    out["window"] = wins.astype(np.int64)
    return out


@typed
def _fold_window(b: Batch, cfg: fold.FoldConfig) -> Batch:
    window = int(b["window"][0])
    arts = _articles(b)
    dense = b["dense"] if cfg.encoder != "none" else np.zeros((len(arts), 0), dtype=np.float32)
    feats = fold.features(arts, np.asarray(dense, dtype=np.float32))
    keys, roots = fold.fold_window(b["key"].astype(np.int64), feats, window, cfg)
    keep = keys != roots
    return {"u": keys[keep], "v": roots[keep]}


@typed
def _vectors(b: Batch) -> Batch:
    return {"key": b["key"].astype(np.int64), "skip": b["skip"], "dense": b["dense"]}


def fold_on_ray(engine: Any, ray: Any, splits: Sequence[Split], cfg: fold.FoldConfig, output: Output,
                cleaned: CleanedFn, progress: ProgressFn = no_progress) -> BatchReport:
    """The windowed fold on Ray; the same stories as :meth:`~newsfold.engine.local.LocalEngine.fold`.

    ``engine`` gives the partitioning (``_n_parts``, ``_components``, the
    actor pool's size and batch).
    """

    def compute(corpus: fold.Corpus, report: BatchReport) -> tuple[fold.FoldResult, np.ndarray]:
        clock = Clock(report, progress, ["embed", "windows", "components"])
        n = engine._n_parts(ray)
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
        edges = per_window.groupby("window").map_groups(_fold_window, fn_kwargs={"cfg": cfg},
                                                        batch_format="numpy").materialize()
        windows = len(per_window.unique("window"))
        n_edges = edges.count()
        clock.done("windows")

        stars, rounds = engine._components(edges, n)
        report.details["cc_rounds"] = rounds
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
        root = {int(k): int(k) for k, f in zip(corpus.keys.tolist(), follows.tolist())
                if not f and int(k) not in skipped}
        for b in stars.iter_batches(batch_format="numpy"):
            root.update(zip(b["u"].tolist(), b["v"].tolist()))
        clock.done("components")
        res = fold.FoldResult(fold.follow_copies(corpus, root), skipped, windows, n_edges)
        return res, dense if dense is not None else np.zeros((0, 0), dtype=np.float32)

    return run_fold(engine.name, splits, cfg, output, compute, cleaned, progress)
