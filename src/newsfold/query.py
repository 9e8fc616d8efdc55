"""Read-side queries shared by the web app and the CLI.

Every function takes a plain ``sqlite3.Connection`` (row_factory ``Row``) so a
caller can use one connection per thread while an ingest writes elsewhere
(WAL: readers never wait for the writer).  Results are dataclasses; turn them
into JSON with :func:`to_jsonable`.  Queries are indexed and paged: nothing
here scans the whole corpus per request except :func:`source_stats`, which
is cached against the store's change markers.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from .citations import (Anchors, ArticleRef, Citation, CitedSentence, Discrepancy, Entity, OutletAddition,
                        QuoteGroup, Sentence, additions, as_list, cited, discrepancy, entity, first, locate, quote,
                        split_sentences)
from .models import to_jsonable

__all__ = ["ArticleRef", "Citation", "CitedSentence", "Discrepancy", "Entity", "OutletAddition", "QuoteGroup",
           "Sentence", "locate", "split_sentences", "to_jsonable"]

log = logging.getLogger(__name__)

MAX_PAGE = 200


# ------------------------------------------------------------------ data
@dataclass
class StoryFilter:
    """Filters and paging for the story list.

    ``since``/``until`` bound a story's latest activity (``last_published``),
    as ISO date prefixes (``2018``, ``2018-12``, ``2018-12-30``), both inclusive.
    """

    since: str | None = None
    until: str | None = None
    outlet: str | None = None
    min_size: int | None = None
    max_size: int | None = None
    limit: int = 30
    offset: int = 0


@dataclass
class StorySummaryRow:
    """One line of the story list."""

    id: str
    headline: str
    size: int
    state: str
    first_published: str | None
    last_published: str | None
    outlets: list[str] = field(default_factory=list)


@dataclass
class StoryList:
    stories: list[StorySummaryRow]
    filter: StoryFilter
    total: int
    has_more: bool


@dataclass
class TimelinePoint:
    article_id: str
    outlet: str | None
    title: str | None
    published: str | None


@dataclass
class DupGroup:
    """A canonical article and the copies folded onto it."""

    canonical: ArticleRef
    members: list["DupMember"] = field(default_factory=list)


@dataclass
class DupMember:
    article: ArticleRef
    kind: str
    similarity: float


@dataclass
class StoryDetail:
    id: str
    headline: str
    state: str
    size: int
    first_published: str | None
    last_published: str | None
    outlets: list[str]
    articles: list[ArticleRef]
    summary: list[CitedSentence]
    summary_note: str | None
    entities: list[Entity]
    additions: list[OutletAddition]
    quotes: list[QuoteGroup]
    discrepancies: list[Discrepancy]
    timeline: list[TimelinePoint]
    duplicates: list[DupGroup]
    has_briefing: bool


@dataclass
class ReusedPassage:
    """A sentence of this article found near-verbatim in another one."""

    sentence_index: int | None
    sentence: str
    other: ArticleRef
    other_sentence: str
    other_anchor: int | None
    similarity: float
    direction: str


@dataclass
class RemovedLineView:
    line: str
    reason: str


@dataclass
class ArticleDetail:
    id: str
    title: str | None
    outlet: str | None
    url: str | None
    published: str | None
    published_source: str
    language: str | None
    text: str
    sentences: list[Sentence]
    removed: list[RemovedLineView]
    story_id: str | None
    story_headline: str | None
    duplicate_of: DupMember | None
    copies: list[DupMember]
    reused_from: list[ReusedPassage]
    reused_by: list[ReusedPassage]
    source_ref: str
    added_at: str | None


@dataclass
class SearchHit:
    kind: str  # "article" or "story"
    id: str
    title: str
    snippet: str  # plain text; matches are wrapped in U+E000 / U+E001 markers
    outlet: str | None = None
    published: str | None = None
    story_id: str | None = None
    rank: float = 0.0


@dataclass
class SearchResults:
    query: str
    stories: list[SearchHit]
    articles: list[SearchHit]
    error: str | None = None


@dataclass
class SourceStat:
    outlet: str
    articles: int
    first_seen: str | None
    last_seen: str | None
    stories: int
    reprints: int  # its articles folded onto another outlet's article
    reprinted_by_others: int  # other outlets' articles folded onto its articles
    reused_passages: int  # its sentences found earlier in another outlet's article


MARK_START = "\ue000"
MARK_END = "\ue001"


# --------------------------------------------------------------- stories
def list_stories(conn: sqlite3.Connection, flt: StoryFilter) -> StoryList:
    """Stories, newest activity first, filtered and paged."""
    limit = max(1, min(int(flt.limit), MAX_PAGE))
    offset = max(0, int(flt.offset))
    where, args = ["s.state != 'merged'"], []
    if flt.since:
        where.append("s.last_published >= ?")
        args.append(flt.since)
    if flt.until:
        # an ISO date prefix: everything up to the end of that day/month/year
        where.append("s.last_published <= ?")
        args.append(flt.until + "\uffff")
    if flt.min_size is not None:
        where.append("s.size >= ?")
        args.append(int(flt.min_size))
    if flt.max_size is not None:
        where.append("s.size <= ?")
        args.append(int(flt.max_size))
    if flt.outlet:
        # driven from the outlet index: the outlet's articles, then their stories
        where.append("s.id IN (SELECT sa.story_id FROM articles a JOIN story_articles sa ON sa.article_id = a.id"
                     " WHERE a.outlet = ?)")
        args.append(flt.outlet)
    sql = ("SELECT s.id, s.headline, s.size, s.state, s.first_published, s.last_published, s.updated_at"
           " FROM stories s"
           f" WHERE {' AND '.join(where)}"
           " ORDER BY s.last_published DESC LIMIT ? OFFSET ?")  # index order; NULLs (undated) sort last
    rows = conn.execute(sql, [*args, limit + 1, offset]).fetchall()
    has_more = len(rows) > limit
    rows = rows[:limit]
    stories = [StorySummaryRow(id=r["id"], headline=r["headline"] or "", size=int(r["size"] or 0),
                               state=r["state"], first_published=r["first_published"],
                               last_published=r["last_published"]) for r in rows]
    _fill_outlets_and_headlines(conn, stories, {r["id"]: r["updated_at"] for r in rows})
    total = _story_total(conn)
    return StoryList(stories=stories, filter=StoryFilter(flt.since, flt.until, flt.outlet, flt.min_size,
                                                         flt.max_size, limit, offset),
                     total=total, has_more=has_more)


_totals: dict[str, tuple[float, int]] = {}


def _story_total(conn: sqlite3.Connection, ttl: float = 5.0) -> int:
    """How many live stories there are; a full count is a table scan, so it is reused for ``ttl`` seconds."""
    key = _db_key(conn)
    hit = _totals.get(key)
    now = time.monotonic()
    if hit and now - hit[0] < ttl:
        return hit[1]
    n = int(conn.execute("SELECT count(*) FROM stories WHERE state != 'merged'").fetchone()[0])
    _totals[key] = (now, n)
    return n


def _fill_outlets_and_headlines(conn: sqlite3.Connection, stories: list[StorySummaryRow],
                               versions: dict[str, Any]) -> None:
    """Each listed story's outlets (most articles first) and a fallback headline.

    Cached per story version (``updated_at``, size, last activity): the list
    pages through the same stories again and again.
    """
    if not stories:
        return
    db = _db_key(conn)
    keys = {s.id: (db, s.id, versions.get(s.id), s.size, s.last_published) for s in stories}
    outlets: dict[str, dict[str, int]] = {}
    titles: dict[str, str] = {}
    todo = []
    for s in stories:
        hit = _outlet_cache.get(keys[s.id])
        if hit is None:
            todo.append(s.id)
        else:
            outlets[s.id], titles[s.id] = hit
    if todo:
        marks = ",".join("?" * len(todo))
        for r in conn.execute(
                "SELECT sa.story_id AS sid, a.outlet AS outlet, count(*) AS n, min(a.title) AS title"
                f" FROM story_articles sa JOIN articles a ON a.id = sa.article_id WHERE sa.story_id IN ({marks})"
                " GROUP BY sa.story_id, a.outlet", todo):
            outlets.setdefault(r["sid"], {})[r["outlet"] or "unknown"] = r["n"]
            if r["title"] and not titles.get(r["sid"]):
                titles[r["sid"]] = r["title"]
        for sid in todo:
            _outlet_cache.put(keys[sid], (outlets.get(sid, {}), titles.get(sid, "")))
    missing = [s.id for s in stories if not s.headline]
    briefing_heads: dict[str, str] = {}
    if missing:
        for r in conn.execute("SELECT story_id, json_extract(briefing_json, '$.headline') AS h FROM summaries"
                              f" WHERE story_id IN ({','.join('?' * len(missing))})", missing):
            if isinstance(r["h"], str) and r["h"]:
                briefing_heads[r["story_id"]] = r["h"]
    for s in stories:
        counts = outlets.get(s.id, {})
        s.outlets = sorted(counts, key=lambda o: (-counts[o], o))
        if not s.headline:
            s.headline = briefing_heads.get(s.id) or titles.get(s.id) or f"Story {s.id}"


def outlets(conn: sqlite3.Connection) -> list[str]:
    """All outlet names, for filter menus (uses the outlet index)."""
    return [r[0] for r in conn.execute("SELECT DISTINCT outlet FROM articles WHERE outlet IS NOT NULL"
                                       " ORDER BY outlet LIMIT 2000")]


class _LRU:
    """A small thread-safe LRU for resolved story pages."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._d: dict[Any, Any] = {}
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            if key in self._d:
                v = self._d.pop(key)
                self._d[key] = v
                return v
        return None

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            self._d.pop(key, None)
            self._d[key] = value
            while len(self._d) > self.size:
                self._d.pop(next(iter(self._d)))


_story_cache = _LRU()
_outlet_cache = _LRU(8192)


def story_detail(conn: sqlite3.Connection, story_id: str, *, cache: bool = True) -> StoryDetail | None:
    """Everything the story page shows, or None for an unknown id.

    Resolved pages are cached against the story's and its summary's
    ``updated_at`` and the store file, so a read never recomputes what did not change.
    """
    row = conn.execute("SELECT * FROM stories WHERE id = ?", (story_id,)).fetchone()
    if row is None:
        return None
    srow = conn.execute("SELECT briefing_json, updated_at FROM summaries WHERE story_id = ?",
                        (story_id,)).fetchone()
    key = (_db_key(conn), story_id, row["updated_at"], row["size"], srow["updated_at"] if srow else None)
    if cache:
        hit = _story_cache.get(key)
        if hit is not None:
            return hit
    detail = _build_story(conn, row, srow["briefing_json"] if srow else None)
    if cache:
        _story_cache.put(key, detail)
    return detail


def _db_key(conn: sqlite3.Connection) -> str:
    try:
        return str(conn.execute("PRAGMA database_list").fetchone()["file"])
    except (sqlite3.Error, IndexError, TypeError):
        return str(id(conn))


def _build_story(conn: sqlite3.Connection, row: sqlite3.Row, briefing_json: str | None) -> StoryDetail:
    story_id = row["id"]
    arts = [ArticleRef(id=r["id"], title=r["title"], outlet=r["outlet"], published=r["published"], url=r["url"])
            for r in conn.execute(
                "SELECT a.id, a.title, a.outlet, a.published, a.url FROM story_articles sa"
                " JOIN articles a ON a.id = sa.article_id WHERE sa.story_id = ?"
                " ORDER BY a.published IS NULL, a.published, a.seq", (story_id,))]
    by_id = {a.id: a for a in arts}
    try:
        briefing = json.loads(briefing_json) if briefing_json else {}
    except ValueError:
        log.warning("story %s has an unreadable briefing", story_id)
        briefing = {}
    if not isinstance(briefing, dict):
        briefing = {}
    resolver = Anchors(conn, by_id)
    summary = [cited(item, resolver) for item in as_list(first(briefing, "summary", "sentences"))]
    summary = [s for s in summary if s.text]
    note = first(briefing, "summary_note", "reason", "note", "empty_reason")
    entities = [entity(e) for e in as_list(first(briefing, "entities"))]
    adds = additions(first(briefing, "additions", "per_source", "per_outlet", "outlet_additions"), resolver)
    quotes = [quote(q, resolver) for q in as_list(first(briefing, "quotes", "aligned_quotes"))]
    discrepancies = [discrepancy(d, resolver) for d in as_list(first(briefing, "discrepancies"))]
    timeline = [TimelinePoint(a.id, a.outlet, a.title, a.published) for a in arts]
    outlet_counts: dict[str, int] = {}
    for a in arts:
        outlet_counts[a.outlet or "unknown"] = outlet_counts.get(a.outlet or "unknown", 0) + 1
    headline = row["headline"] or str(briefing.get("headline") or "") or \
        next((a.title for a in arts if a.title), "") or f"Story {story_id}"
    return StoryDetail(
        id=story_id, headline=headline, state=row["state"], size=len(arts) or int(row["size"] or 0),
        first_published=row["first_published"], last_published=row["last_published"],
        outlets=sorted(outlet_counts, key=lambda o: (-outlet_counts[o], o)), articles=arts,
        summary=summary, summary_note=str(note) if note and not summary else None,
        entities=[e for e in entities if e.name], additions=adds, quotes=[q for q in quotes if q.renderings],
        discrepancies=[d for d in discrepancies if d.values], timeline=timeline,
        duplicates=_dup_groups(conn, [a.id for a in arts]), has_briefing=bool(briefing))


def _dup_groups(conn: sqlite3.Connection, ids: list[str]) -> list[DupGroup]:
    if not ids:
        return []
    rows: list[sqlite3.Row] = []
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        marks = ",".join("?" * len(chunk))
        rows += conn.execute(f"SELECT * FROM dup_links WHERE article_id IN ({marks}) OR canonical_id IN ({marks})",
                             chunk + chunk).fetchall()
    if not rows:
        return []
    seen = {(r["article_id"], r["canonical_id"]) for r in rows}
    refs = _refs(conn, {x for pair in seen for x in pair})
    groups: dict[str, DupGroup] = {}
    for r in sorted(rows, key=lambda r: (r["canonical_id"], -r["similarity"], r["article_id"])):
        if (r["article_id"], r["canonical_id"]) not in seen:
            continue
        seen.discard((r["article_id"], r["canonical_id"]))
        can = refs.get(r["canonical_id"]) or ArticleRef(r["canonical_id"], None, None, None)
        g = groups.setdefault(r["canonical_id"], DupGroup(canonical=can))
        g.members.append(DupMember(article=refs.get(r["article_id"]) or ArticleRef(r["article_id"], None, None, None),
                                   kind=r["kind"], similarity=float(r["similarity"])))
    return list(groups.values())


def _refs(conn: sqlite3.Connection, ids: set[str]) -> dict[str, ArticleRef]:
    out: dict[str, ArticleRef] = {}
    lst = list(ids)
    for i in range(0, len(lst), 500):
        chunk = lst[i:i + 500]
        for r in conn.execute("SELECT id, title, outlet, published, url FROM articles"
                              f" WHERE id IN ({','.join('?' * len(chunk))})", chunk):
            out[r["id"]] = ArticleRef(r["id"], r["title"], r["outlet"], r["published"], r["url"])
    return out


# --------------------------------------------------------------- articles
def article_detail(conn: sqlite3.Connection, article_id: str) -> ArticleDetail | None:
    """The article page: cleaned text by sentence, removed lines, copies and re-used passages."""
    r = conn.execute("SELECT * FROM articles WHERE id = ?", (article_id,)).fetchone()
    if r is None:
        return None
    text = r["text"] or ""
    sentences = split_sentences(text)
    try:
        removed = [RemovedLineView(line=str(x.get("line", "")), reason=str(x.get("reason", "")))
                   for x in json.loads(r["removed_json"] or "[]") if isinstance(x, dict)]
    except ValueError:
        removed = []
    st = conn.execute("SELECT s.id, s.headline FROM story_articles sa JOIN stories s ON s.id = sa.story_id"
                      " WHERE sa.article_id = ?", (article_id,)).fetchone()
    story_headline = None
    if st is not None:
        story_headline = st["headline"] or None
        if not story_headline:
            h = conn.execute("SELECT json_extract(briefing_json, '$.headline') FROM summaries WHERE story_id = ?",
                             (st["id"],)).fetchone()
            story_headline = h[0] if h and isinstance(h[0], str) and h[0] else f"Story {st['id']}"
    links = conn.execute("SELECT * FROM dup_links WHERE article_id = ? OR canonical_id = ?",
                         (article_id, article_id)).fetchall()
    p_from = conn.execute("SELECT * FROM passages WHERE article_id = ? LIMIT 500", (article_id,)).fetchall()
    p_by = conn.execute("SELECT * FROM passages WHERE source_id = ? LIMIT 500", (article_id,)).fetchall()
    refs = _refs(conn, {x["canonical_id"] for x in links} | {x["article_id"] for x in links}
                 | {p["source_id"] for p in p_from} | {p["article_id"] for p in p_by})
    dup_of = None
    copies = []
    for link in links:
        if link["article_id"] == article_id and link["canonical_id"] != article_id:
            dup_of = DupMember(refs.get(link["canonical_id"]) or ArticleRef(link["canonical_id"], None, None, None),
                               link["kind"], float(link["similarity"]))
        elif link["canonical_id"] == article_id and link["article_id"] != article_id:
            copies.append(DupMember(refs.get(link["article_id"]) or ArticleRef(link["article_id"], None, None, None),
                                    link["kind"], float(link["similarity"])))
    others: dict[str, tuple[str, list[Sentence]]] = {}

    def other_sents(oid: str) -> tuple[str, list[Sentence]]:
        if oid not in others:
            row = conn.execute("SELECT text FROM articles WHERE id = ?", (oid,)).fetchone()
            t = row["text"] if row else ""
            others[oid] = (t, split_sentences(t))
        return others[oid]

    def passage(p: sqlite3.Row, mine: str, theirs: str, other_id: str) -> ReusedPassage:
        ot, os_ = other_sents(other_id)
        return ReusedPassage(
            sentence_index=locate(text, sentences, p[mine]), sentence=p[mine],
            other=refs.get(other_id) or ArticleRef(other_id, None, None, None), other_sentence=p[theirs],
            other_anchor=locate(ot, os_, p[theirs]), similarity=float(p["similarity"]), direction=p["direction"])

    reused_from = _unique([passage(p, "sentence", "source_sentence", p["source_id"]) for p in p_from])
    reused_by = _unique([passage(p, "source_sentence", "sentence", p["article_id"]) for p in p_by])
    return ArticleDetail(
        id=r["id"], title=r["title"], outlet=r["outlet"], url=r["url"], published=r["published"],
        published_source=r["published_source"], language=r["language"], text=text, sentences=sentences,
        removed=removed, story_id=st["id"] if st else None, story_headline=story_headline,
        duplicate_of=dup_of, copies=copies, reused_from=reused_from, reused_by=reused_by,
        source_ref=r["source_ref"], added_at=r["added_at"])


def _unique(ps: list[ReusedPassage]) -> list[ReusedPassage]:
    """One entry per (this sentence, other article), the most similar kept, in text order."""
    best: dict[tuple[Any, str], ReusedPassage] = {}
    for p in ps:
        key = (p.sentence_index if p.sentence_index is not None else p.sentence, p.other.id)
        if key not in best or p.similarity > best[key].similarity:
            best[key] = p
    return sorted(best.values(), key=lambda p: (p.other.id, p.sentence_index if p.sentence_index is not None else 10**9))


# ----------------------------------------------------------------- search
def fts_query(q: str) -> str:
    """A user's words as a safe FTS5 query: every word must match (prefix on the last)."""
    words = [w for w in re.findall(r"\w+", q, re.UNICODE) if w]
    if not words:
        return ""
    parts = ['"' + w.replace('"', '') + '"' for w in words[:20]]
    if len(words[-1]) >= 3:
        parts[-1] += "*"
    return " ".join(parts)


def search(conn: sqlite3.Connection, q: str, *, limit: int = 20, offset: int = 0) -> SearchResults:
    """Full-text search over articles and stories, ranked by BM25, with snippets."""
    fq = fts_query(q)
    res = SearchResults(query=q, stories=[], articles=[])
    if not fq:
        return res
    limit = max(1, min(limit, MAX_PAGE))
    try:
        for r in conn.execute(
                "SELECT a.id, a.title, a.outlet, a.published, sa.story_id,"
                f" snippet(articles_fts, 1, '{MARK_START}', '{MARK_END}', ' … ', 24) AS snip,"
                " bm25(articles_fts, 4.0, 1.0) AS rank"
                " FROM articles_fts JOIN articles a ON a.seq = articles_fts.rowid"
                " LEFT JOIN story_articles sa ON sa.article_id = a.id"
                " WHERE articles_fts MATCH ? ORDER BY rank LIMIT ? OFFSET ?", (fq, limit, offset)):
            res.articles.append(SearchHit(kind="article", id=r["id"], title=r["title"] or r["id"], snippet=r["snip"] or "",
                                          outlet=r["outlet"], published=r["published"], story_id=r["story_id"],
                                          rank=float(r["rank"])))
        for r in conn.execute(
                "SELECT f.story_id AS id, f.headline AS headline, s.last_published AS lp,"
                f" snippet(stories_fts, 2, '{MARK_START}', '{MARK_END}', ' … ', 24) AS snip,"
                " bm25(stories_fts, 0.0, 4.0, 1.0) AS rank"
                " FROM stories_fts f LEFT JOIN stories s ON s.id = f.story_id"
                " WHERE stories_fts MATCH ? ORDER BY rank LIMIT ?", (fq, min(limit, 10))):
            res.stories.append(SearchHit(kind="story", id=r["id"], title=r["headline"] or f"Story {r['id']}",
                                         snippet=r["snip"] or "", published=r["lp"], story_id=r["id"],
                                         rank=float(r["rank"])))
    except sqlite3.OperationalError as e:
        res.error = f"search failed: {e}"
    return res


# ---------------------------------------------------------------- sources
_sources_cache: dict[str, tuple[Any, float, list[SourceStat]]] = {}
_sources_lock = threading.Lock()


def source_stats(conn: sqlite3.Connection, *, min_age: float = 30.0) -> list[SourceStat]:
    """Per-outlet counts, first/last seen, how often it reprints others.

    These scan the corpus, so they are cached until the data changes, and
    while an ingest keeps changing it, recomputed at most every ``min_age`` seconds.
    """
    db = _db_key(conn)
    marker = tuple(conn.execute(
        "SELECT (SELECT max(seq) FROM articles), (SELECT max(rowid) FROM dup_links),"
        " (SELECT max(rowid) FROM passages), (SELECT max(rowid) FROM story_articles)").fetchone())
    with _sources_lock:
        hit = _sources_cache.get(db)
        if hit is not None and (hit[0] == marker or time.monotonic() - hit[1] < min_age):
            return hit[2]
    stats: dict[str, SourceStat] = {}
    for r in conn.execute("SELECT coalesce(outlet, 'unknown') AS o, count(*) AS n, min(published) AS f,"
                          " max(published) AS l FROM articles GROUP BY 1"):
        stats[r["o"]] = SourceStat(outlet=r["o"], articles=r["n"], first_seen=r["f"], last_seen=r["l"],
                                   stories=0, reprints=0, reprinted_by_others=0, reused_passages=0)
    for r in conn.execute("SELECT coalesce(a.outlet, 'unknown') AS o, count(DISTINCT sa.story_id) AS n"
                          " FROM story_articles sa JOIN articles a ON a.id = sa.article_id GROUP BY 1"):
        if r["o"] in stats:
            stats[r["o"]].stories = r["n"]
    for r in conn.execute(
            "SELECT coalesce(a.outlet, 'unknown') AS o, coalesce(c.outlet, 'unknown') AS co, count(*) AS n"
            " FROM dup_links d JOIN articles a ON a.id = d.article_id JOIN articles c ON c.id = d.canonical_id"
            " WHERE coalesce(a.outlet, '') != coalesce(c.outlet, '') GROUP BY 1, 2"):
        if r["o"] in stats:
            stats[r["o"]].reprints += r["n"]
        if r["co"] in stats:
            stats[r["co"]].reprinted_by_others += r["n"]
    for r in conn.execute(
            "SELECT coalesce(a.outlet, 'unknown') AS o, count(*) AS n FROM passages p"
            " JOIN articles a ON a.id = p.article_id JOIN articles s ON s.id = p.source_id"
            " WHERE coalesce(a.outlet, '') != coalesce(s.outlet, '') AND p.direction = 'copied' GROUP BY 1"):
        if r["o"] in stats:
            stats[r["o"]].reused_passages = r["n"]
    out = sorted(stats.values(), key=lambda s: (-s.articles, s.outlet))
    with _sources_lock:
        _sources_cache[db] = (marker, time.monotonic(), out)
    return out


def ledger_summary(conn: sqlite3.Connection, run_id: str, limit: int = 200) -> dict[str, Any]:
    """Counts by outcome and the first entries of one ingest run."""
    counts = {r["outcome"]: r["n"] for r in conn.execute(
        "SELECT outcome, count(*) AS n FROM ledger WHERE run_id = ? GROUP BY outcome", (run_id,))}
    entries = [dict(r) for r in conn.execute(
        "SELECT ref, outcome, reason, article_id FROM ledger WHERE run_id = ? ORDER BY seq LIMIT ?", (run_id, limit))]
    return {"run_id": run_id, "counts": counts, "entries": entries}
