"""Where a batch run writes, and reading it back: a SQLite store, or a directory of Parquet tables.

Parquet output is written atomically (:class:`ParquetOutput`: into a
temporary sibling, renamed when complete); :func:`export_parquet` writes a
store's tables there.  The readers (:func:`read_links`, :func:`read_passages`,
:func:`read_partition`) give the same rows from either kind, so two runs
compare.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq

from ..models import DupLink, Passage
from ..store.db import Store


class OutputError(ValueError):
    """An output that cannot be written, with what to do about it."""


@dataclass(frozen=True)
class Output:
    """Where a batch run writes: ``store`` (a SQLite file) or ``parquet`` (a directory of tables)."""

    kind: Literal["store", "parquet"]
    path: str


LINK_SCHEMA = pa.schema([("article_id", pa.string()), ("canonical_id", pa.string()), ("kind", pa.string()),
                         ("similarity", pa.float64())])
PASSAGE_SCHEMA = pa.schema([("article_id", pa.string()), ("source_id", pa.string()), ("sentence", pa.string()),
                            ("source_sentence", pa.string()), ("similarity", pa.float64()),
                            ("direction", pa.string())])
ARTICLE_SCHEMA = pa.schema([("key", pa.int64()), ("id", pa.string()), ("published", pa.string()),
                            ("content_hash", pa.string()), ("n_shingles", pa.int64())])


# what a dedup run leaves in Parquet: each table's schema and the query that reads it from a store
DEDUP_TABLES = {
    "articles": (ARTICLE_SCHEMA, "SELECT a.seq, a.id, a.published, f.content_hash, f.n_shingles FROM articles a"
                                 " JOIN fingerprints f ON f.article_id = a.id ORDER BY a.seq"),
    "links": (LINK_SCHEMA, "SELECT article_id, canonical_id, kind, similarity FROM dup_links ORDER BY article_id"),
    "passages": (PASSAGE_SCHEMA, "SELECT article_id, source_id, sentence, source_sentence, similarity, direction"
                                 " FROM passages ORDER BY rowid")}


def export_parquet(store: Store, output: Output, tables: dict[str, tuple[pa.Schema, str]]) -> None:
    """``tables`` (name: schema, query) read from ``store`` into the Parquet directory ``output``, atomically."""
    with ParquetOutput(output.path) as out:
        for name, (schema, query) in tables.items():
            rows = [dict(zip(schema.names, r)) for r in store.conn.execute(query)]
            pq.write_table(pa.Table.from_pylist(rows, schema=schema), Path(out.table_dir(name)) / "part-00000.parquet")
        out.commit()


def read_table(output: Output, name: str, schema: pa.Schema) -> pa.Table:
    """Table ``name`` of a Parquet output (empty when it has no files)."""
    files = sorted((Path(output.path) / name).glob("*.parquet"))
    return pa.concat_tables([pq.read_table(f) for f in files]) if files else schema.empty_table()


_S = pa.string()
# what a fold leaves in Parquet: articles, stories (with their briefings), memberships
FOLD_TABLES = {
    "articles": (pa.schema([("key", pa.int64()), ("id", _S), ("published", _S), ("story_id", _S),
                            ("skip_reason", _S)]),
                 "SELECT a.seq, a.id, a.published, sa.story_id, sk.reason FROM articles a"
                 " LEFT JOIN story_articles sa ON sa.article_id = a.id"
                 " LEFT JOIN story_skips sk ON sk.article_id = a.id ORDER BY a.seq"),
    "stories": (pa.schema([("story_id", _S), ("headline", _S), ("size", pa.int64()), ("first_published", _S),
                           ("last_published", _S), ("version", _S), ("summary", _S), ("briefing_json", _S)]),
                "SELECT s.id, s.headline, s.size, s.first_published, s.last_published, m.story_version,"
                " f.summary, m.briefing_json FROM stories s LEFT JOIN summaries m ON m.story_id = s.id"
                " LEFT JOIN stories_fts f ON f.story_id = s.id ORDER BY s.id"),
    "links": (pa.schema([("article_id", _S), ("story_id", _S)]),
              "SELECT article_id, story_id FROM story_articles ORDER BY article_id")}



class ParquetOutput:
    """A Parquet output directory written atomically: into a temporary sibling, then renamed.

    Readers never see a half-written table: until :meth:`commit`, the target
    holds the previous run's tables (or nothing).
    """

    def __init__(self, path: str) -> None:
        if "://" in path:
            raise OutputError(f"{path}: Parquet output goes to a local or mounted path for now.")
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


def read_links(output: Output) -> list[DupLink]:
    """Every duplicate link an output holds, sorted by article id."""
    if output.kind == "store":
        with Store(output.path) as store:
            rows = store.conn.execute("SELECT article_id, canonical_id, kind, similarity FROM dup_links").fetchall()
            links = [DupLink(r[0], r[1], r[2], float(r[3])) for r in rows]
    else:
        t = read_table(output, "links", LINK_SCHEMA)
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
        t = read_table(output, "passages", PASSAGE_SCHEMA)
        # Parquet files carry no row order: sorted, so that two outputs compare
        rows = sorted(tuple(r.values()) for r in t.select(PASSAGE_SCHEMA.names).to_pylist())
    return [Passage(*r) for r in rows]


def groups_of(links: Sequence[DupLink]) -> dict[str, frozenset[str]]:
    """``{canonical id: members including itself}`` from a list of links."""
    out: dict[str, set[str]] = {}
    for link in links:
        out.setdefault(link.canonical_id, {link.canonical_id}).add(link.article_id)
    return {k: frozenset(v) for k, v in out.items()}


def read_partition(output: Output) -> dict[str, frozenset[str]]:
    """``{story id: article ids}`` of a fold's output (store or Parquet)."""
    rows: list[Any]
    if output.kind == "store":
        with Store(output.path) as store:
            rows = [(r[0], r[1]) for r in store.conn.execute("SELECT story_id, article_id FROM story_articles")]
    else:
        t = read_table(output, "links", FOLD_TABLES["links"][0])
        rows = list(zip(t.column("story_id").to_pylist(), t.column("article_id").to_pylist()))
    out: dict[str, set[str]] = defaultdict(set)
    for s, a in rows:
        out[s].add(a)
    return {k: frozenset(v) for k, v in out.items()}
