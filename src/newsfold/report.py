"""``newsfold report``: stories and their briefings as one self-contained file.

Formats: ``html`` (one file, inline CSS, no script, no external asset: it
opens offline), ``md`` (Markdown with numbered citations) and ``json``
(the stored briefings, see :class:`newsfold.summarize.Briefing`).  Reports
read stored briefings and never recompute them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from importlib import resources
from typing import Any

from .store import Store
from .summarize.briefing import Briefing
from .summarize.render import source_numbers
from .summarize.stage import is_stale, load_briefing

log = logging.getLogger(__name__)

FORMATS = ("html", "md", "json")


class ReportError(Exception):
    """A report cannot be built (unknown story, no stored briefing)."""


@dataclass
class StoryReport:
    """One story of a report: its row and its stored briefing."""

    story_id: str
    briefing: Briefing
    first_published: str | None
    last_published: str | None
    size: int
    stale: bool

    @property
    def sources(self) -> dict[str, int]:
        return source_numbers(self.briefing)


def collect(store: Store, story_ids: Sequence[str] = (), *, limit: int | None = None) -> list[StoryReport]:
    """The stories to report (given ids, else every live story, newest first) with their briefings."""
    if story_ids:
        rows = []
        for sid in story_ids:
            row = store.conn.execute("SELECT * FROM stories WHERE id = ?", (sid,)).fetchone()
            if row is None:
                raise ReportError(f"no story {sid!r}; list them with `newsfold stories`")
            rows.append(row)
    else:
        q = "SELECT * FROM stories WHERE state != 'merged' ORDER BY last_published DESC, size DESC, id"
        rows = list(store.conn.execute(q + (f" LIMIT {int(limit)}" if limit else "")))
    out = []
    missing = []
    for row in rows:
        b = load_briefing(store, row["id"])
        if b is None:
            missing.append(row["id"])
            continue
        out.append(StoryReport(story_id=row["id"], briefing=b, first_published=row["first_published"],
                               last_published=row["last_published"], size=row["size"],
                               stale=is_stale(store, row["id"])))
    if missing and (story_ids or not out):
        raise ReportError(f"{len(missing)} stor{'y has' if len(missing) == 1 else 'ies have'} no briefing yet "
                          f"({', '.join(missing[:3])}{'…' if len(missing) > 3 else ''}); "
                          f"run `newsfold summarize` to write them")
    return out


@lru_cache(maxsize=1)
def _env() -> Any:
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("newsfold", "templates"),
                             autoescape=lambda name: bool(name and name.endswith(".html.j2")),
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["md"] = _md_escape
    return env


def _md_escape(s: object) -> str:
    text = " ".join(str(s or "").split())
    for ch in "\\`*_[]<>#|":
        text = text.replace(ch, "\\" + ch)
    return text


def render(stories: Sequence[StoryReport], fmt: str, *, title: str = "newsfold report") -> str:
    """The report text in ``fmt`` (html, md or json)."""
    if fmt not in FORMATS:
        raise ReportError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    if fmt == "json":
        return json.dumps({"title": title, "generated": generated, "stories": [
            {"story_id": s.story_id, "first_published": s.first_published, "last_published": s.last_published,
             "size": s.size, "stale": s.stale, "briefing": s.briefing.to_dict()} for s in stories]},
            ensure_ascii=False, indent=2)
    template = _env().get_template("report.html.j2" if fmt == "html" else "report.md.j2")
    return template.render(title=title, generated=generated, stories=stories)


def build_report(store: Store, story_ids: Sequence[str] = (), fmt: str = "html", *, limit: int | None = None,
                 title: str = "newsfold report") -> str:
    """Collect and render in one call."""
    return render(collect(store, story_ids, limit=limit), fmt, title=title)


def template_names() -> list[str]:
    return sorted(p.name for p in resources.files("newsfold").joinpath("templates").iterdir())
