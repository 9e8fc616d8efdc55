"""The read model: the queries behind the CLI's listings, the JSON API and the web pages.

The CLI (``newsfold stories``, ``newsfold story ID``), the API
(``/api/stories``, ``/api/stories/ID``, ``/api/articles/ID``) and the pages
call the same functions here and print the same dataclasses: ``newsfold
story ID --json`` is ``/api/stories/ID``.  A story's briefing is the
summarizer's own :class:`~newsfold.summarize.briefing.Briefing`, read with
``Briefing.from_dict``.

Every function takes a plain ``sqlite3.Connection`` (row_factory ``Row``) so a
caller can use one connection per thread while an ingest writes elsewhere
(WAL: readers never wait for the writer).  Turn results into JSON with
:func:`to_jsonable`.  Queries are indexed and paged: nothing here scans the
whole corpus per request except :func:`source_stats`, which is cached against
the store's change markers.  Listing imports no numerical or ML library: the
briefing and citation modules are imported by :func:`story_detail` alone.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ..models import UNKNOWN_OUTLET, DupGroup, DupLink, Passage, outlet_label, to_jsonable
from ..sentences import Sentence, locate, sentences
from ..store.versions import updated
from ..text import words

if TYPE_CHECKING:
    from .citations import Citation
    from ..summarize.briefing import Briefing, TimelineEntry

__all__ = ["ArticleDetail", "ArticleRef", "DupMember", "PlacedArticle", "SearchResults", "StoryDetail", "StoryFilter",
           "StoryList", "StorySummaryRow", "article_detail", "list_stories", "placed_in_run", "search", "source_stats",
           "story_detail", "to_jsonable"]

log = logging.getLogger(__name__)

MAX_PAGE = 200


# ------------------------------------------------------------------ data
@dataclass
class ArticleRef:
    """A short reference to an article: enough to link and label it.

    ``outlet`` is what the article is shown under (its outlet, else its
    site, else "unknown outlet"); in a story, ``score`` and ``reason`` say
    why the article joined it.
    """

    id: str
    title: str | None
    outlet: str
    published: str | None
    url: str | None = None
    score: float | None = None
    reason: str | None = None


def _label(r: sqlite3.Row) -> str:
    """The outlet label of an article row (``id``, ``outlet``, ``url``, ``source_ref``)."""
    return outlet_label(r["outlet"], r["url"], article_id=r["id"], source_ref=r["source_ref"])


def _ref(r: sqlite3.Row) -> ArticleRef:
    return ArticleRef(r["id"], r["title"], _label(r), r["published"], r["url"])


@dataclass
class StoryFilter:
    """Filters and paging for the story list.

    ``since``/``until`` bound a story's latest activity (``last_published``),
    as ISO date prefixes (``2018``, ``2018-12``, ``2018-12-30``), both inclusive.
    ``include_merged`` also lists stories a refold merged into others.
    """

    since: str | None = None
    until: str | None = None
    outlet: str | None = None
    min_size: int | None = None
    max_size: int | None = None
    limit: int = 30
    offset: int = 0
    include_merged: bool = False


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
    article_ids: list[str] = field(default_factory=list)


@dataclass
class StoryList:
    stories: list[StorySummaryRow]
    filter: StoryFilter
    total: int
    has_more: bool


@dataclass
class DupMember:
    """The other article of a copy link, seen from one article."""

    article: ArticleRef
    kind: str
    similarity: float


@dataclass
class StoryDetail:
    """Everything known about one story: its articles and history, its stored briefing and its citations.

    ``briefing`` is None until the summaries stage wrote one; ``stale`` says
    the story's articles changed since.  ``citations`` give, for every
    ``(article, text)`` the briefing cites, the article's sentence stating it
    (the anchor ``#s-N`` of the article page).
    """

    id: str
    headline: str
    state: str
    size: int
    first_published: str | None
    last_published: str | None
    outlets: list[str]
    articles: list[ArticleRef]
    events: list[dict[str, Any]]
    briefing: Briefing | None
    stale: bool
    citations: list[Citation]
    timeline: list[TimelineEntry]
    duplicates: list[DupGroup]
    numbers: dict[str, int] = field(default_factory=dict)  # article id → source number (the CLI's, the reports')
    merged_into: list[str] = field(default_factory=list)  # a merged story: where its articles went

    def cites(self, article_ids: list[str] | str, text: str) -> list[Citation]:
        """The citations of ``text`` in ``article_ids`` (one id or several), in source-number order."""
        by_key = {(c.article_id, c.text): c for c in self.citations}
        ids = [article_ids] if isinstance(article_ids, str) else article_ids
        return [by_key[(i, text)] for i in sorted(ids, key=lambda i: self.numbers.get(i, 1 << 30)) if (i, text) in by_key]

    def article(self, article_id: str) -> ArticleRef:
        """The story's article ``article_id`` (a bare reference when it is not one of them)."""
        return next((a for a in self.articles if a.id == article_id), None) or _unknown(article_id)


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
    outlet: str
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
    updated_at: str | None = None  # when its current text replaced an earlier one (an update)
    versions: int = 1


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
    where, args = ["1" if flt.include_merged else "s.state != 'merged'"], []
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
    total = _story_total(conn, flt.include_merged)
    return StoryList(stories=stories, filter=StoryFilter(flt.since, flt.until, flt.outlet, flt.min_size,
                                                         flt.max_size, limit, offset, flt.include_merged),
                     total=total, has_more=has_more)


def all_stories(conn: sqlite3.Connection, flt: StoryFilter | None = None) -> list[StorySummaryRow]:
    """Every story ``flt`` selects, all pages in order (``newsfold fold`` prints them all)."""
    flt = replace(flt or StoryFilter(), limit=MAX_PAGE, offset=0)
    out: list[StorySummaryRow] = []
    while True:
        page = list_stories(conn, flt)
        out.extend(page.stories)
        if not page.has_more:
            return out
        flt = replace(flt, offset=flt.offset + MAX_PAGE)


_totals: dict[tuple[str, bool], tuple[float, int]] = {}


def _story_total(conn: sqlite3.Connection, include_merged: bool = False, ttl: float = 5.0) -> int:
    """How many live stories there are; a full count is a table scan, so it is reused for ``ttl`` seconds."""
    key = (_db_key(conn), include_merged)
    hit = _totals.get(key)
    now = time.monotonic()
    if hit and now - hit[0] < ttl:
        return hit[1]
    n = int(conn.execute("SELECT count(*) FROM stories" + ("" if include_merged else " WHERE state != 'merged'"))
            .fetchone()[0])
    _totals[key] = (now, n)
    return n


def _fill_outlets_and_headlines(conn: sqlite3.Connection, stories: list[StorySummaryRow],
                               versions: dict[str, Any]) -> None:
    """Each listed story's articles, its outlets (most articles first) and a fallback headline.

    Cached per story version (``updated_at``, size, last activity): the list
    pages through the same stories again and again.
    """
    if not stories:
        return
    db = _db_key(conn)
    keys = {s.id: (db, s.id, versions.get(s.id), s.size, s.last_published) for s in stories}
    outlets: dict[str, dict[str, int]] = {}
    titles: dict[str, str] = {}
    members: dict[str, list[str]] = {}
    todo = []
    for s in stories:
        hit = _outlet_cache.get(keys[s.id])
        if hit is None:
            todo.append(s.id)
        else:
            outlets[s.id], titles[s.id], members[s.id] = hit
    if todo:
        marks = ",".join("?" * len(todo))
        for r in conn.execute(
                "SELECT sa.story_id AS sid, a.id AS id, a.outlet AS outlet, a.url AS url, a.title AS title,"
                " a.source_ref AS source_ref"
                f" FROM story_articles sa JOIN articles a ON a.id = sa.article_id WHERE sa.story_id IN ({marks})"
                " ORDER BY a.seq", todo):
            counts = outlets.setdefault(r["sid"], {})
            label = _label(r)
            counts[label] = counts.get(label, 0) + 1
            members.setdefault(r["sid"], []).append(r["id"])
            if r["title"] and not titles.get(r["sid"]):
                titles[r["sid"]] = r["title"]
        for sid in todo:
            _outlet_cache.put(keys[sid], (outlets.get(sid, {}), titles.get(sid, ""), members.get(sid, [])))
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
        s.article_ids = list(members.get(s.id, []))
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


@dataclass
class PlacedArticle:
    """An article one ingest run accepted, and the story it is in now (``no_story``: why it is in none)."""

    id: str
    ref: str
    title: str | None
    story_id: str | None
    story_headline: str | None
    story_size: int | None
    no_story: str | None


def placed_in_run(conn: sqlite3.Connection, run_id: str) -> list[PlacedArticle]:
    """Each article run ``run_id`` accepted, in input order, with its story (what ``add`` prints)."""
    rows = conn.execute(
        "SELECT l.ref AS ref, l.article_id AS id, a.title AS title, sa.story_id AS story_id, s.headline AS headline,"
        " (SELECT count(*) FROM story_articles x WHERE x.story_id = sa.story_id) AS size, k.reason AS skipped"
        " FROM ledger l JOIN articles a ON a.id = l.article_id"
        " LEFT JOIN story_articles sa ON sa.article_id = l.article_id LEFT JOIN stories s ON s.id = sa.story_id"
        " LEFT JOIN story_skips k ON k.article_id = l.article_id"
        " WHERE l.run_id = ? AND l.outcome = 'accepted' ORDER BY l.seq", (run_id,)).fetchall()
    return [PlacedArticle(id=r["id"], ref=r["ref"], title=r["title"], story_id=r["story_id"],
                          story_headline=r["headline"] or None, story_size=r["size"] if r["story_id"] else None,
                          no_story=r["skipped"]) for r in rows]


def story_detail(conn: sqlite3.Connection, story_id: str, *, cache: bool = True,
                 citations: bool = True) -> StoryDetail | None:
    """One story (``newsfold story ID --json`` and ``/api/stories/ID``), or None for an unknown id.

    ``citations=False`` leaves ``citations`` empty (no article text is read: reports number sources only).

    Resolved stories are cached against the story's and its summary's
    ``updated_at`` and the store file, so a read never recomputes what did not change.
    """
    row = conn.execute("SELECT * FROM stories WHERE id = ?", (story_id,)).fetchone()
    if row is None:
        return None
    srow = conn.execute("SELECT briefing_json, story_version, updated_at FROM summaries WHERE story_id = ?",
                        (story_id,)).fetchone()
    key = (_db_key(conn), story_id, row["updated_at"], row["size"], srow["updated_at"] if srow else None, citations)
    if cache:
        hit = _story_cache.get(key)
        if hit is not None:
            return hit
    detail = _build_story(conn, row, srow, citations)
    if cache:
        _story_cache.put(key, detail)
    return detail


def _db_key(conn: sqlite3.Connection) -> str:
    """What the read caches key a database by: its file, or the connection itself for an in-memory store
    (whose file is "", the same for every one of them)."""
    try:
        name = str(conn.execute("PRAGMA database_list").fetchone()["file"])
    except (sqlite3.Error, IndexError, TypeError):
        name = ""
    return name or f"memory:{id(conn)}"


def _build_story(conn: sqlite3.Connection, row: sqlite3.Row, srow: sqlite3.Row | None,
                 with_citations: bool) -> StoryDetail:
    # the summarizer's schema and the citation finder are needed here only (listings stay light)
    from .citations import briefing_citations
    from ..summarize.briefing import Briefing, TimelineEntry
    from ..summarize.render import number_sources
    from ..summarize.stage import story_version

    story_id = row["id"]
    arts = []
    for r in conn.execute(
            "SELECT a.id, a.title, a.outlet, a.published, a.url, a.source_ref, sa.score, sa.reason FROM story_articles sa"
            " JOIN articles a ON a.id = sa.article_id WHERE sa.story_id = ?", (story_id,)):
        ref = _ref(r)
        ref.score, ref.reason = r["score"], r["reason"]
        arts.append(ref)
    numbers = number_sources((a.id, a.published) for a in arts)  # first published, then id
    arts.sort(key=lambda a: numbers[a.id])
    events = [{"kind": e["kind"], "at": e["at"], **_json_object(e["detail_json"])} for e in conn.execute(
        "SELECT kind, detail_json, at FROM story_events WHERE story_id = ? ORDER BY seq", (story_id,))]
    briefing = None
    if srow is not None:
        try:
            briefing = Briefing.from_dict(json.loads(srow["briefing_json"]))
        except (ValueError, TypeError, AttributeError) as e:
            log.warning("story %s has an unreadable briefing (%s); run `newsfold summarize` to rewrite it", story_id, e)
    outlet_counts: dict[str, int] = {}
    for a in arts:
        outlet_counts[a.outlet] = outlet_counts.get(a.outlet, 0) + 1
    headline = row["headline"] or (briefing.headline if briefing else "") or \
        next((a.title for a in arts if a.title), "") or f"Story {story_id}"
    return StoryDetail(
        id=story_id, headline=headline, state=row["state"], size=len(arts) or int(row["size"] or 0),
        first_published=row["first_published"], last_published=row["last_published"],
        outlets=sorted(outlet_counts, key=lambda o: (-outlet_counts[o], o)), articles=arts, events=events,
        briefing=briefing, stale=srow is None or srow["story_version"] != story_version(a.id for a in arts),
        citations=briefing_citations(conn, briefing) if briefing and with_citations else [],
        timeline=[TimelineEntry(published=a.published, outlet=a.outlet, article_id=a.id, title=a.title)
                  for a in arts],
        duplicates=_dup_groups(conn, [a.id for a in arts]), numbers=numbers,
        merged_into=_merged_into(row, events) if row["state"] == "merged" else [])


def _merged_into(row: sqlite3.Row, events: list[dict[str, Any]]) -> list[str]:
    """Where a merged story's articles went: the story it was folded into, else those its last split made."""
    into = _json_object(row["meta_json"]).get("merged_into")
    if isinstance(into, str) and into:
        return [into]
    for e in reversed(events):
        into = e.get("into")
        if into:
            return [str(x) for x in (into if isinstance(into, list) else [into])]
    return []


def _json_object(text: str | None) -> dict[str, Any]:
    try:
        d = json.loads(text or "{}")
    except ValueError:
        return {}
    return d if isinstance(d, dict) else {}


def _dup_groups(conn: sqlite3.Connection, ids: list[str]) -> list[DupGroup]:
    """The copy groups among ``ids``: each canonical with its copies' links, most similar first."""
    rows: dict[tuple[str, str], sqlite3.Row] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        marks = ",".join("?" * len(chunk))
        for r in conn.execute(f"SELECT * FROM dup_links WHERE article_id IN ({marks}) OR canonical_id IN ({marks})",
                              chunk + chunk):
            rows[(r["article_id"], r["canonical_id"])] = r
    groups: dict[str, DupGroup] = {}
    for r in sorted(rows.values(), key=lambda r: (r["canonical_id"], -r["similarity"], r["article_id"])):
        groups.setdefault(r["canonical_id"], DupGroup(r["canonical_id"])).links.append(
            DupLink(r["article_id"], r["canonical_id"], r["kind"], float(r["similarity"])))
    return list(groups.values())


def _refs(conn: sqlite3.Connection, ids: set[str]) -> dict[str, ArticleRef]:
    out: dict[str, ArticleRef] = {}
    lst = list(ids)
    for i in range(0, len(lst), 500):
        chunk = lst[i:i + 500]
        for r in conn.execute("SELECT id, title, outlet, published, url, source_ref FROM articles"
                              f" WHERE id IN ({','.join('?' * len(chunk))})", chunk):
            out[r["id"]] = _ref(r)
    return out


def _unknown(article_id: str) -> ArticleRef:
    return ArticleRef(article_id, None, outlet_label(None), None)


def public_ref(source_ref: str | None) -> str:
    """An input reference without the server's folders: ``/srv/up/x.jsonl:17`` → ``x.jsonl:17``."""
    ref = source_ref or ""
    if "://" in ref.split("#")[0]:  # a URL (a feed) names no local folder
        return ref
    return os.path.basename(ref.replace("\\", "/"))


# --------------------------------------------------------------- articles
def article_detail(conn: sqlite3.Connection, article_id: str) -> ArticleDetail | None:
    """The article page: cleaned text by sentence, removed lines, copies and re-used passages."""
    r = conn.execute("SELECT * FROM articles WHERE id = ?", (article_id,)).fetchone()
    if r is None:
        return None
    text = r["text"] or ""
    sents = sentences(text)
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
            dup_of = DupMember(refs.get(link["canonical_id"]) or _unknown(link["canonical_id"]),
                               link["kind"], float(link["similarity"]))
        elif link["canonical_id"] == article_id and link["article_id"] != article_id:
            copies.append(DupMember(refs.get(link["article_id"]) or _unknown(link["article_id"]),
                                    link["kind"], float(link["similarity"])))
    others: dict[str, tuple[str, list[Sentence]]] = {}

    def other_sents(oid: str) -> tuple[str, list[Sentence]]:
        if oid not in others:
            row = conn.execute("SELECT text FROM articles WHERE id = ?", (oid,)).fetchone()
            t = row["text"] if row else ""
            others[oid] = (t, sentences(t))
        return others[oid]

    def passage(p: sqlite3.Row, mine: str, theirs: str, other_id: str) -> ReusedPassage:
        ot, os_ = other_sents(other_id)
        return ReusedPassage(
            sentence_index=locate(text, sents, p[mine]), sentence=p[mine],
            other=refs.get(other_id) or _unknown(other_id), other_sentence=p[theirs],
            other_anchor=locate(ot, os_, p[theirs]), similarity=float(p["similarity"]), direction=p["direction"])

    reused_from = _unique([passage(p, "sentence", "source_sentence", p["source_id"]) for p in p_from])
    reused_by = _unique([passage(p, "source_sentence", "sentence", p["article_id"]) for p in p_by])
    return ArticleDetail(
        id=r["id"], title=r["title"], outlet=_label(r), url=r["url"], published=r["published"],
        published_source=r["published_source"], language=r["language"], text=text, sentences=sents,
        removed=removed, story_id=st["id"] if st else None, story_headline=story_headline,
        duplicate_of=dup_of, copies=copies, reused_from=reused_from, reused_by=reused_by,
        source_ref=public_ref(r["source_ref"]), added_at=r["added_at"],
        **dict(zip(("versions", "updated_at"), updated(conn, [article_id]).get(article_id, (1, None)))))


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
    words_ = words(q)
    if not words_:
        return ""
    parts = ['"' + w.replace('"', '') + '"' for w in words_[:20]]
    if len(words_[-1]) >= 3:
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
                "SELECT a.id, a.title, a.outlet, a.url, a.source_ref, a.published, sa.story_id,"
                f" snippet(articles_fts, 1, '{MARK_START}', '{MARK_END}', ' … ', 24) AS snip,"
                " bm25(articles_fts, 4.0, 1.0) AS rank"
                " FROM articles_fts JOIN articles a ON a.seq = articles_fts.rowid"
                " LEFT JOIN story_articles sa ON sa.article_id = a.id"
                " WHERE articles_fts MATCH ? ORDER BY rank LIMIT ? OFFSET ?", (fq, limit, offset)):
            res.articles.append(SearchHit(kind="article", id=r["id"], title=r["title"] or r["id"], snippet=r["snip"] or "",
                                          outlet=_label(r), published=r["published"], story_id=r["story_id"],
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
    for r in conn.execute("SELECT coalesce(outlet, ?) AS o, count(*) AS n, min(published) AS f,"
                          " max(published) AS l FROM articles GROUP BY 1", (UNKNOWN_OUTLET,)):
        stats[r["o"]] = SourceStat(outlet=r["o"], articles=r["n"], first_seen=r["f"], last_seen=r["l"],
                                   stories=0, reprints=0, reprinted_by_others=0, reused_passages=0)
    for r in conn.execute("SELECT coalesce(a.outlet, ?) AS o, count(DISTINCT sa.story_id) AS n"
                          " FROM story_articles sa JOIN articles a ON a.id = sa.article_id GROUP BY 1", (UNKNOWN_OUTLET,)):
        if r["o"] in stats:
            stats[r["o"]].stories = r["n"]
    for r in conn.execute(
            "SELECT coalesce(a.outlet, ?) AS o, coalesce(c.outlet, ?) AS co, count(*) AS n"
            " FROM dup_links d JOIN articles a ON a.id = d.article_id JOIN articles c ON c.id = d.canonical_id"
            " WHERE coalesce(a.outlet, '') != coalesce(c.outlet, '') GROUP BY 1, 2", (UNKNOWN_OUTLET, UNKNOWN_OUTLET)):
        if r["o"] in stats:
            stats[r["o"]].reprints += r["n"]
        if r["co"] in stats:
            stats[r["co"]].reprinted_by_others += r["n"]
    for r in conn.execute(
            "SELECT coalesce(a.outlet, ?) AS o, count(*) AS n FROM passages p"
            " JOIN articles a ON a.id = p.article_id JOIN articles s ON s.id = p.source_id"
            " WHERE coalesce(a.outlet, '') != coalesce(s.outlet, '') AND p.direction = 'copied' GROUP BY 1",
            (UNKNOWN_OUTLET,)):
        if r["o"] in stats:
            stats[r["o"]].reused_passages = r["n"]
    out = sorted(stats.values(), key=lambda s: (-s.articles, s.outlet))
    with _sources_lock:
        _sources_cache[db] = (marker, time.monotonic(), out)
    return out


# ------------------------------------------------------------- duplicates (what dedup stored)
def canonical_of(conn: sqlite3.Connection, article_id: str) -> str:
    """The canonical article of ``article_id``'s group (itself when it has no copies)."""
    row = conn.execute("SELECT canonical_id FROM dup_links WHERE article_id = ?", (article_id,)).fetchone()
    return row["canonical_id"] if row else article_id


def links_for(conn: sqlite3.Connection, article_id: str) -> list[DupLink]:
    """Every link of ``article_id``'s duplicate group (empty when it has no copies)."""
    canon = canonical_of(conn, article_id)
    rows = conn.execute(
        "SELECT article_id, canonical_id, kind, similarity FROM dup_links WHERE canonical_id = ?"
        " ORDER BY similarity DESC, article_id", (canon,))
    return [DupLink(r["article_id"], r["canonical_id"], r["kind"], r["similarity"]) for r in rows]


def passages_for(conn: sqlite3.Connection, article_id: str) -> list[Passage]:
    """Re-used sentences where ``article_id`` is the copier or the source."""
    rows = conn.execute(
        "SELECT article_id, source_id, sentence, source_sentence, similarity, direction FROM passages"
        " WHERE article_id = ? OR source_id = ? ORDER BY rowid", (article_id, article_id))
    return [Passage(r["article_id"], r["source_id"], r["sentence"], r["source_sentence"], r["similarity"],
                    r["direction"]) for r in rows]


def list_groups(conn: sqlite3.Connection, *, threshold: float | None = None, containment: float | None = None,
                kinds: Iterable[str] | None = None, limit: int | None = None) -> list[DupGroup]:
    """Duplicate groups, largest first.

    ``threshold``/``containment`` keep only the near-duplicate/reprint links
    scoring at least that much (they can only tighten what the store holds).
    """
    from ..dedup.lsh import check_threshold  # numpy: not for the light listings

    if threshold is not None:
        threshold = check_threshold("threshold", threshold)
    if containment is not None:
        containment = check_threshold("containment", containment)
    kinds = set(kinds) if kinds else None
    groups: dict[str, DupGroup] = {}
    for r in conn.execute("SELECT article_id, canonical_id, kind, similarity FROM dup_links"
                                " ORDER BY canonical_id, similarity DESC, article_id"):
        link = DupLink(r["article_id"], r["canonical_id"], r["kind"], r["similarity"])
        if kinds and link.kind not in kinds:
            continue
        if threshold is not None and link.kind == "near-duplicate" and link.similarity < threshold:
            continue
        if containment is not None and link.kind == "reprint" and link.similarity < containment:
            continue
        groups.setdefault(link.canonical_id, DupGroup(link.canonical_id)).links.append(link)
    out = sorted(groups.values(), key=lambda g: (-g.size, g.canonical_id))
    return out[:limit] if limit else out


def stored_settings(conn: sqlite3.Connection) -> dict[str, str]:
    """The dedup settings a store's links were built with (empty before the first run)."""
    return {r["name"]: r["value"] for r in conn.execute("SELECT name, value FROM dedup_settings")}


def ledger_summary(conn: sqlite3.Connection, run_id: str, limit: int = 200) -> dict[str, Any]:
    """Counts by outcome and the first entries of one ingest run."""
    counts = {r["outcome"]: r["n"] for r in conn.execute(
        "SELECT outcome, count(*) AS n FROM ledger WHERE run_id = ? GROUP BY outcome", (run_id,))}
    entries = [dict(r) for r in conn.execute(
        "SELECT ref, outcome, reason, article_id FROM ledger WHERE run_id = ? ORDER BY seq LIMIT ?", (run_id, limit))]
    return {"run_id": run_id, "counts": counts, "entries": entries}
