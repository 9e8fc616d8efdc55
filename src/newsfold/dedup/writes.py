"""The one writer of dedup's tables: fingerprints, duplicate links, re-used passages and the settings.

The dedup stage, the story passages stage and the Ray engine write through
these functions (inside the caller's transaction), so the rows a table holds
are made in one place.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ..models import DupLink, Passage
from ..store.db import Store

SETTINGS = ("threshold", "containment", "min_ratio", "shingle_size", "num_perm", "seed")


def insert_many(store: Store, head: str, rows: Sequence[tuple[Any, ...]]) -> None:
    """``head VALUES ...`` for ``rows``, in order, many rows per statement (cheaper than executemany;
    at most 999 parameters a statement, the oldest SQLite limit)."""
    if not rows:
        return
    width = len(rows[0])
    per = max(1, 999 // width)
    one = "(" + ",".join("?" * width) + ")"
    for i in range(0, len(rows), per):
        part = rows[i:i + per]
        store.conn.execute(f"{head} VALUES {','.join([one] * len(part))}", [x for r in part for x in r])


def fingerprints(store: Store, rows: Sequence[tuple[str, str, int, bytes | None]]) -> None:
    """``(article id, content hash, shingle count, MinHash blob or None)`` of fingerprinted articles."""
    insert_many(store, "INSERT INTO fingerprints (article_id, content_hash, n_shingles, minhash)", rows)


def links(store: Store, rows: Iterable[DupLink]) -> None:
    """Each copy's link to its canonical (a later link of the same article replaces the earlier)."""
    insert_many(store, "INSERT OR REPLACE INTO dup_links (article_id, canonical_id, kind, similarity)",
                [(x.article_id, x.canonical_id, x.kind, x.similarity) for x in rows])


def passages(store: Store, rows: Iterable[Passage]) -> int:
    """Re-used sentences, in the order given; how many."""
    out = [(p.article_id, p.source_id, p.sentence, p.source_sentence, p.similarity, p.direction) for p in rows]
    insert_many(store, "INSERT INTO passages (article_id, source_id, sentence, source_sentence, similarity, direction)",
                out)
    return len(out)


def passage_check(store: Store, article_id: str, story_id: str) -> None:
    """``article_id`` was compared with the other members of ``story_id`` for shared passages."""
    store.conn.execute("INSERT OR REPLACE INTO passage_checks (article_id, story_id) VALUES (?, ?)",
                       (article_id, story_id))


def settings(store: Store, config: object) -> None:
    """The settings a store's links are built with (the :data:`SETTINGS` of a ``DedupConfig``; typed
    ``object`` so that this module needs nothing of the stage's)."""
    store.conn.executemany("INSERT OR REPLACE INTO dedup_settings (name, value) VALUES (?, ?)",
                           [(name, str(getattr(config, name))) for name in SETTINGS])


def forget_article(store: Store, article_id: str) -> None:
    """What dedup derived from an article's text (its text changed): its fingerprint, links and passages, and
    the fingerprints and links of its copies, which dedup then places again."""
    conn = store.conn
    copies = [r[0] for r in conn.execute("SELECT article_id FROM dup_links WHERE canonical_id = ?", (article_id,))]
    for aid in (article_id, *copies):
        conn.execute("DELETE FROM fingerprints WHERE article_id = ?", (aid,))
        conn.execute("DELETE FROM dup_links WHERE article_id = ? OR canonical_id = ?", (aid, aid))
    conn.execute("DELETE FROM passages WHERE article_id = ? OR source_id = ?", (article_id, article_id))
    conn.execute("DELETE FROM passage_checks WHERE article_id = ?", (article_id,))


def forget(store: Store) -> None:
    """Every fingerprint, link, passage and setting (before a rebuild)."""
    for table in ("passages", "dup_links", "fingerprints", "dedup_settings"):
        store.conn.execute(f"DELETE FROM {table}")
