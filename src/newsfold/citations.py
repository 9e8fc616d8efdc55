"""Citations: numbered sentences of an article, and a story briefing read into cited views.

The article page numbers sentences (anchors ``s-N``) with :func:`split_sentences`;
the story page links each cited text to ``/articles/ID#s-N`` by finding, with
:func:`locate`, the sentence of that article that states it.  Both go through
this one splitter, so a citation always lands on the sentence it names.

The briefing JSON (written by the summaries stage) is read tolerantly: every
part is optional, and unknown shapes are skipped rather than failing a page.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ArticleRef:
    """A short reference to an article: enough to link and label it."""

    id: str
    title: str | None
    outlet: str | None
    published: str | None
    url: str | None = None


@dataclass
class Citation:
    """One article that states a summary sentence; ``anchor`` is its sentence index there."""

    article_id: str
    outlet: str | None
    title: str | None
    anchor: int | None
    sentence: str | None


@dataclass
class CitedSentence:
    """A text (a sentence, a quote, a stated value) and the articles it comes from.

    ``context`` is the sentence around it when ``text`` is only a part (a value).
    """

    text: str
    citations: list[Citation] = field(default_factory=list)
    context: str | None = None


@dataclass
class Entity:
    name: str
    label: str
    count: int
    article_ids: list[str] = field(default_factory=list)


@dataclass
class OutletAddition:
    """What one outlet reports that no other article of the story does."""

    outlet: str
    sentences: list[CitedSentence] = field(default_factory=list)
    entities: list[str] = field(default_factory=list)
    more: int = 0  # further added sentences the briefing counted but did not list


@dataclass
class QuoteGroup:
    """One statement as rendered by several articles."""

    speaker: str | None
    renderings: list[CitedSentence] = field(default_factory=list)
    text: str = ""


@dataclass
class Discrepancy:
    """A fact that sources state differently, side by side."""

    about: str
    values: list[CitedSentence] = field(default_factory=list)
    kind: str = ""


@dataclass
class Sentence:
    """A sentence of an article's cleaned text; ``index`` is its anchor ``s-N``."""

    index: int
    text: str
    start: int
    end: int
    paragraph: int


# -------------------------------------------------------------- sentences
_SENT_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9À-Ý])")
_WORD = re.compile(r"\w+", re.UNICODE)


def split_sentences(text: str) -> list[Sentence]:
    """Split cleaned text into paragraphs (lines) and sentences, with offsets.

    Deliberately simple and deterministic: the article page and the story
    page's citation links must agree on the numbering.
    """
    out: list[Sentence] = []
    pos = 0
    para = 0
    for line in text.split("\n"):
        start_line = pos
        pos += len(line) + 1
        if not line.strip():
            continue
        cut = 0
        pieces: list[tuple[int, int]] = []
        for m in _SENT_END.finditer(line):
            end = m.start() + len(m.group(0).rstrip())
            pieces.append((cut, end))
            cut = m.end()
        pieces.append((cut, len(line)))
        for a, b in pieces:
            seg = line[a:b]
            stripped = seg.strip()
            if not stripped:
                continue
            lead = len(seg) - len(seg.lstrip())
            s0 = start_line + a + lead
            out.append(Sentence(index=len(out), text=stripped, start=s0, end=s0 + len(stripped), paragraph=para))
        para += 1
    return out


def _tokens(s: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(s)}


def locate(text: str, sentences: list[Sentence], needle: str, min_overlap: float = 0.5) -> int | None:
    """Index of the sentence of ``text`` that states ``needle`` (exact, else by word overlap)."""
    needle = needle.strip()
    if not needle or not sentences:
        return None
    at = text.find(needle)
    if at < 0:
        at = text.find(needle[: max(20, len(needle) // 2)])
    if at >= 0:
        for s in sentences:
            if s.start <= at < s.end or at < s.start:
                return s.index
    want = _tokens(needle)
    if not want:
        return None
    best, best_score = None, 0.0
    for s in sentences:
        got = _tokens(s.text)
        if not got:
            continue
        score = len(want & got) / max(1, min(len(want), len(got))) * (len(want & got) / max(len(want | got), 1)) ** 0.25
        if score > best_score:
            best, best_score = s.index, score
    return best if best_score >= min_overlap else None


# ------------------------------------------------------- briefing readers
def first(d: Any, *keys: str) -> Any:
    if not isinstance(d, dict):
        return None
    for k in keys:
        if k in d and d[k] is not None:
            return d[k]
    return None


def as_list(v: Any) -> list[Any]:
    if v is None:
        return []
    if isinstance(v, list):
        return v
    if isinstance(v, dict):
        return [v]
    return [v]


def _ids(item: Any) -> list[str]:
    if not isinstance(item, dict):
        return []
    raw = first(item, "article_ids", "citations", "sources", "articles", "cited", "article_id")
    out: list[str] = []
    for x in as_list(raw):
        if isinstance(x, str):
            out.append(x)
        elif isinstance(x, dict) and isinstance(x.get("article_id") or x.get("id"), str):
            out.append(x.get("article_id") or x.get("id"))
    return list(dict.fromkeys(out))


def _text(item: Any) -> str:
    if isinstance(item, str):
        return item
    v = first(item, "text", "sentence", "quote", "value", "span")
    return str(v) if v is not None else ""


def cited(item: Any, resolver: "Anchors") -> CitedSentence:
    text = _text(item)
    ids = _ids(item)
    if isinstance(item, dict) and not ids and isinstance(item.get("outlet"), str):
        ids = resolver.ids_for_outlet(item["outlet"])[:1]
    return CitedSentence(text=text, citations=[resolver.cite(aid, text) for aid in ids])


def entity(e: Any) -> Entity:
    if isinstance(e, str):
        return Entity(name=e, label="", count=1)
    if not isinstance(e, dict):
        return Entity(name="", label="", count=0)
    name = first(e, "name", "text", "entity") or ""
    ids = _ids(e)
    count = first(e, "count", "mentions", "n")
    return Entity(name=str(name), label=str(first(e, "label", "type", "kind") or ""),
                  count=int(count) if isinstance(count, (int, float)) else len(ids) or 1, article_ids=ids)


def additions(v: Any, resolver: "Anchors") -> list[OutletAddition]:
    out: list[OutletAddition] = []
    if isinstance(v, dict):
        items = [{"outlet": k, "sentences": s} for k, s in v.items()]
    else:
        items = as_list(v)
    for it in items:
        if not isinstance(it, dict):
            continue
        outlet = str(first(it, "outlet", "source") or "unknown")
        sents = []
        for s in as_list(first(it, "sentences", "additions", "items", "text")):
            cs = cited(s, resolver)
            if not cs.citations:
                aid = it.get("article_id")
                ids = [aid] if isinstance(aid, str) else resolver.ids_for_outlet(outlet)[:1]
                cs.citations = [resolver.cite(i, cs.text) for i in ids]
            if cs.text:
                sents.append(cs)
        n_all = it.get("n_sentences")
        more = max(0, int(n_all) - len(sents)) if isinstance(n_all, (int, float)) else 0
        ents = [str(e) for e in as_list(it.get("entities")) if isinstance(e, (str, int, float))]
        if sents or ents:
            out.append(OutletAddition(outlet=outlet, sentences=sents, entities=ents, more=more))
    return out


def quote(q: Any, resolver: "Anchors") -> QuoteGroup:
    if not isinstance(q, dict):
        return QuoteGroup(speaker=None, renderings=[cited(q, resolver)] if _text(q) else [])
    rend = first(q, "renderings", "variants", "quotes", "members", "items")
    renderings = [cited(r, resolver) for r in as_list(rend)] if rend is not None else [cited(q, resolver)]
    for r, raw in zip(renderings, as_list(rend) if rend is not None else [q]):
        ctx = first(raw, "sentence", "context")
        if isinstance(ctx, str) and ctx and ctx != r.text:
            r.context = ctx
            r.citations = [resolver.cite(c.article_id, ctx) for c in r.citations]
    speaker = first(q, "speaker", "who")
    return QuoteGroup(speaker=str(speaker) if speaker else None, renderings=[r for r in renderings if r.text],
                      text=_text(q) if rend is not None else "")


def discrepancy(d: Any, resolver: "Anchors") -> Discrepancy:
    if not isinstance(d, dict):
        return Discrepancy(about=str(d), values=[])
    about = first(d, "subject", "about", "fact", "label", "what", "field") or "reported differently"
    vals = []
    for v in as_list(first(d, "values", "variants", "items", "claims")):
        cs = cited(v, resolver)
        if isinstance(v, dict):
            ctxs = [c for c in as_list(first(v, "sentences", "context", "sentence")) if isinstance(c, str) and c]
            if ctxs:
                cs.context = ctxs[0]
                cs.citations = [resolver.cite(c.article_id, ctxs[min(i, len(ctxs) - 1)])
                                for i, c in enumerate(cs.citations)]
        if cs.text:
            vals.append(cs)
    kind = first(d, "kind", "type")
    return Discrepancy(about=str(about), values=vals, kind=str(kind) if kind else "")


class Anchors:
    """Finds which sentence of an article states a given text (for ``#s-N`` links)."""

    def __init__(self, conn: sqlite3.Connection, refs: dict[str, ArticleRef]) -> None:
        self.conn = conn
        self.refs = refs
        self._sentences: dict[str, list[Sentence]] = {}
        self._texts: dict[str, str] = {}

    def ids_for_outlet(self, outlet: str) -> list[str]:
        return [a.id for a in self.refs.values() if a.outlet == outlet]

    def _load(self, aid: str) -> list[Sentence] | None:
        if aid not in self._sentences:
            r = self.conn.execute("SELECT id, title, outlet, published, url, text FROM articles WHERE id = ?",
                                  (aid,)).fetchone()
            if r is None:
                return None
            if aid not in self.refs:
                self.refs[aid] = ArticleRef(r["id"], r["title"], r["outlet"], r["published"], r["url"])
            self._texts[aid] = r["text"]
            self._sentences[aid] = split_sentences(r["text"])
        return self._sentences[aid]

    def cite(self, aid: str, text: str) -> Citation:
        sents = self._load(aid)
        ref = self.refs.get(aid)
        if sents is None or ref is None:
            return Citation(article_id=aid, outlet=None, title=None, anchor=None, sentence=None)
        idx = locate(self._texts[aid], sents, text)
        return Citation(article_id=aid, outlet=ref.outlet, title=ref.title, anchor=idx,
                        sentence=sents[idx].text if idx is not None else None)


