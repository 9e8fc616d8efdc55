"""Lines an outlet repeats across its articles: boilerplate learned from the corpus.

For every outlet we keep, per distinct short line, the number of its
articles that contain it (table ``outlet_line_counts``).  A line found in
``min_docs`` or more articles of the same outlet is boilerplate for that
outlet (a footer, a sign-off, a promo) and is removed with its count as the
reason.  Counts are written in the same transaction as the articles they
come from, so a crash never counts an article twice.

Each batch appends one row per outlet holding its counts as JSON (line hash
→ articles of the batch that hold the line); a line's count is the sum over
the rows.  A row per line meant a write at a random place in a table as
large as the corpus for every line of every article.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass, field

from ..models import Article, RemovedLine

MAX_LINE_CHARS = 300


_LINE_HASH = hashlib.blake2b(digest_size=8)  # copied per line: cheaper than a new hasher


def line_key(line: str) -> str | None:
    s = line.strip()
    if not s or len(s) > MAX_LINE_CHARS:
        return None
    norm = s.lower()
    # an article's lines are spaced already; a printable string has no whitespace but " "
    if not norm.isprintable() or "  " in norm:
        norm = " ".join(norm.split())
    h = _LINE_HASH.copy()
    h.update(norm.encode("utf-8"))
    return h.hexdigest()


@dataclass
class RepeatedLines:
    """Per-outlet line counts; ``observe`` a batch, ``strip`` its articles, ``flush`` in the transaction."""

    conn: sqlite3.Connection
    min_docs: int = 3
    _counts: dict[str, dict[str, int]] = field(default_factory=dict)
    _delta: dict[str, dict[str, int]] = field(default_factory=dict)
    _keys: dict[int, list[str | None]] = field(default_factory=dict)

    def _line_keys(self, a: Article) -> list[str | None]:
        keys = self._keys.get(id(a))
        if keys is None:
            keys = [line_key(line) for line in a.text.split("\n")]
            self._keys[id(a)] = keys
        return keys

    def _outlet(self, outlet: str) -> dict[str, int]:
        d = self._counts.get(outlet)
        if d is None:
            d = {}
            for (counts_json,) in self.conn.execute(
                    "SELECT counts_json FROM outlet_line_counts WHERE outlet = ?", (outlet,)):
                for h, c in json.loads(counts_json).items():
                    d[h] = d.get(h, 0) + c
            self._counts[outlet] = d
        return d

    def observe(self, articles: list[Article]) -> None:
        """Count each distinct line of each article once, for its outlet."""
        for a in articles:
            if not a.outlet:
                continue
            counts = self._outlet(a.outlet)
            delta = self._delta.get(a.outlet)
            if delta is None:
                delta = self._delta[a.outlet] = {}
            for k in set(self._line_keys(a)):
                if k is None:
                    continue
                counts[k] = counts.get(k, 0) + 1
                delta[k] = delta.get(k, 0) + 1

    def strip(self, a: Article) -> Article:
        """Remove the lines above and below ``a``'s story that its outlet repeats in ``min_docs``
        or more articles (a repeated line in the middle of the story is quoted or reprinted text)."""
        if not a.outlet:
            return a
        counts = self._outlet(a.outlet)
        lines = a.text.split("\n")
        n_of = [counts.get(k, 0) if k else -1 for k in self._keys.pop(id(a), None) or map(line_key, lines)]
        rep = [n >= self.min_docs for n in n_of]
        content = [i for i, n in enumerate(n_of) if n >= 0 and not rep[i]]
        if not content:
            return a  # every line repeats: a republished article, not boilerplate (dedup's job)
        # furniture sits above and below the story: only the leading and trailing runs go
        first, last = content[0], content[-1]
        kept: list[str] = []
        removed: list[RemovedLine] = []
        for i, line in enumerate(lines):
            if rep[i] and (i < first or i > last):
                removed.append(RemovedLine(line.strip(), f"repeats across {n_of[i]} articles of {a.outlet}"))
            else:
                kept.append(line)
        if removed:
            a.text = "\n".join(kept).strip()
            a.removed = a.removed + removed
        return a

    def flush(self) -> None:
        """Write this batch's counts, a row per outlet (call inside the batch's transaction)."""
        if not self._delta:
            return
        self.conn.executemany("INSERT INTO outlet_line_counts (outlet, counts_json) VALUES (?, ?)",
                              [(o, json.dumps(d, separators=(",", ":"))) for o, d in self._delta.items()])
        self._delta.clear()
        self._keys.clear()

    def forget_unflushed(self) -> None:
        """Drop in-memory counts after a failed batch (they are reloaded from the store)."""
        self._counts.clear()
        self._delta.clear()
        self._keys.clear()
