"""The Ray engine: batch dedup on Ray Data, with the dedup stage's own per-partition code.

What moves where (every shuffle is a hash partition of rows, then one task
per partition running a :mod:`~newsfold.dedup.partitions` function):

=================  ===============================  =========================================
step               partitioned by                   runs
=================  ===============================  =========================================
read, clean        input split (no shuffle)         :func:`~newsfold.read.splits.clean_split`
ingest             the driver, in input order       ``add``'s Ingester (ids, learned boilerplate)
fingerprint        input block (no shuffle)         ``Fingerprinter`` (``map_batches``)
exact copies       content hash                     first key of a hash; only it enters LSH
LSH buckets        (band, band hash)                pairs inside a bucket
attach text        later key of a pair              unique pairs + that article's text
verify             earlier key of a pair            exact shingle Jaccard / containment
components         node (repeated)                  large-star / small-star (Kiveris et al.)
members            article key                      component of each article + its text
groups             component                        canonical + link of every member
passages           later key, then earlier key      ``find_passages`` on the closest matches
=================  ===============================  =========================================

Before every step that needs article text, a Bloom filter of the keys in
the pair (or edge) list is built on the workers, OR-ed on the driver (10
bits per key) and applied to the articles, so only articles that have a
pair move their text (a semi-join).

Splits are read and cleaned by tasks; the cleaned documents come back to
the driver, which stores them through ``add``'s Ingester (a temporary
store for Parquet output), so ids and cleaning are ``add``'s; the articles
go back out from the store with their ``seq`` as key.  After that only
counts, one digest per connected-components round and the Bloom filters
come back to the driver; the SQLite output is written from the driver
through the dedup stage's writer (:mod:`newsfold.dedup.writes`; SQLite is
one file on one machine), Parquet output by the workers into a temporary
directory that is renamed when complete.  Ray retries a task whose worker
dies (``max_retries``); every step is a pure function of its input, so a
retry gives the same rows.

``ray`` is imported only when this engine is used.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from ..dedup import partitions, writes
from ..dedup.fingerprint import signature_to_blob
from ..dedup.config import DedupConfig
from ..models import DupLink, Passage
from ..present.parquet import Output, ParquetOutput
from ..read.splits import expand, plan
from ..stories.windows import FoldConfig
from ..store.db import Store
from . import kernels
from .base import BatchReport, EngineError, ProgressFn, no_progress, store_inputs, working_store
from .ray_common import Clock, cleaned_on_ray, stored_articles, typed
from .ray_fold import fold_on_ray

if TYPE_CHECKING:  # pragma: no cover
    import ray.data

log = logging.getLogger(__name__)

MAX_CC_ROUNDS = 64
PASSAGE_COLUMNS = ("article_id", "source_id", "sentence", "source_sentence", "similarity", "direction")
LINK_COLUMNS = ("article_id", "canonical_id", "kind", "similarity")
_ART = "a"  # tag of an article row in a tagged union


def _require_ray() -> Any:
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise EngineError("the ray engine needs Ray Data: pip install 'newsfold[ray]'") from None
    return ray


# ---------------------------------------------------------------- UDFs (run on workers)


def _hash_strings(values: np.ndarray) -> np.ndarray:
    import pandas as pd

    return pd.util.hash_array(np.asarray(values, dtype=object), categorize=False)


@typed
def _with_part(batch: dict[str, np.ndarray], col: str, n: int) -> dict[str, np.ndarray]:
    v = batch[col]
    batch["_part"] = kernels.partition_of(_hash_strings(v) if v.dtype.kind in "OUS" else v, n)
    return batch


@typed
def _fingerprint(b: dict[str, np.ndarray], config: DedupConfig,
                 before_batch: Callable[[], None] | None) -> dict[str, np.ndarray]:
    if before_batch is not None:
        before_batch()
    fp = partitions.fingerprint_texts([t or "" for t in b["text"].tolist()], config)
    return {"key": b["key"].astype(np.int64), "id": b["id"], "published": b["published"],
            "content_hash": fp.content_hash, "n_shingles": fp.n_shingles, "has_sig": fp.has_signature,
            "sig": fp.signature}


@typed
def _exact(b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    keys = b["key"].astype(np.int64)
    first = partitions.first_of_hash(keys, b["content_hash"])
    return {"key": keys, "rep": first, "has_sig": b["has_sig"], "sig": b["sig"]}


@typed
def _with_words(b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    keep = b["content_hash"] != ""
    return {k: v[keep] for k, v in b.items()}


@typed
def _exact_edges(b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    keep = b["key"] != b["rep"]
    return {"u": b["key"][keep].astype(np.int64), "v": b["rep"][keep].astype(np.int64)}


@typed
def _lsh_rows(b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    keep = (b["key"] == b["rep"]) & b["has_sig"].astype(bool)
    return {"key": b["key"][keep], "sig": b["sig"][keep]}


@typed
def _bands(b: dict[str, np.ndarray], config: DedupConfig, max_bucket: int) -> dict[str, np.ndarray]:
    bh, keys = partitions.band_rows(b["key"], np.asarray(list(b["sig"]) if b["sig"].dtype == object else b["sig"]),
                                 config, max_bucket)
    return {"bh": bh, "key": keys}


@typed
def _buckets(b: dict[str, np.ndarray], max_bucket: int) -> dict[str, np.ndarray]:
    new, old = partitions.bucket_pairs(b["bh"].astype(np.uint64), b["key"].astype(np.int64), max_bucket)
    return {"j": new, "other": old, "text": np.full(new.size, "", dtype=object)}


@typed
def _attach_new(b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Unique pairs ``(new, old)`` with the text of ``new`` (rows tagged ``other == -1`` are articles)."""
    is_art = b["other"] < 0
    text = dict(zip(b["j"][is_art].tolist(), b["text"][is_art].tolist()))
    new, old = partitions.unique_pairs(b["j"][~is_art], b["other"][~is_art])
    return {"j": old, "other": new, "text": np.array([text[k] for k in new.tolist()], dtype=object)}


@typed
def _verify(b: dict[str, np.ndarray], config: DedupConfig) -> dict[str, np.ndarray]:
    is_art = b["other"] < 0
    text = dict(zip(b["j"][is_art].tolist(), b["text"][is_art].tolist()))
    old, new, text_new = b["j"][~is_art], b["other"][~is_art], b["text"][~is_art]
    text_old = np.array([text[k] for k in old.tolist()], dtype=object)
    code, cont = partitions.verify_pairs(new, old, text_new, text_old, config)
    keep = (code > 0) | (cont >= config.passage_containment)  # copies, and pairs the stage takes passages from
    return {"u": new[keep], "v": old[keep], "code": code[keep], "cont": cont[keep]}


@typed
def _copies(b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    keep = b["code"] > 0
    return {"u": b["u"][keep].astype(np.int64), "v": b["v"][keep].astype(np.int64)}


@typed
def _passage_pair_rows(b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    n = b["u"].size
    blank = np.full(n, "", dtype=object)
    return {"j": b["u"].astype(np.int64), "other": b["v"].astype(np.int64), "cont": b["cont"].astype(np.float64),
            "text": blank, "id": blank, "title": blank, "published": blank}


@typed
def _passage_article_rows(b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out = _article_rows(b, True)
    out["cont"] = np.zeros(b["key"].size, dtype=np.float64)
    return out


@typed
def _pick_sources(b: dict[str, np.ndarray], max_sources: int) -> dict[str, np.ndarray]:
    """Per later article, its most contained matches, carrying that article's fields to the source's partition."""
    is_art = b["other"] < 0
    row = {k: i for i, k in zip(np.flatnonzero(is_art).tolist(), b["j"][is_art].tolist())}
    pi = np.flatnonzero(~is_art)
    pick = pi[partitions.passage_sources(b["j"][pi], b["other"][pi], b["cont"][pi], max_sources)]
    src = np.array([row[k] for k in b["j"][pick].tolist()], dtype=np.int64)
    return {"j": b["other"][pick], "other": b["j"][pick], "cont": b["cont"][pick],
            "text": b["text"][src], "id": b["id"][src], "title": b["title"][src], "published": b["published"][src]}


@typed
def _passages(b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    from ..models import Article
    from ..dedup.passages import find_passages

    is_art = b["other"] < 0
    row = {k: i for i, k in zip(np.flatnonzero(is_art).tolist(), b["j"][is_art].tolist())}

    def art(i: int) -> Article:
        return Article(id=str(b["id"][i]), text=b["text"][i] or "", title=b["title"][i] or None,
                       published=b["published"][i] or None)

    cols: dict[str, list[Any]] = {k: [] for k in ("new_key", "rank_cont", "source_key", "article_id", "source_id",
                                                  "sentence", "source_sentence", "similarity", "direction", "pos")}
    for i in np.flatnonzero(~is_art).tolist():
        old, new = int(b["j"][i]), int(b["other"][i])
        for pos, p in enumerate(find_passages(art(i), art(row[old]))):
            for k, v in (("new_key", new), ("rank_cont", -float(b["cont"][i])), ("source_key", old),
                         ("article_id", p.article_id), ("source_id", p.source_id), ("sentence", p.sentence),
                         ("source_sentence", p.source_sentence), ("similarity", float(p.similarity)),
                         ("direction", p.direction), ("pos", pos)):
                cols[k].append(v)
    types = {"new_key": np.int64, "rank_cont": np.float64, "source_key": np.int64, "similarity": np.float64,
             "pos": np.int64}
    return {k: np.array(v, dtype=types.get(k, object)) for k, v in cols.items()}


@typed
def _bloom(b: dict[str, np.ndarray], cols: tuple[str, ...], m: int) -> dict[str, np.ndarray]:
    keys = np.concatenate([b[c].astype(np.int64) for c in cols])
    return {"bits": kernels.bloom_bits(keys, m)[None, :]}


def _in_bloom(t: pa.Table, packed: np.ndarray, m: int) -> pa.Table:
    """The rows of an article table whose key may be in the filter (the table keeps its schema)."""
    return t.filter(pa.array(kernels.bloom_contains(t.column("key").to_numpy(), packed, m)))


@typed
def _both_ways(b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {"a": np.concatenate([b["u"], b["v"]]), "b": np.concatenate([b["v"], b["u"]])}


@typed
def _oriented(b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {"a": np.maximum(b["u"], b["v"]), "b": np.minimum(b["u"], b["v"])}


@typed
def _large(b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    u, v = kernels.large_star(b["a"], b["b"])
    return {"u": u, "v": v}


@typed
def _small(b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    u, v = kernels.small_star(b["a"], b["b"])
    return {"u": u, "v": v}


@typed
def _digest(b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {"n": np.array([b["u"].size], dtype=np.int64),
            "h": np.array([kernels.edge_digest(b["u"], b["v"])], dtype=np.int64)}


@typed
def _member_rows(b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Star edges ``(member, root)`` as tagged rows: each member and each root, with its root."""
    j = np.concatenate([b["u"], b["v"]])
    n = j.size
    blank = np.full(n, "", dtype=object)
    return {"j": j, "other": np.concatenate([b["v"], b["v"]]), "text": blank, "id": blank, "title": blank,
            "published": blank}


@typed
def _article_rows(b: dict[str, np.ndarray], with_meta: bool) -> dict[str, np.ndarray]:
    n = b["key"].size
    out = {"j": b["key"].astype(np.int64), "other": np.full(n, -1, dtype=np.int64), "text": b["text"]}
    if with_meta:
        out["id"] = b["id"]
        out["title"] = np.array([t or "" for t in b["title"].tolist()], dtype=object)
        out["published"] = np.array([p or "" for p in b["published"].tolist()], dtype=object)
    return out


@typed
def _members(b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each article in a component, with its component (the smallest key in it)."""
    is_art = b["other"] < 0
    comp: dict[int, int] = {}
    for k, c in zip(b["j"][~is_art].tolist(), b["other"][~is_art].tolist()):
        if c < comp.get(k, c + 1):
            comp[k] = c
    idx = [i for i, k in zip(np.flatnonzero(is_art).tolist(), b["j"][is_art].tolist()) if k in comp]
    idx_a = np.array(idx, dtype=np.int64)
    return {"comp": np.array([comp[int(k)] for k in b["j"][idx_a]], dtype=np.int64), "key": b["j"][idx_a],
            "id": b["id"][idx_a], "text": b["text"][idx_a], "published": b["published"][idx_a]}


@typed
def _links(b: dict[str, np.ndarray], config: DedupConfig) -> dict[str, np.ndarray]:
    pub = np.array([p or None for p in b["published"].tolist()], dtype=object)
    rows = partitions.component_links(b["comp"].astype(np.int64), b["key"].astype(np.int64), b["id"], b["text"], pub,
                                      config)
    return {c: np.array([getattr(x, c) for x in rows], dtype=np.float64 if c == "similarity" else object)
            for c in LINK_COLUMNS}


# ---------------------------------------------------------------- the engine
class RayEngine:
    """Batch dedup on Ray Data (a local Ray unless ``address`` names a cluster).

    ``partitions``: hash partitions per shuffle (default: twice the
    cluster's CPUs); ``max_retries``: how often Ray re-runs a read task
    whose worker died (Ray Data retries its own tasks on worker failure
    without limit); ``before_batch``: called on the worker before each
    fingerprint batch and each window fold (a diagnostic hook; the fault
    tests use it);
    ``actors``: embedding actors for :meth:`fold` (default: one per CPU),
    each holding the model once; ``embed_batch``: articles per actor call.
    """

    name = "ray"

    def __init__(self, address: str | None = None, *, num_cpus: int | None = None, partitions: int | None = None,
                 max_bucket: int = 256, batch_size: int = 1000, max_retries: int = 3,
                 split_bytes: int = 64 << 20, show_progress: bool = False,
                 before_batch: Callable[[], None] | None = None, actors: int | None = None,
                 embed_batch: int = 256) -> None:
        self.address = address
        self.actors = actors
        self.embed_batch = int(embed_batch)
        self.num_cpus = num_cpus
        self.partitions = partitions
        self.max_bucket = int(max_bucket)
        self.batch_size = int(batch_size)
        self.max_retries = int(max_retries)
        self.split_bytes = int(split_bytes)
        self.show_progress = show_progress
        self.before_batch = before_batch
        self._started = False

    # ------------------------------------------------------------ ray
    def _ray(self) -> Any:
        ray = _require_ray()
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                      "logging_level": logging.WARNING}
            if self.address:
                kwargs["address"] = self.address
            elif self.num_cpus:
                kwargs["num_cpus"] = self.num_cpus
            try:
                ray.init(**kwargs)
            except ConnectionError as e:
                raise EngineError(f"cannot reach the Ray cluster at {self.address}: {e}. "
                                  "Check --ray-address (ray://HOST:10001 or HOST:6379).") from None
            self._started = True
        from ray.data.context import DataContext, ShuffleStrategy

        ctx = DataContext.get_current()
        # task-based sort shuffle: no aggregator actors to start per shuffle (seconds each on a small cluster)
        ctx.shuffle_strategy = ShuffleStrategy.SORT_SHUFFLE_PULL_BASED
        ctx.enable_progress_bars = self.show_progress
        ctx.print_on_execution_start = False
        if not self.show_progress:  # one INFO line per executed dataset is noise in a CLI run
            logging.getLogger("ray.data").setLevel(logging.WARNING)
        return ray

    def close(self) -> None:
        if self._started:
            import ray

            ray.shutdown()
            self._started = False

    def _n_parts(self, ray: Any) -> int:
        if self.partitions:
            return int(self.partitions)
        return max(2, 2 * int(ray.cluster_resources().get("CPU", 2)))

    def _shuffle(self, ds: "ray.data.Dataset", col: str, n: int, fn: Callable[..., Any],
                 **kwargs: Any) -> "ray.data.Dataset":
        """Rows with the same ``col`` into one partition; ``fn`` on each partition."""
        ds = ds.map_batches(_with_part, fn_kwargs={"col": col, "n": n}, batch_format="numpy")
        return ds.groupby("_part").map_groups(fn, fn_kwargs=kwargs, batch_format="numpy")

    # ---------------------------------------------------------- dedup
    def dedup(self, inputs: Sequence[str], config: DedupConfig, output: Output,
              progress: ProgressFn = no_progress) -> BatchReport:
        if output.kind == "store":
            with Store(output.path) as store:
                if store.count_articles():
                    raise EngineError(f"{output.path} already holds articles; the ray engine writes a new store. "
                                      "Use `newsfold dedup` (local, incremental) on it, or choose a new --db.")
        ray = self._ray()
        report = BatchReport(self.name)
        splits = plan(expand(inputs), self.split_bytes)
        with working_store(output) as store:
            # read and clean on Ray, store through add's Ingester here: keys are the articles' seq
            store_inputs(store, splits, report, cleaned_on_ray(ray, self.max_retries))
            arts = stored_articles(ray, store).materialize()
            self._dedup(ray, store, arts, config, output, report, progress)
        return report

    def _dedup(self, ray: Any, store: Store, arts: "ray.data.Dataset", config: DedupConfig, output: Output,
               report: BatchReport, progress: ProgressFn) -> None:
        n = self._n_parts(ray)
        steps = ["fingerprint", "exact", "lsh", "verify", "components", "groups", "passages", "write"]
        clock = Clock(report, progress, steps)
        fps = arts.map_batches(_fingerprint, fn_kwargs={"config": config, "before_batch": self.before_batch},
                               batch_size=self.batch_size, batch_format="numpy").materialize()
        clock.done("fingerprint")

        hashed = fps.select_columns(["key", "content_hash", "has_sig", "sig"]).map_batches(
            _with_words, batch_format="numpy")
        exact = self._shuffle(hashed, "content_hash", n, _exact).materialize()
        exact_edges = exact.map_batches(_exact_edges, batch_format="numpy")
        lsh_in = exact.map_batches(_lsh_rows, batch_format="numpy")
        report.details["exact"] = exact_edges.count()
        clock.done("exact")

        bands = lsh_in.map_batches(_bands, fn_kwargs={"config": config, "max_bucket": self.max_bucket},
                                   batch_format="numpy")
        pairs = self._shuffle(bands, "bh", n, _buckets, max_bucket=self.max_bucket)
        pairs = pairs.materialize()
        text_rows = self._only_keys(arts, pairs, ("j", "other")).map_batches(
            _article_rows, fn_kwargs={"with_meta": False}, batch_format="numpy")
        with_new = self._shuffle(pairs.union(text_rows), "j", n, _attach_new).materialize()
        report.details["candidates"] = with_new.count()
        clock.done("lsh")

        verified = self._shuffle(with_new.union(text_rows), "j", n, _verify, config=config).materialize()
        report.details["matches"] = verified.count()
        clock.done("verify")

        edges = exact_edges.union(verified.map_batches(_copies, batch_format="numpy")).materialize()
        stars, rounds = self._components(edges, n)
        report.details["cc_rounds"] = rounds
        clock.done("components")

        member_rows = stars.map_batches(_member_rows, batch_format="numpy")
        meta_rows = self._only_keys(arts, stars, ("u", "v")).map_batches(
            _article_rows, fn_kwargs={"with_meta": True}, batch_format="numpy")
        members = self._shuffle(member_rows.union(meta_rows), "j", n, _members)
        links = self._shuffle(members, "comp", n, _links, config=config).materialize()
        report.links = links.count()
        report.groups = stars.groupby("v").count().count() if report.links else 0
        clock.done("groups")

        pairs_p = verified.map_batches(_passage_pair_rows, batch_format="numpy")
        arts_p = self._only_keys(arts, verified, ("u", "v")).map_batches(_passage_article_rows,
                                                                         batch_format="numpy")
        picked = self._shuffle(pairs_p.union(arts_p), "j", n, _pick_sources, max_sources=config.max_passage_sources)
        passages = self._shuffle(picked.union(arts_p), "j", n, _passages).materialize()
        report.details["passages"] = passages.count()
        clock.done("passages")

        if output.kind == "parquet":
            with ParquetOutput(output.path) as out:
                links.write_parquet(out.table_dir("links"))
                passages.sort(["new_key", "rank_cont", "source_key", "pos"]).select_columns(
                    list(PASSAGE_COLUMNS)).write_parquet(out.table_dir("passages"))
                fps.select_columns(["key", "id", "published", "content_hash", "n_shingles"]).write_parquet(
                    out.table_dir("articles"))
                out.commit()
        else:
            self._write_store(store, fps, links, passages, config)
        clock.done("write")

    def fold(self, inputs: Sequence[str], config: FoldConfig, output: Output,
             progress: ProgressFn = no_progress) -> BatchReport:
        """Stories of every article in ``inputs`` by windowed batch folding (see :mod:`.ray_fold`)."""
        ray = self._ray()
        splits = plan(expand(inputs), self.split_bytes)
        return fold_on_ray(self, ray, splits, config, output, cleaned_on_ray(ray, self.max_retries), progress)

    def _only_keys(self, arts: "ray.data.Dataset", rows: "ray.data.Dataset",
                   cols: tuple[str, ...]) -> "ray.data.Dataset":
        """The articles whose key may appear in ``rows[cols]`` (a Bloom-filter semi-join).

        Only the filter (10 bits per key) comes to the driver and goes out
        again; it keeps the text shuffles to the articles that have a pair.
        """
        m = kernels.bloom_size(len(cols) * rows.count())
        packed = np.zeros(m // 8, dtype=np.uint8)
        for b in rows.map_batches(_bloom, fn_kwargs={"cols": cols, "m": m}, batch_format="numpy").iter_batches(
                batch_format="numpy", batch_size=None):
            packed |= np.bitwise_or.reduce(b["bits"], axis=0)
        return arts.map_batches(_in_bloom, fn_kwargs={"packed": packed, "m": m}, batch_format="pyarrow")

    def _components(self, edges: "ray.data.Dataset", n: int) -> tuple["ray.data.Dataset", int]:
        """Star graph (member, smallest key of its component) of ``edges``, by large/small-star rounds."""
        if edges.count() == 0:
            return edges, 0
        last = None
        for rnd in range(1, MAX_CC_ROUNDS + 1):
            large = self._shuffle(edges.map_batches(_both_ways, batch_format="numpy"), "a", n, _large)
            edges = self._shuffle(large.map_batches(_oriented, batch_format="numpy"), "a", n,
                                  _small).materialize()
            d = edges.map_batches(_digest, batch_format="numpy")
            digest = (d.sum("n") or 0, d.sum("h") or 0)
            if digest == last:
                return edges, rnd
            last = digest
        raise EngineError(f"connected components did not converge in {MAX_CC_ROUNDS} rounds")

    @staticmethod
    def _write_store(store: Store, fps: "ray.data.Dataset", links: "ray.data.Dataset",
                     passages: "ray.data.Dataset", config: DedupConfig) -> None:
        """Fingerprints, links, passages and settings into the store through the dedup stage's writer."""
        with store.atomic():
            for b in fps.iter_batches(batch_format="numpy", batch_size=5000):
                cols = zip(b["id"].tolist(), b["content_hash"].tolist(), b["n_shingles"].tolist(),
                           b["has_sig"].tolist(), b["sig"])
                writes.fingerprints(store, [(aid, h, int(ns), signature_to_blob(sig) if has else None)
                                            for aid, h, ns, has, sig in cols])
            for b in links.iter_batches(batch_format="numpy", batch_size=5000):
                writes.links(store, [DupLink(*r) for r in zip(*(b[c].tolist() for c in LINK_COLUMNS))])
            # in the stage's order: by copier, its sources by containment, sentences in text order
            for b in passages.sort(["new_key", "rank_cont", "source_key", "pos"]).iter_batches(
                    batch_format="numpy", batch_size=5000):
                writes.passages(store, [Passage(*r) for r in zip(*(b[c].tolist() for c in PASSAGE_COLUMNS))])
            writes.settings(store, config)
