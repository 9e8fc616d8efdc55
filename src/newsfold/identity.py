"""Which stored article an input is: the rule that makes it a duplicate, an update or a new article.

An input's own id (its record's or file's id, else one made from its URL,
else from its text) names the article it claims to be.  The articles it may
be are the one under that id and those kept before under an id made from it
(``<id>~<hash>``, or a file's path under its input folder).  Then, in order:

1. **duplicate**: one of them holds this text, now or as an earlier version
   (texts compare after cleaning, by their content hash: case, punctuation
   and spacing aside);
2. **update**: one of them is the same article with another text: a record
   (a JSONL or CSV line, a feed entry, a WARC record, an API item) with the
   same URL, or, when the two do not both have a URL, read from the same
   file (its real path) under the same id; a one-article file (text, HTML)
   read from the same file.  The new text replaces the current one, which is
   kept as a version;
3. **new**: otherwise it is a new article, under its own id when that is
   free, else under the first free of: the file's path under its input root
   (a one-article file), ``<id>~<hash8>``, ``<id>~<hash16>``, ``<id>~<hash>``.

Every rule depends on the input and the store only, so a re-run finds the same
answers: the same texts are duplicates, nothing is updated twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from .clean import normalize_url
from .models import Article
from .store.db import Store
from .store.versions import held_texts

Kind = Literal["duplicate", "update", "new"]


@dataclass
class Held:
    """What the store (or the batch in flight) holds under one id."""

    id: str
    content_hash: str
    url: str | None
    origin: str
    hashes: set[str] = field(default_factory=set)  # the current text's and every earlier version's

    def same_article(self, art: Article, whole_file: bool = False) -> bool:
        """Whether ``art`` is another text of this article: same URL, or same file when not both have one.

        A ``whole_file`` (a one-article file: text, HTML) is known by its file alone.
        """
        if self.url and art.url and not whole_file:
            return normalize_url(self.url) == normalize_url(art.url)
        return bool(self.origin) and self.origin == art.origin


@dataclass
class Decision:
    """What an input is: ``id`` is the article it duplicates or updates, or the id it is stored under."""

    kind: Kind
    id: str
    held: Held | None = None  # the article a duplicate or an update is of


class Identities:
    """The ids an ingest run has met: read from the store on first use, kept up to date by :meth:`record`.

    Make one per transaction batch (or call :meth:`forget` after a rolled-back one).
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._held: dict[str, Held | None] = {}
        self._prefixes: set[str] = set()

    def forget(self) -> None:
        self._held.clear()
        self._prefixes.clear()

    def load(self, ids: Iterable[str]) -> None:
        """Read what the store holds under ``ids`` (many at once: one query per 500)."""
        ids = [i for i in dict.fromkeys(ids) if i not in self._held]
        for i in range(0, len(ids), 500):
            self._read("id IN ({})".format(",".join("?" * len(ids[i:i + 500]))), ids[i:i + 500])
        for i in ids:
            self._held.setdefault(i, None)

    def _read(self, where: str, args: list[str]) -> None:
        rows = self.store.conn.execute(f"SELECT id, content_hash, url, origin FROM articles WHERE {where}",
                                       args).fetchall()
        earlier = held_texts(self.store, [r[0] for r in rows])
        for r in rows:
            if r[0] not in self._held or self._held[r[0]] is None:
                self._held[r[0]] = Held(r[0], r[1], r[2], r[3] or "",
                                        {r[1]} | {h for i, h in earlier if i == r[0]})

    def _kept_from(self, own: str) -> list[Held]:
        """The articles kept under an id made from ``own`` (``own~…``)."""
        if own not in self._prefixes:
            self._prefixes.add(own)
            # ids that start with "own~": '~' is 0x7e, so they sort in [own~, own\x7f)
            self._read("id >= ? AND id < ?", [own + "~", own + "\x7f"])
        return [h for i, h in self._held.items() if h is not None and i.startswith(own + "~")]

    def decide(self, art: Article, name: str | None) -> Decision:
        """The rule of the module docstring, for ``art`` (its own id in ``art.id``) read from file ``name``."""
        self.load([art.id])
        own = self._held.get(art.id)
        if own is None:
            return Decision("new", art.id)
        if art.content_hash in own.hashes:
            return Decision("duplicate", own.id, own)
        h = art.content_hash
        named = [name] if name and name != art.id else []
        fresh = named + [f"{art.id}~{h[:8]}", f"{art.id}~{h[:16]}", f"{art.id}~{h}"]
        self.load(fresh)
        maybe = [own] + [x for x in (self._held.get(c) for c in named) if x is not None]
        maybe += [x for x in self._kept_from(art.id) if x not in maybe]
        for held in maybe:
            if art.content_hash in held.hashes:
                return Decision("duplicate", held.id, held)
        for held in maybe:
            if held.same_article(art, whole_file=name is not None):
                return Decision("update", held.id, held)
        for c in fresh:
            if self._held.get(c) is None:
                return Decision("new", c)
        raise RuntimeError(f"no free id for {art.id!r}")  # a SHA-1 collision

    def record(self, art: Article) -> None:
        """``art`` (under its final id) is now the current text of its article."""
        held = self._held.get(art.id)
        if held is None:
            self._held[art.id] = Held(art.id, art.content_hash, art.url, art.origin, {art.content_hash})
        else:
            held.content_hash, held.url, held.origin = art.content_hash, art.url or held.url, art.origin or held.origin
            held.hashes.add(art.content_hash)
