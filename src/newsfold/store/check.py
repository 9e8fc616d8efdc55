"""``newsfold check``: is the store sound, and do its counts agree?

Reads only (the file is opened read-only, never migrated): SQLite's
``integrity_check`` and ``foreign_key_check``, then the counts a user
compares: inputs in the ledger by outcome, articles, stories and where each
article stands.  A damaged file is a finding, not an exception.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

MAX_PROBLEMS = 20  # integrity_check lines reported (a badly damaged file has thousands)


@dataclass
class CheckReport:
    """What ``check`` found: ``damaged`` when SQLite or the foreign keys say so; ``counts`` when readable."""

    path: str
    missing: bool = False  # no file at ``path``
    damaged: bool = False
    problems: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # disagreements between counts that are not damage


_COUNTS = {
    "articles": "SELECT count(*) FROM articles",
    "ledger entries": "SELECT count(*) FROM ledger",
    "accepted": "SELECT count(*) FROM ledger WHERE outcome = 'accepted'",
    "duplicate": "SELECT count(*) FROM ledger WHERE outcome = 'duplicate'",
    "rejected": "SELECT count(*) FROM ledger WHERE outcome = 'rejected'",
    "stories": "SELECT count(*) FROM stories WHERE state != 'merged'",
    "articles in a story": "SELECT count(*) FROM story_articles",
    "articles not placed": "SELECT count(*) FROM story_skips",
    "briefings": "SELECT count(*) FROM summaries",
}


def check_store(path: str) -> CheckReport:
    """Check the store at ``path`` (see the module docstring)."""
    rep = CheckReport(path)
    if not Path(path).is_file():
        rep.missing = True
        return rep
    try:
        conn = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True, isolation_level=None)
    except sqlite3.Error as e:
        rep.damaged, rep.problems = True, [f"cannot open: {e}"]
        return rep
    try:
        rows = [r[0] for r in conn.execute(f"PRAGMA integrity_check({MAX_PROBLEMS})")]
        if rows != ["ok"]:
            rep.damaged = True
            rep.problems += [f"integrity: {r}" for r in rows]
        fk = conn.execute("PRAGMA foreign_key_check").fetchmany(MAX_PROBLEMS)
        if fk:
            rep.damaged = True
            rep.problems += [f"foreign key: {r[0]} row {r[1]} points to a missing {r[2]} row" for r in fk]
        for name, sql in _COUNTS.items():
            rep.counts[name] = int(conn.execute(sql).fetchone()[0])
        _compare(conn, rep)
    except sqlite3.DatabaseError as e:
        rep.damaged = True
        rep.problems.append(f"cannot read: {e}")
    finally:
        conn.close()
    return rep


def _compare(conn: sqlite3.Connection, rep: CheckReport) -> None:
    """Counts that should agree on a store every stage has caught up with."""
    c = rep.counts
    lost = conn.execute("SELECT count(*) FROM articles a WHERE NOT EXISTS (SELECT 1 FROM ledger l WHERE "
                        "l.article_id = a.id AND l.outcome = 'accepted')").fetchone()[0]
    if lost:
        rep.notes.append(f"{lost} articles have no 'accepted' ledger entry")
    waiting = c["articles"] - c["articles in a story"] - c["articles not placed"]
    if waiting > 0:
        rep.notes.append(f"{waiting} articles are not in a story yet (the next `newsfold add` places them)")
    sizes = conn.execute("SELECT count(*) FROM stories s WHERE s.state != 'merged' AND s.size != (SELECT count(*) "
                         "FROM story_articles sa WHERE sa.story_id = s.id)").fetchone()[0]
    if sizes:
        rep.notes.append(f"{sizes} stories have a size that differs from their articles")
