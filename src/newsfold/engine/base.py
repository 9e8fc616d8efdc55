"""The engine interface: how batch work is partitioned and moved, never what it computes.

An :class:`Engine` runs a batch stage over input files and writes its
output (:class:`Output`): the SQLite store, or Parquet tables for corpora too
large for one SQLite file.  ``local`` runs the stage's own ``catch_up`` in
this process; ``ray`` runs the same per-partition code (``kernels``) on Ray
Data.  Both give the same result; only time and memory differ.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import pyarrow as pa
import pyarrow.parquet as pq

from ..dedup.config import DedupConfig
from ..models import DupLink, Passage
from ..stages import ProgressFn, no_progress
from ..store.db import Store

log = logging.getLogger(__name__)


LINK_SCHEMA = pa.schema([("article_id", pa.string()), ("canonical_id", pa.string()), ("kind", pa.string()),
                         ("similarity", pa.float64())])
PASSAGE_SCHEMA = pa.schema([("article_id", pa.string()), ("source_id", pa.string()), ("sentence", pa.string()),
                            ("source_sentence", pa.string()), ("similarity", pa.float64()),
                            ("direction", pa.string())])
ARTICLE_SCHEMA = pa.schema([("key", pa.int64()), ("id", pa.string()), ("published", pa.string()),
                            ("content_hash", pa.string()), ("n_shingles", pa.int64())])


class EngineError(RuntimeError):
    """A batch run that cannot start or finish, with what to do about it."""


@dataclass(frozen=True)
class Output:
    """Where a batch run writes: ``store`` (a SQLite file) or ``parquet`` (a directory of tables)."""

    kind: Literal["store", "parquet"]
    path: str


@dataclass
class BatchReport:
    """What a batch run did: counts, and wall seconds per stage."""

    engine: str
    articles: int = 0
    skipped: int = 0
    groups: int = 0
    links: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"engine": self.engine, "articles": self.articles, "skipped": self.skipped, "groups": self.groups,
                "links": self.links, "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
                "details": self.details}


class Engine(Protocol):
    """Runs batch stages over input files."""

    name: str

    def dedup(self, inputs: Sequence[str], config: DedupConfig, output: Output,
              progress: ProgressFn = no_progress) -> BatchReport:
        """Duplicate groups of every article in ``inputs``, written to ``output``."""
        ...

    def fold(self, inputs: Sequence[str], config: Any, output: Output,
             progress: ProgressFn = no_progress) -> BatchReport:
        """Stories (windowed batch fold, :mod:`~newsfold.engine.fold`) and summaries, written to ``output``."""
        ...

    def close(self) -> None:
        """Give back what the engine holds (a Ray connection)."""
        ...


# ------------------------------------------------------------- outputs
class ParquetOutput:
    """A Parquet output directory written atomically: into a temporary sibling, then renamed.

    Readers never see a half-written table: until :meth:`commit`, the target
    holds the previous run's tables (or nothing).
    """

    def __init__(self, path: str) -> None:
        if "://" in path:
            raise EngineError(f"{path}: Parquet output goes to a local or mounted path for now.")
        self.path = Path(path)
        self.tmp = self.path.parent / f".{self.path.name}.tmp-{uuid.uuid4().hex[:8]}"

    def __enter__(self) -> "ParquetOutput":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir()
        return self

    def table_dir(self, name: str) -> str:
        d = self.tmp / name
        d.mkdir(exist_ok=True)
        return str(d)

    def commit(self) -> None:
        old = self.path.parent / f".{self.path.name}.old-{uuid.uuid4().hex[:8]}"
        if self.path.exists():
            os.rename(self.path, old)
        os.rename(self.tmp, self.path)
        shutil.rmtree(old, ignore_errors=True)

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


@contextmanager
def working_store(output: Output) -> Iterator[Store]:
    """The store a batch run builds: the output store, or a temporary one for Parquet output."""
    with tempfile.TemporaryDirectory(prefix="newsfold-batch-") as tmp:
        with Store(output.path if output.kind == "store" else str(Path(tmp) / "batch.db")) as store:
            yield store


def write_settings(store: Store, config: DedupConfig) -> None:
    """The settings a store's links were built with (as the dedup stage records them)."""
    store.conn.execute("DELETE FROM dedup_settings")
    for name in ("threshold", "containment", "min_ratio", "shingle_size", "num_perm", "seed"):
        store.conn.execute("INSERT INTO dedup_settings (name, value) VALUES (?, ?)",
                           (name, str(getattr(config, name))))


def read_links(output: Output) -> list[DupLink]:
    """Every duplicate link an output holds, sorted by article id."""
    if output.kind == "store":
        with Store(output.path) as store:
            rows = store.conn.execute("SELECT article_id, canonical_id, kind, similarity FROM dup_links").fetchall()
            links = [DupLink(r[0], r[1], r[2], float(r[3])) for r in rows]
    else:
        d = Path(output.path) / "links"
        files = sorted(d.glob("*.parquet"))
        t = pa.concat_tables([pq.read_table(f) for f in files]) if files else LINK_SCHEMA.empty_table()
        links = [DupLink(r["article_id"], r["canonical_id"], r["kind"], float(r["similarity"]))
                 for r in t.to_pylist()]
    return sorted(links, key=lambda link: link.article_id)


def read_passages(output: Output) -> list[Passage]:
    """Every re-used passage an output holds (from a store: in the order the stage recorded them)."""
    if output.kind == "store":
        with Store(output.path) as store:
            rows = [tuple(r) for r in store.conn.execute(
                "SELECT article_id, source_id, sentence, source_sentence, similarity, direction FROM passages"
                " ORDER BY rowid")]
    else:
        files = sorted((Path(output.path) / "passages").glob("*.parquet"))
        t = pa.concat_tables([pq.read_table(f) for f in files]) if files else PASSAGE_SCHEMA.empty_table()
        # Parquet files carry no row order: sorted, so that two outputs compare
        rows = sorted(tuple(r.values()) for r in t.select(PASSAGE_SCHEMA.names).to_pylist())
    return [Passage(*r) for r in rows]


def groups_of(links: Sequence[DupLink]) -> dict[str, frozenset[str]]:
    """``{canonical id: members including itself}`` from a list of links."""
    out: dict[str, set[str]] = {}
    for link in links:
        out.setdefault(link.canonical_id, {link.canonical_id}).add(link.article_id)
    return {k: frozenset(v) for k, v in out.items()}
