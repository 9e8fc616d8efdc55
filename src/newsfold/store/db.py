"""The SQLite store: one file, WAL mode, migrations, transactional writes.

Every stage reads and writes through a :class:`Store`.  Writes happen inside
:meth:`Store.atomic`, so a crash leaves either all of a batch or none of it.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..models import Article, LedgerEntry, RemovedLine, storable_text
from .schema import MIGRATIONS

log = logging.getLogger(__name__)

DEFAULT_DB = "newsfold.db"


class StoreError(Exception):
    """The database cannot be opened or is not a newsfold store."""


def default_path() -> str:
    return os.environ.get("NEWSFOLD_DB") or DEFAULT_DB


class Store:
    """A newsfold database.  ``Store(":memory:")`` for tests."""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, readonly: bool = False) -> None:
        self.path = str(path) if path is not None else default_path()
        try:
            if readonly:
                uri = f"file:{Path(self.path).resolve()}?mode=ro"
                self.conn = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)
            else:
                if self.path != ":memory:":
                    Path(self.path).parent.mkdir(parents=True, exist_ok=True)
                self.conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA busy_timeout = 30000")
            if not readonly:
                self.conn.execute("PRAGMA journal_mode = WAL")
                self.conn.execute("PRAGMA synchronous = NORMAL")
            self.conn.execute("PRAGMA foreign_keys = ON")
            if not readonly:
                self._migrate()
        except sqlite3.DatabaseError as e:
            raise StoreError(f"cannot open {self.path} as a newsfold database: {e}. "
                             f"Check the path, or pass --db with a new file name.") from e
        self._in_tx = False

    # ------------------------------------------------------------ basics
    def _migrate(self) -> None:
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise StoreError(f"{self.path} was written by a newer newsfold (schema {version}); upgrade newsfold")
        for i, sql in enumerate(MIGRATIONS[version:], start=version + 1):
            log.info("migrating %s to schema %d", self.path, i)
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                for stmt in _split_sql(sql):
                    self.conn.execute(stmt)
                self.conn.execute(f"PRAGMA user_version = {i}")
                self.conn.execute("COMMIT")
            except Exception:
                self.conn.execute("ROLLBACK")
                raise

    @property
    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    @contextmanager
    def atomic(self) -> Iterator[sqlite3.Connection]:
        """A write transaction; nested calls join the outer one."""
        if self._in_tx:
            yield self.conn
            return
        self.conn.execute("BEGIN IMMEDIATE")
        self._in_tx = True
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")
        finally:
            self._in_tx = False

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---------------------------------------------------------- articles
    def has_article(self, article_id: str) -> bool:
        return self.conn.execute("SELECT 1 FROM articles WHERE id = ?", (article_id,)).fetchone() is not None

    def existing_ids(self, ids: Iterable[str]) -> set[str]:
        ids = list(ids)
        found: set[str] = set()
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            q = f"SELECT id FROM articles WHERE id IN ({','.join('?' * len(chunk))})"
            found.update(r[0] for r in self.conn.execute(q, chunk))
        return found

    def insert_article(self, a: Article) -> None:
        self.insert_articles([a])

    def insert_articles(self, articles: Iterable[Article]) -> None:
        """Insert articles (call inside :meth:`atomic`), many rows per statement.

        The ``articles_ai`` trigger indexes each row for full-text search.  FTS5
        writes its pending index out as a new segment at every statement that
        touches it, so one row per statement would leave one tiny segment per
        article to merge; rows go in ``_INSERT_ROWS`` at a time instead.
        """
        rows = [article_row(a) for a in articles]
        per = max(1, min(_INSERT_ROWS, self.conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // _N_COLUMNS))
        for i in range(0, len(rows), per):
            chunk = rows[i:i + per]
            self.conn.execute(_INSERT_ARTICLES + ",".join([_ARTICLE_PARAMS] * len(chunk)),
                              [v for row in chunk for v in row])

    def get_article(self, article_id: str) -> Article | None:
        row = self.conn.execute("SELECT * FROM articles WHERE id = ?", (article_id,)).fetchone()
        return _row_to_article(row) if row else None

    def get_articles(self, ids: Iterable[str]) -> list[Article]:
        ids = list(ids)
        out: dict[str, Article] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            q = f"SELECT * FROM articles WHERE id IN ({','.join('?' * len(chunk))})"
            for row in self.conn.execute(q, chunk):
                out[row["id"]] = _row_to_article(row)
        return [out[i] for i in ids if i in out]

    def iter_articles(self, *, after_seq: int = 0, batch: int = 1000) -> Iterator[tuple[int, Article]]:
        """All articles in ingest order, as ``(seq, article)``."""
        last = after_seq
        while True:
            rows = self.conn.execute(
                "SELECT * FROM articles WHERE seq > ? ORDER BY seq LIMIT ?", (last, batch)).fetchall()
            if not rows:
                return
            for row in rows:
                yield row["seq"], _row_to_article(row)
            last = rows[-1]["seq"]

    def list_articles(self, *, limit: int = 100, offset: int = 0, outlet: str | None = None) -> list[Article]:
        q, args = "SELECT * FROM articles", []
        if outlet:
            q += " WHERE outlet = ?"
            args.append(outlet)
        q += " ORDER BY seq LIMIT ? OFFSET ?"
        args += [limit, offset]
        return [_row_to_article(r) for r in self.conn.execute(q, args)]

    def count_articles(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM articles").fetchone()[0])

    # ------------------------------------------------------------ ledger
    def new_run_id(self) -> str:
        return uuid.uuid4().hex[:12]

    def add_ledger(self, run_id: str, entry: LedgerEntry) -> None:
        self.add_ledger_entries(run_id, [entry])

    def add_ledger_entries(self, run_id: str, entries: Iterable[LedgerEntry]) -> None:
        self.conn.executemany(
            "INSERT INTO ledger (run_id, ref, outcome, reason, article_id) VALUES (?,?,?,?,?)",
            [(run_id, storable_text(e.ref), e.outcome, storable_text(e.reason), e.article_id) for e in entries])

    def ledger(self, *, outcome: str | None = None, run_id: str | None = None,
               limit: int | None = None) -> list[dict[str, Any]]:
        q, args, where = "SELECT run_id, ref, outcome, reason, article_id, at FROM ledger", [], []
        if outcome:
            where.append("outcome = ?")
            args.append(outcome)
        if run_id:
            where.append("run_id = ?")
            args.append(run_id)
        if where:
            q += " WHERE " + " AND ".join(where)
        q += " ORDER BY seq"
        if limit:
            q += f" LIMIT {int(limit)}"
        return [dict(r) for r in self.conn.execute(q, args)]


ARTICLE_COLUMNS = ("id, title, outlet, url, published, published_source, language, place, text, removed_json,"
                   " content_hash, source_ref, meta_json, origin")
_INSERT_ARTICLES = f"INSERT INTO articles ({ARTICLE_COLUMNS}) VALUES "
_ARTICLE_PARAMS = "(?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
_N_COLUMNS = 14
_INSERT_ROWS = 500  # rows per statement (fewer where SQLite allows fewer than 6,500 parameters)


def unstorable(a: Article) -> str | None:
    """Why ``a`` cannot be stored (text SQLite cannot hold as UTF-8: a lone surrogate), or None.

    JSON may spell a lone surrogate (``"\\ud800"``) and a file may hold its bytes
    (ED A0 80); such text is not Unicode, and one such record must be rejected
    on its own, not fail the batch it is stored with.
    """
    fields: list[tuple[str, Any]] = [("id", a.id), ("title", a.title), ("outlet", a.outlet), ("url", a.url),
                                     ("published", a.published), ("language", a.language), ("place", a.place),
                                     ("text", a.text)]
    fields += [("removed line", r.line) for r in a.removed]
    fields.append(("a field kept as metadata", json.dumps(a.meta, ensure_ascii=False, default=str)))
    for name, value in fields:
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as e:
                cp = ord(value[e.start])
                what = "a byte that is not UTF-8" if 0xDC80 <= cp <= 0xDCFF else f"a lone surrogate (U+{cp:04X})"
                return f"not valid Unicode: {name} holds {what} at character {e.start + 1}; fix the input's encoding"
    return None


def article_row(a: Article) -> tuple[Any, ...]:
    """The values of :data:`ARTICLE_COLUMNS` for ``a``."""
    return (a.id, a.title, a.outlet, a.url, a.published, a.published_source, a.language, a.place, a.text,
            json.dumps([{"line": r.line, "reason": r.reason} for r in a.removed], ensure_ascii=False),
            a.content_hash, storable_text(a.source_ref), json.dumps(a.meta, ensure_ascii=False, default=str),
            storable_text(a.origin))


def _row_to_article(row: sqlite3.Row) -> Article:
    return Article(
        id=row["id"], title=row["title"], outlet=row["outlet"], url=row["url"], published=row["published"],
        published_source=row["published_source"], language=row["language"], place=row["place"],
        text=row["text"], removed=[RemovedLine(**r) for r in json.loads(row["removed_json"])],
        content_hash=row["content_hash"], source_ref=row["source_ref"], meta=json.loads(row["meta_json"]),
        origin=row["origin"] if "origin" in row.keys() else "",
    )


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies whole."""
    out, buf = [], []
    for line in script.splitlines():
        buf.append(line)
        joined = "\n".join(buf).strip()
        if joined.endswith(";") and sqlite3.complete_statement(joined):
            out.append(joined)
            buf = []
    rest = "\n".join(buf).strip()
    if rest:
        out.append(rest)
    return out
