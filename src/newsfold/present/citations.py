"""Citations: where each text a stored briefing cites sits in its article.

The article page numbers an article's sentences (anchors ``s-N``) with
:func:`newsfold.sentences.sentences`, the splitter the summarizer used to
cut the briefing's sentences, so a summary sentence is found whole.  For
every ``(article, text)`` a :class:`~newsfold.summarize.briefing.Briefing`
cites, :func:`briefing_citations` finds, with :func:`~newsfold.sentences.locate`, the sentence
of that article that states it, and the story page links the text to
``/articles/ID#s-N``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ..models import outlet_label
from ..sentences import Sentence, locate, sentences
from ..summarize.briefing import Briefing


@dataclass
class Citation:
    """Article ``article_id`` states ``text`` (as the briefing has it) in its sentence number ``anchor``.

    ``sentence`` is that whole sentence; ``anchor`` is None when no sentence
    of the article states the text.
    """

    text: str
    article_id: str
    anchor: int | None
    sentence: str | None
    outlet: str
    title: str | None


def cited_texts(b: Briefing) -> Iterator[tuple[str, str, tuple[str, ...]]]:
    """Every ``(article_id, text, hints)`` the briefing cites; ``hints`` are sentences that state ``text``.

    Summary sentences are cited in each article that states them; an added
    sentence in its article; a quote by the sentence around it; a stated
    value by the sentences that state it.
    """
    for s in b.summary:
        for aid in s.article_ids:
            yield aid, s.text, ()
    for a in b.additions:
        for x in a.sentences:
            yield x.article_id, x.text, ()
    for q in b.quotes:
        for r in q.renderings:
            yield r.article_id, r.text, (r.sentence,) if r.sentence else ()
    for d in b.discrepancies:
        for v in d.values:
            for aid in v.article_ids:
                yield aid, v.value, tuple(v.sentences)


class Anchors:
    """The sentences of a story's articles, each article read and split once."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._articles: dict[str, tuple[str, list[Sentence], str, str | None] | None] = {}

    def _load(self, aid: str) -> tuple[str, list[Sentence], str, str | None] | None:
        if aid not in self._articles:
            r = self.conn.execute("SELECT title, outlet, url, source_ref, text FROM articles WHERE id = ?",
                                  (aid,)).fetchone()
            self._articles[aid] = None if r is None else (
                r["text"] or "", sentences(r["text"] or ""),
                outlet_label(r["outlet"], r["url"], article_id=aid, source_ref=r["source_ref"]), r["title"])
        return self._articles[aid]

    def cite(self, aid: str, text: str, hints: Sequence[str] = ()) -> Citation:
        """Where ``aid`` states ``text``: the first of ``hints`` found there, else ``text`` itself."""
        got = self._load(aid)
        if got is None:
            return Citation(text=text, article_id=aid, anchor=None, sentence=None, outlet=outlet_label(None),
                            title=None)
        body, sents, outlet, title = got
        idx = None
        for needle in (*hints, text):
            idx = locate(body, sents, needle)
            if idx is not None:
                break
        return Citation(text=text, article_id=aid, anchor=idx, sentence=sents[idx].text if idx is not None else None,
                        outlet=outlet, title=title)


def briefing_citations(conn: sqlite3.Connection, b: Briefing) -> list[Citation]:
    """One :class:`Citation` per ``(article, text)`` the briefing cites, in briefing order."""
    anchors = Anchors(conn)
    out: dict[tuple[str, str], Citation] = {}
    for aid, text, hints in cited_texts(b):
        if text and (aid, text) not in out:
            out[(aid, text)] = anchors.cite(aid, text, hints)
    return list(out.values())
