"""Article versions: a new text of a stored article replaces it, and the old text is kept.

:func:`replace_article` is the one way an article's text changes.  In the
caller's transaction it copies the current row into ``article_versions``,
writes the new text under the same id with a new ``seq`` (the end of ingest
order, so every later stage meets it as it meets a new article), and drops
what those stages derived from the old text, so that each finds the article
in its backlog again (:mod:`newsfold.stages`):

- dedup: its fingerprint and its links, and the fingerprints and links of its
  copies (they are judged again against the new text);
- passages: the re-used passages it is part of, and its check;
- stories: its dense vector and any skip.  It stays in its story (a refold
  may move it), whose size and dates are recomputed;
- summaries: its entities and its story's briefing, which is rebuilt and
  names the update.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

from ..dedup import writes as dedup_writes
from ..models import Article, ArticleVersion
from .db import ARTICLE_COLUMNS, Store, article_row

_COLUMNS = [c.strip() for c in ARTICLE_COLUMNS.split(",")]
_NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"


def replace_article(store: Store, art: Article) -> int:
    """Make ``art`` the current text of the stored article ``art.id``; returns the number its old text keeps.

    Call inside :meth:`Store.atomic`.
    """
    conn = store.conn
    if conn.execute("SELECT 1 FROM articles WHERE id = ?", (art.id,)).fetchone() is None:
        raise KeyError(f"no article {art.id!r} to update")
    version = 1 + int(conn.execute("SELECT count(*) FROM article_versions WHERE article_id = ?",
                                   (art.id,)).fetchone()[0])
    kept = ", ".join(c for c in _COLUMNS if c != "id")
    conn.execute(f"INSERT INTO article_versions (article_id, version, {kept}, added_at) "
                 f"SELECT id, ?, {kept}, added_at FROM articles WHERE id = ?", (version, art.id))
    _forget_derived(store, art.id)
    # a seq never used before, as AUTOINCREMENT gives: the stages' "seq only grows" holds
    seq = 1 + int(conn.execute("SELECT max(coalesce((SELECT max(seq) FROM articles), 0), coalesce((SELECT seq "
                               "FROM sqlite_sequence WHERE name = 'articles'), 0))").fetchone()[0])
    assign = ", ".join(f"{c} = ?" for c in _COLUMNS if c != "id")
    conn.execute(f"UPDATE articles SET seq = ?, {assign}, added_at = {_NOW} WHERE id = ?",
                 (seq, *article_row(art)[1:], art.id))
    conn.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'articles' AND seq < ?", (seq, seq))
    return version


def _forget_derived(store: Store, article_id: str) -> None:
    """Drop what the later stages derived from the article's old text (see the module docstring)."""
    conn = store.conn
    dedup_writes.forget_article(store, article_id)
    for table in ("article_vectors", "article_entities", "story_skips"):
        conn.execute(f"DELETE FROM {table} WHERE article_id = ?", (article_id,))
    story = conn.execute("SELECT story_id FROM story_articles WHERE article_id = ?", (article_id,)).fetchone()
    if story is not None:
        conn.execute("DELETE FROM summaries WHERE story_id = ?", (story[0],))
        from ..stories import writes  # (numpy): only when a story holds the article

        writes.refresh(store, {story[0]})  # its summary is gone: the headline comes from the members again


def versions(store: Store, article_id: str) -> list[ArticleVersion]:
    """Every text of ``article_id``, oldest first, the current one last (empty when there is no such article)."""
    out = [ArticleVersion(article_id=article_id, version=r["version"], title=r["title"], text=r["text"],
                          content_hash=r["content_hash"], source_ref=r["source_ref"], url=r["url"],
                          published=r["published"], added_at=r["added_at"], replaced_at=r["replaced_at"],
                          removed=len(json.loads(r["removed_json"])))
           for r in store.conn.execute("SELECT * FROM article_versions WHERE article_id = ? ORDER BY version",
                                       (article_id,))]
    cur = store.conn.execute("SELECT * FROM articles WHERE id = ?", (article_id,)).fetchone()
    if cur is None:
        return []
    out.append(ArticleVersion(article_id=article_id, version=len(out) + 1, title=cur["title"], text=cur["text"],
                              content_hash=cur["content_hash"], source_ref=cur["source_ref"], url=cur["url"],
                              published=cur["published"], added_at=cur["added_at"], replaced_at=None,
                              removed=len(json.loads(cur["removed_json"]))))
    return out


def updated(conn: sqlite3.Connection, ids: Iterable[str]) -> dict[str, tuple[int, str]]:
    """For each of ``ids`` that was updated: (its number of versions, when its current text replaced the last)."""
    ids = list(ids)
    out: dict[str, tuple[int, str]] = {}
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'article_versions'").fetchone() is None:
        return out  # a store read before its migration to schema 11
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        for r in conn.execute("SELECT article_id, count(*), max(replaced_at) FROM article_versions "
                                    f"WHERE article_id IN ({','.join('?' * len(chunk))}) GROUP BY article_id", chunk):
            out[r[0]] = (int(r[1]) + 1, r[2])
    return out


def held_texts(store: Store, ids: Iterable[str]) -> set[tuple[str, str]]:
    """(id, content hash) of every earlier text of ``ids``."""
    ids = list(ids)
    out: set[tuple[str, str]] = set()
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        out.update((r[0], r[1]) for r in store.conn.execute(
            f"SELECT article_id, content_hash FROM article_versions WHERE article_id IN ({','.join('?' * len(chunk))})",
            chunk))
    return out
