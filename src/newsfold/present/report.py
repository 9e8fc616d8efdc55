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
from datetime import datetime, timezone
from functools import lru_cache
from importlib import resources
from typing import Any

from .query import StoryDetail, story_detail
from ..store.db import Store
from ..published import shown
from ..summarize.render import cite_order, source_numbers

log = logging.getLogger(__name__)

FORMATS = ("html", "md", "json")


class ReportError(Exception):
    """A report cannot be built (unknown story, no stored briefing)."""


def collect(store: Store, story_ids: Sequence[str] = (), *, limit: int | None = None) -> list[StoryDetail]:
    """The stories to report (given ids, else every live story, newest first), each with its stored briefing."""
    if story_ids:
        ids = list(story_ids)
    else:
        q = "SELECT id FROM stories WHERE state != 'merged' ORDER BY last_published DESC, size DESC, id"
        ids = [r[0] for r in store.conn.execute(q + (f" LIMIT {int(limit)}" if limit else ""))]
    out = []
    missing = []
    for sid in ids:
        d = story_detail(store.conn, sid, cache=False, citations=False)
        if d is None:
            raise ReportError(f"no story {sid!r}; list them with `newsfold stories`")
        if d.briefing is None:
            missing.append(sid)
            continue
        out.append(d)
    if missing and (story_ids or not out):
        raise ReportError(f"{len(missing)} stor{'y has' if len(missing) == 1 else 'ies have'} no briefing yet "
                          f"({', '.join(missing[:3])}{'…' if len(missing) > 3 else ''}); "
                          f"run `newsfold summarize` to write them")
    return out


@lru_cache(maxsize=1)
def _env() -> Any:
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("newsfold.present", "templates"),
                             autoescape=lambda name: bool(name and name.endswith(".html.j2")),
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["md"] = _md_escape
    env.globals["source_numbers"] = source_numbers
    env.globals["cite_order"] = cite_order
    env.filters["when"] = shown
    return env


def _md_escape(s: object) -> str:
    text = " ".join(str(s or "").split())
    for ch in "\\`*_[]<>#|":
        text = text.replace(ch, "\\" + ch)
    return text


def render(stories: Sequence[StoryDetail], fmt: str, *, title: str = "newsfold report") -> str:
    """The report text in ``fmt`` (html, md or json)."""
    if fmt not in FORMATS:
        raise ReportError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    if fmt == "json":
        return json.dumps({"title": title, "generated": generated, "stories": [
            {"story_id": s.id, "first_published": s.first_published, "last_published": s.last_published,
             "size": s.size, "stale": s.stale, "briefing": s.briefing.to_dict() if s.briefing else None}
            for s in stories]},
            ensure_ascii=False, indent=2)
    template = _env().get_template("report.html.j2" if fmt == "html" else "report.md.j2")
    return template.render(title=title, generated=generated, stories=stories)


def build_report(store: Store, story_ids: Sequence[str] = (), fmt: str = "html", *, limit: int | None = None,
                 title: str = "newsfold report") -> str:
    """Collect and render in one call."""
    return render(collect(store, story_ids, limit=limit), fmt, title=title)


def template_names() -> list[str]:
    return sorted(p.name for p in resources.files("newsfold.present").joinpath("templates").iterdir())
