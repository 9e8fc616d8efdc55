"""The Summaries stage: one stored briefing per story, refreshed when its membership changes.

A story's ``story_version`` is a hash of its sorted article ids.  The stage's
backlog is every live story whose stored version differs from its current
one (or that has none); stories that were merged away or lost all their
articles lose their briefing.  Each briefing is written with the story's
headline and its full-text row in one transaction, so a killed run resumes
where it stopped and never writes a briefing twice for the same version.
Reading a briefing (:func:`load_briefing`) never recomputes it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from ..models import Passage
from ..stages import ProgressFn, StageReport, no_progress
from ..store import Store
from .briefing import Briefing
from .core import summarize_story

log = logging.getLogger(__name__)


def story_version(article_ids: Iterable[str]) -> str:
    """A short hash of the sorted article ids: changes exactly when membership does."""
    return hashlib.sha1("\n".join(sorted(article_ids)).encode()).hexdigest()[:16]


@dataclass
class _Pending:
    story_id: str
    article_ids: list[str]
    version: str


def load_briefing(store: Store, story_id: str) -> Briefing | None:
    """The stored briefing of ``story_id``, or None when the stage has not written one."""
    row = store.conn.execute("SELECT briefing_json FROM summaries WHERE story_id = ?", (story_id,)).fetchone()
    if row is None:
        return None
    return Briefing.from_dict(json.loads(row[0]))


def is_stale(store: Store, story_id: str) -> bool:
    """True when the story's membership changed since its briefing was written (or it has none)."""
    ids = [r[0] for r in store.conn.execute("SELECT article_id FROM story_articles WHERE story_id = ?", (story_id,))]
    row = store.conn.execute("SELECT story_version FROM summaries WHERE story_id = ?", (story_id,)).fetchone()
    return row is None or row[0] != story_version(ids)


class SummariesStage:
    """Keep ``summaries`` (and ``stories.headline``, ``stories_fts``) in step with the stories."""

    name = "summaries"

    def __init__(self, max_words: int = 100, batch_size: int = 20, with_nlp: bool = True) -> None:
        self.max_words = max_words
        self.batch_size = batch_size
        self.with_nlp = with_nlp

    def backlog(self, store: Store) -> tuple[list[_Pending], list[str]]:
        """Stories to (re)summarize, and stories whose briefing must go."""
        members: dict[str, list[str]] = {}
        for sid, aid in store.conn.execute("SELECT story_id, article_id FROM story_articles"):
            members.setdefault(sid, []).append(aid)
        stored = {r[0]: r[1] for r in store.conn.execute("SELECT story_id, story_version FROM summaries")}
        pending, drop = [], []
        for sid, state in store.conn.execute("SELECT id, state FROM stories ORDER BY id"):
            ids = members.get(sid, [])
            if state == "merged" or not ids:
                if sid in stored:
                    drop.append(sid)
                continue
            v = story_version(ids)
            if stored.get(sid) != v:
                pending.append(_Pending(sid, sorted(ids), v))
        live = {r[0] for r in store.conn.execute("SELECT id FROM stories")}
        drop.extend(sid for sid in stored if sid not in live)
        return pending, drop

    def catch_up(self, store: Store, progress: ProgressFn = no_progress) -> StageReport:
        pending, drop = self.backlog(store)
        report = StageReport(stage=self.name, details={"stale": len(pending), "removed": len(drop), "empty": 0})
        if drop:
            with store.atomic() as conn:
                for sid in drop:
                    conn.execute("DELETE FROM summaries WHERE story_id = ?", (sid,))
                    conn.execute("DELETE FROM stories_fts WHERE story_id = ?", (sid,))
        total = len(pending)
        progress(self.name, 0, total)
        for start in range(0, total, self.batch_size):
            chunk = pending[start:start + self.batch_size]
            done = []
            for p in chunk:
                briefing = self.summarize(store, p)
                if not briefing.summary:
                    report.details["empty"] += 1
                done.append((p, briefing))
            with store.atomic() as conn:
                for p, b in done:
                    self._write(conn, p, b)
            report.processed += len(done)
            progress(self.name, report.processed, total)
        return report

    def summarize(self, store: Store, p: _Pending) -> Briefing:
        articles = store.get_articles(p.article_ids)
        return summarize_story(articles, max_words=self.max_words, passages=_passages(store, p.article_ids),
                               story_id=p.story_id, version=p.version, with_nlp=self.with_nlp)

    @staticmethod
    def _write(conn: object, p: _Pending, b: Briefing) -> None:
        c = conn  # sqlite3.Connection
        c.execute(  # type: ignore[attr-defined]
            "INSERT INTO summaries (story_id, briefing_json, story_version, updated_at)"
            " VALUES (?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))"
            " ON CONFLICT(story_id) DO UPDATE SET briefing_json = excluded.briefing_json,"
            " story_version = excluded.story_version, updated_at = excluded.updated_at",
            (p.story_id, json.dumps(b.to_dict(), ensure_ascii=False), p.version))
        if b.headline:
            c.execute("UPDATE stories SET headline = ? WHERE id = ?", (b.headline, p.story_id))  # type: ignore[attr-defined]
        c.execute("DELETE FROM stories_fts WHERE story_id = ?", (p.story_id,))  # type: ignore[attr-defined]
        c.execute("INSERT INTO stories_fts (story_id, headline, summary) VALUES (?, ?, ?)",  # type: ignore[attr-defined]
                  (p.story_id, b.headline, b.summary_text))


def _passages(store: Store, ids: list[str]) -> list[Passage]:
    """Re-used passages the dedup stage found between the story's articles."""
    if len(ids) < 2:
        return []
    out: list[Passage] = []
    wanted = set(ids)
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        q = (f"SELECT article_id, source_id, sentence, source_sentence, similarity, direction FROM passages"
             f" WHERE article_id IN ({','.join('?' * len(chunk))})")
        for r in store.conn.execute(q, chunk):
            if r["source_id"] in wanted:
                out.append(Passage(r["article_id"], r["source_id"], r["sentence"], r["source_sentence"],
                                   r["similarity"], r["direction"]))
    return out
