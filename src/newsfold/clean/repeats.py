"""Lines an outlet repeats across its articles: boilerplate learned from the corpus.

For every outlet we keep, per distinct short line, the number of its
articles that contain it (table ``outlet_lines``).  A line found in
``min_docs`` or more articles of the same outlet is boilerplate for that
outlet (a footer, a sign-off, a promo) and is removed with its count as the
reason.  Counts are updated in the same transaction as the articles they
come from, so a crash never counts an article twice.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections import Counter
from dataclasses import dataclass, field

from ..models import Article, RemovedLine

MAX_LINE_CHARS = 300


def line_key(line: str) -> str | None:
    s = line.strip()
    if not s or len(s) > MAX_LINE_CHARS:
        return None
    norm = " ".join(s.lower().split())
    return hashlib.blake2b(norm.encode("utf-8"), digest_size=8).hexdigest()


@dataclass
class RepeatedLines:
    """Per-outlet line counts; ``observe`` a batch, ``strip`` its articles, ``flush`` in the transaction."""

    conn: sqlite3.Connection
    min_docs: int = 3
    _counts: dict[str, dict[str, int]] = field(default_factory=dict)
    _delta: Counter[tuple[str, str]] = field(default_factory=Counter)
    _text: dict[tuple[str, str], str] = field(default_factory=dict)
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
            d = {h: c for h, c in self.conn.execute(
                "SELECT line_hash, doc_count FROM outlet_lines WHERE outlet = ?", (outlet,))}
            self._counts[outlet] = d
        return d

    def observe(self, articles: list[Article]) -> None:
        """Count each distinct line of each article once, for its outlet."""
        for a in articles:
            if not a.outlet:
                continue
            counts = self._outlet(a.outlet)
            seen: set[str] = set()
            for line, k in zip(a.text.split("\n"), self._line_keys(a)):
                if k is None or k in seen:
                    continue
                seen.add(k)
                counts[k] = counts.get(k, 0) + 1
                self._delta[(a.outlet, k)] += 1
                self._text.setdefault((a.outlet, k), line.strip())

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
        """Write this batch's counts (call inside the batch's transaction)."""
        if not self._delta:
            return
        self.conn.executemany(
            "INSERT INTO outlet_lines (outlet, line_hash, line, doc_count) VALUES (?,?,?,?) "
            "ON CONFLICT(outlet, line_hash) DO UPDATE SET doc_count = doc_count + excluded.doc_count",
            [(o, h, self._text[(o, h)], n) for (o, h), n in self._delta.items()])
        self._delta.clear()
        self._text.clear()
        self._keys.clear()

    def forget_unflushed(self) -> None:
        """Drop in-memory counts after a failed batch (they are reloaded from the store)."""
        self._counts.clear()
        self._delta.clear()
        self._text.clear()
        self._keys.clear()


