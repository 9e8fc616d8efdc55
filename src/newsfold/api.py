"""The library's front door: fold texts into stories in one call, the way a clusterer is called,
or keep a store on disk and use the CLI's verbs on it.

    >>> import newsfold
    >>> labels = newsfold.fold(["first report ...", "second report ...", "another event ..."])
    >>> list(labels)            # one story label per input, numbered in order of first appearance
    [0, 0, 1]
    >>> labels.stories[0].headline

    >>> nf = newsfold.Newsfold("news.db")
    >>> added = nf.add("examples/")          # AddResult: counts, and where each new article went
    >>> [s.id for s in nf.stories()]        # StorySummaryRow, newest activity first
    >>> nf.story("s000001").articles        # StoryDetail: articles, history, briefing

:func:`fold` runs what ``newsfold add`` runs (read, clean, dedup, stories,
refold, passages; the briefings only when ``summarize=True``) on a store in
memory, or in ``db`` when given.  It takes a list of strings, a list of dicts
(the JSONL fields: ``text`` or ``html``, ``title``, ``published`` or
``date``, ``outlet``, ``url``, ``id``), or a pandas DataFrame with such
columns.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .ingest import ingest_records
from .store.db import Store

if TYPE_CHECKING:
    from .ingest import IngestReport
    from .present.query import PlacedArticle, StoryDetail, StorySummaryRow
    from .stages import StageReport

NO_STORY = -1


@dataclass
class FoldedStory:
    """One story of a fold: its label, id, headline, and which inputs it holds (by position)."""

    label: int
    id: str
    headline: str
    members: list[int]
    reasons: dict[int, str] = field(default_factory=dict)


class Labels(list[int]):
    """One story label per input (``-1``: no story; ``rejected`` and ``skipped`` say why), with the stories.

    A plain list of ints to NumPy, pandas and scikit-learn's metrics;
    ``stories`` holds each story's id, headline, members and the reason each
    member joined; ``story_ids`` the store's id per input.
    """

    stories: list[FoldedStory]
    story_ids: list[str | None]
    rejected: dict[int, str]
    skipped: dict[int, str]


def fold(inputs: Any, *, dates: Sequence[Any] | None = None, outlets: Sequence[str | None] | None = None,
         titles: Sequence[str | None] | None = None, db: str | None = None, encoder: str | None = None,
         summarize: bool = False, settings: Mapping[str, Any] | None = None) -> Labels:
    """Fold ``inputs`` into stories; return one label per input, in input order.

    ``inputs``: a list of strings, a list of dicts, or a pandas DataFrame
    (columns ``text``, and any of ``title``, ``date``/``published``,
    ``outlet``/``source``, ``url``, ``id``).  ``dates``, ``outlets`` and
    ``titles`` give one value per input (they win over the record's own).
    ``db`` keeps the result in a store file (it may already hold articles:
    the inputs are added to it); by default the store lives in memory.
    ``encoder`` and ``settings`` are ``newsfold settings``' names.
    """
    from .pipeline import catch_up

    records = _records(inputs)
    for name, column in (("published", dates), ("outlet", outlets), ("title", titles)):
        if column is None:
            continue
        if len(column) != len(records):
            raise ValueError(f"{len(column)} {name} values for {len(records)} inputs; give one per input")
        for rec, value in zip(records, column):
            value = _plain(value)
            if value is not None:
                rec[name] = value
    options = _options({**(settings or {}), **({"encoder": encoder} if encoder is not None else {})})
    store = Store(db or ":memory:")
    try:
        report = ingest_records(store, records, ref="<input>")
        catch_up(store, skip=() if summarize else ("summaries",), options=options)
        return _labels(store, report.run_id, len(records))
    finally:
        store.close()


def _options(values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``newsfold settings``' values as each stage's keywords; an unknown name is a ValueError."""
    from .pipeline import SETTINGS_BY_NAME, stage_options

    for name in values:
        if name not in SETTINGS_BY_NAME:
            raise ValueError(f"no setting {name!r}; `newsfold settings` lists them")
    return stage_options(values)


def _records(inputs: Any) -> list[dict[str, Any]]:
    """``inputs`` as one dict per input; a DataFrame's rows become dicts (missing cells left out)."""
    if hasattr(inputs, "to_dict") and hasattr(inputs, "columns"):  # a pandas DataFrame (no import needed)
        rows: Iterable[Any] = inputs.to_dict("records")
    elif isinstance(inputs, (str, bytes)) or isinstance(inputs, Mapping):
        raise TypeError("fold() takes a list of texts or records (or a DataFrame), not a single one; wrap it in [ ]")
    else:
        rows = list(inputs)
    out = []
    for i, row in enumerate(rows):
        if isinstance(row, str):
            out.append({"id": str(i), "text": row})
        elif isinstance(row, Mapping):
            rec = {str(k): v for k, v in ((k, _plain(v)) for k, v in row.items()) if v is not None}
            rec.setdefault("id", str(i))
            out.append(rec)
        else:
            raise TypeError(f"input {i} is {type(row).__name__}; give a string or a dict with a 'text' field")
    return out


def _plain(value: Any) -> Any:
    """A cell as a JSON-like value: None for a missing one (NaN, NaT, None), dates as ISO text."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if type(value).__name__ == "NaTType":
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item") and not isinstance(value, (list, dict, str)):  # a NumPy scalar
        return value.item()
    return value


def _labels(store: Store, run_id: str, n: int) -> Labels:
    """Read the story of each input (by its ledger entry) from the store, numbered in input order."""
    article_of: dict[int, str | None] = {}
    rejected: dict[int, str] = {}
    for e in store.ledger(run_id=run_id):
        i = int(str(e["ref"]).rsplit("#", 1)[1])
        article_of[i] = e["article_id"]
        if e["outcome"] == "rejected":
            rejected[i] = e["reason"] or "rejected"
    placed = {r["article_id"]: (r["story_id"], r["reason"]) for r in store.conn.execute(
        "SELECT article_id, story_id, reason FROM story_articles")}
    skips = {r["article_id"]: r["reason"] for r in store.conn.execute("SELECT article_id, reason FROM story_skips")}
    labels = Labels()
    labels.story_ids, labels.rejected, labels.skipped, labels.stories = [], rejected, {}, []
    by_story: dict[str, FoldedStory] = {}
    for i in range(n):
        aid = article_of.get(i)
        sid, reason = placed.get(aid, (None, "")) if aid else (None, "")
        labels.story_ids.append(sid)
        if sid is None:
            labels.append(NO_STORY)
            if aid in skips:
                labels.skipped[i] = skips[aid]
            continue
        if sid not in by_story:
            row = store.conn.execute("SELECT headline FROM stories WHERE id = ?", (sid,)).fetchone()
            by_story[sid] = FoldedStory(label=len(by_story), id=sid, headline=row["headline"] if row else "",
                                        members=[])
            labels.stories.append(by_story[sid])
        s = by_story[sid]
        s.members.append(i)
        s.reasons[i] = reason
        labels.append(s.label)
    for s in labels.stories:  # a story with no headline yet (no briefing) is shown by its first titled member
        if not s.headline:
            s.headline = _first_title(store, [article_of[i] for i in s.members]) or f"Story {s.id}"
    return labels


def _first_title(store: Store, ids: list[str | None]) -> str:
    for aid in ids:
        row = store.conn.execute("SELECT title, text FROM articles WHERE id = ?", (aid,)).fetchone()
        if row and (row["title"] or "").strip():
            return str(row["title"])
    return ""


@dataclass
class AddResult:
    """What :meth:`Newsfold.add` did: the ingest's counts and ledger, each stage's report, and where each new
    article went (``newsfold add --json``)."""

    ingest: "IngestReport"
    stages: list["StageReport"]
    articles: list["PlacedArticle"]


class Newsfold:
    """A store on disk with the CLI's verbs: ``add``, ``stories``, ``story`` (typed results, the CLI's JSON)."""

    def __init__(self, db: str = "newsfold.db") -> None:
        self.db = db

    def add(self, *inputs: str | Mapping[str, Any], settings: Mapping[str, Any] | None = None) -> AddResult:
        """Add paths (files, folders, globs) or records (dicts with the JSONL fields), then run every stage."""
        from .ingest import ingest_paths
        from .pipeline import catch_up
        from .present.query import placed_in_run

        paths = [x for x in inputs if isinstance(x, str)]
        records = [dict(x) for x in inputs if not isinstance(x, str)]
        if paths and records:
            raise TypeError("give add() paths or records, not both at once")
        options = _options(settings or {})
        with Store(self.db) as store:
            report = ingest_records(store, records) if records else ingest_paths(store, paths)
            stages = catch_up(store, options=options)
            return AddResult(report, stages, placed_in_run(store.conn, report.run_id))

    def stories(self, *, include_merged: bool = False, **filters: Any) -> list["StorySummaryRow"]:
        """Every story, newest activity first (``since``, ``until``, ``outlet``, ``min_size``, ``max_size``)."""
        from .present.query import StoryFilter, all_stories

        with self._reader() as store:
            return all_stories(store.conn, StoryFilter(include_merged=include_merged, **filters))

    def story(self, story_id: str) -> "StoryDetail | None":
        """One story with its articles, history and briefing; None for an unknown id."""
        from .present.query import story_detail

        with self._reader() as store:
            return story_detail(store.conn, story_id, cache=False)

    def _reader(self) -> Store:
        from pathlib import Path

        if not Path(self.db).exists():
            raise FileNotFoundError(f"no store at {self.db}; add articles first (Newsfold({self.db!r}).add(PATH))")
        return Store(self.db)
