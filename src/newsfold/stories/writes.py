"""The one writer of stories, their members, skips, profiles, headlines and history.

The stories stage (online placement), the refold and the batch fold of the
engines all write through these functions, so a rule about what a story row
holds lives here once:

* a copy follows its canonical (:func:`copy_root`): it joins the story of the
  article dedup linked it to, whenever that one is placed;
* whenever a story's members change, its size, dates and headline are
  recomputed from its members (:func:`refresh`); the headline is that of the
  first-ingested member with a title, else the first line of the first
  member's text (:func:`headline_of`).  A briefing may later replace it with
  its own (the summaries stage).

Every function writes inside the caller's transaction (``store.atomic()``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Container, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from ..models import Article
from ..store.db import Store
from ..text import clip
from .cluster_online import OnlineClusterer
from .represent import ArticleFeatures

HEADLINE_CHARS = 200  # a title is cut here (at a word boundary)
FIRST_LINE_CHARS = 120  # an untitled article's first line is cut here (likewise)


def headline_of(a: Article) -> str:
    """An article's headline: its title, else the first line of its text."""
    if a.title and a.title.strip():
        return clip(a.title, HEADLINE_CHARS)
    first = next((ln.strip() for ln in (a.text or "").splitlines() if ln.strip()), "")
    return clip(first, FIRST_LINE_CHARS)


def copy_root(article_id: str, canonical: Mapping[str, str], placed: Container[str]) -> str:
    """The article whose story ``article_id`` joins: its canonical (followed while that is itself a
    placed copy) when that is placed, else itself."""
    seen = set()
    while article_id in canonical and canonical[article_id] in placed and article_id not in seen:
        seen.add(article_id)
        article_id = canonical[article_id]
    return article_id


def copy_reason(canonical_id: str, kind: str | None = None) -> str:
    """Why a copy is in its story."""
    return f"copy of {canonical_id}" + (f" ({kind})" if kind else "")


# ------------------------------------------------------------ stories
def story_count(store: Store) -> int:
    row = store.conn.execute("SELECT count(*) FROM stories").fetchone()
    return int(row[0])


def new_story_id(n: int) -> str:
    return f"s{n + 1:06d}"


def create(store: Store, story_id: str, headline: str = "") -> None:
    """A new, active story (its headline is set from its members by :func:`refresh`)."""
    store.conn.execute("INSERT INTO stories (id, headline, state) VALUES (?, ?, 'active')", (story_id, headline))


def set_state(store: Store, story_id: str, state: str, *, merged_into: str | None = None,
              empty: bool = False) -> None:
    """``active``, ``dormant`` or ``merged`` (then ``merged_into`` names the story it went to)."""
    if merged_into is not None:
        store.conn.execute("UPDATE stories SET state = ?, meta_json = ? WHERE id = ?",
                           (state, json.dumps({"merged_into": merged_into}), story_id))
    elif empty:
        store.conn.execute("UPDATE stories SET state = ?, size = 0 WHERE id = ?", (state, story_id))
    else:
        store.conn.execute("UPDATE stories SET state = ? WHERE id = ?", (state, story_id))


def set_headline(conn: sqlite3.Connection, story_id: str, headline: str) -> None:
    """A story's headline (from its members, or a briefing's); ``conn`` may be a summaries worker's own."""
    conn.execute("UPDATE stories SET headline = ? WHERE id = ?", (headline, story_id))


def record_event(store: Store, story_id: str, kind: str, **detail: Any) -> None:
    """One line of a story's history (``story_id`` "" for the store's own, e.g. the refold marker)."""
    store.conn.execute("INSERT INTO story_events (story_id, kind, detail_json) VALUES (?,?,?)",
                       (story_id, kind, json.dumps(detail, ensure_ascii=False, default=str)))


def refresh(store: Store, story_ids: Iterable[str], *, members_changed: bool = True) -> None:
    """Recompute size and first/last published of ``story_ids`` from their articles; when their
    members changed, their headline too (:func:`headline_of` of the first-ingested titled member)."""
    for sid in story_ids:
        r = store.conn.execute(
            "SELECT count(*), min(a.published), max(a.published) FROM story_articles sa "
            "JOIN articles a ON a.id = sa.article_id WHERE sa.story_id = ?", (sid,)).fetchone()
        store.conn.execute("UPDATE stories SET size = ?, first_published = ?, last_published = ?, "
                           "updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?",
                           (r[0], r[1], r[2], sid))
        if not members_changed:
            continue
        first = store.conn.execute(
            "SELECT a.id, a.title, a.text FROM story_articles sa JOIN articles a ON a.id = sa.article_id "
            "WHERE sa.story_id = ? ORDER BY coalesce(trim(a.title), '') = '', a.seq LIMIT 1", (sid,)).fetchone()
        if first is not None:
            set_headline(store.conn, sid, headline_of(Article(id=first[0], title=first[1], text=first[2] or "")))


# ------------------------------------------------------------ members
def place(store: Store, rows: Sequence[tuple[str, str, float | None, str]]) -> None:
    """New memberships: ``(article id, story id, score, reason)``."""
    store.conn.executemany("INSERT INTO story_articles (article_id, story_id, score, reason) VALUES (?,?,?,?)", rows)


def move(store: Store, rows: Sequence[tuple[str, str, str]]) -> None:
    """Memberships decided again in batch: ``(article id, story id, reason)`` (the score is dropped)."""
    store.conn.executemany("UPDATE story_articles SET story_id = ?, reason = ?, score = NULL WHERE article_id = ?",
                           [(sid, why, aid) for aid, sid, why in rows])


def skip(store: Store, rows: Sequence[tuple[str, str]]) -> None:
    """Articles that get no story: ``(article id, why)``."""
    store.conn.executemany("INSERT OR REPLACE INTO story_skips (article_id, reason) VALUES (?, ?)", rows)


def count_terms(store: Store, terms: Mapping[str, int], *, replace: bool = False) -> None:
    """Add the placed articles' document frequencies to ``story_df`` (``replace``: set them)."""
    if replace:
        store.conn.executemany("INSERT OR REPLACE INTO story_df (term, df) VALUES (?, ?)", list(terms.items()))
    else:
        store.conn.executemany("INSERT INTO story_df (term, df) VALUES (?, ?) "
                               "ON CONFLICT(term) DO UPDATE SET df = df + excluded.df", list(terms.items()))


# ----------------------------------------------------------- profiles
def save_profile(store: Store, oc: OnlineClusterer, index: int, story_id: str) -> None:
    """Story ``index`` of the online index ``oc`` as ``story_id``'s centroid and profile, which the stories
    stage reloads to place new articles."""
    s = oc.stories_[index]
    meta = {"terms": oc.profile(index), "first_date": s.first.isoformat() if s.first else None,
            "last_date": s.last.isoformat() if s.last else None, **oc.counts(index)}
    dense = oc.dense_sum(index)
    blob = dense.astype(np.float32).tobytes() if dense is not None else None
    store.conn.execute("UPDATE stories SET centroid = ?, meta_json = ? WHERE id = ?",
                       (blob, json.dumps(meta, ensure_ascii=False), story_id))


def save_profiles(store: Store, members: Mapping[str, Sequence[ArticleFeatures]]) -> None:
    """Profiles of stories decided in batch (refold, batch fold), built from their members' features."""
    oc = OnlineClusterer()
    ids = list(members)
    for k, sid in enumerate(ids):
        for f in members[sid]:
            oc.add_to_story(k, f)
    for k, sid in enumerate(ids):
        if k < len(oc.stories_):
            save_profile(store, oc, k, sid)
