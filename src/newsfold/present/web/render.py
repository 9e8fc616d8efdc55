"""Helpers the templates use: escaped snippets, safe links, the SVG timeline.

Everything that builds markup in Python escapes every value with
:func:`markupsafe.escape`; templates rely on Jinja2 autoescape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from markupsafe import Markup, escape

from ...published import instant, shown
from ..query import MARK_END, MARK_START, ArticleDetail, ReusedPassage, Sentence

if TYPE_CHECKING:
    from ...summarize.briefing import TimelineEntry


def idq(article_or_story_id: str) -> str:
    """An id as one URL path segment: ``/``, ``?``, ``#`` and ``%`` (and the rest) percent-encoded."""
    return quote(str(article_or_story_id), safe="")


def snippet_html(s: str) -> Markup:
    """An FTS snippet with its match markers as ``<mark>``, everything else escaped."""
    return Markup(str(escape(s)).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>"))


def safe_url(url: str | None) -> str | None:
    """The URL when it is plain http(s), else None (never a ``javascript:`` link)."""
    if not url:
        return None
    u = url.strip()
    try:
        parts = urlsplit(u)
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.netloc and not any(c in u for c in "\x00\r\n\t "):
        return u
    return None


def short_date(iso: str | None) -> str:
    """``2018-12-30T13:46:00+00:00`` → ``2018-12-30 13:46 UTC``; a day stays a day; unknown → ``undated``."""
    return shown(iso)


def _parse(iso: str | None) -> datetime | None:
    return instant(iso)


def timeline_svg(points: list[TimelineEntry], width: int = 760) -> Markup:
    """Who published what and when: one row per outlet, one dot per article (hover for the title)."""
    dated = [(p, _parse(p.published)) for p in points]
    dated = [(p, d) for p, d in dated if d is not None]
    if not dated:
        return Markup('<p class="muted">No article in this story carries a publication date.</p>')
    outlets = list(dict.fromkeys(p.outlet for p, _ in sorted(dated, key=lambda x: x[1])))
    row_h, left, right, top = 26, 150, 20, 12
    height = top + row_h * len(outlets) + 34
    t0 = min(d for _, d in dated)
    t1 = max(d for _, d in dated)
    span = (t1 - t0).total_seconds() or 1.0
    plot_w = width - left - right

    def x(d: datetime) -> float:
        if t1 == t0:
            return left + plot_w / 2
        return left + plot_w * (d - t0).total_seconds() / span

    out = [f'<svg class="timeline" viewBox="0 0 {width} {height}" role="img" '
           f'aria-label="Timeline of {len(dated)} articles by outlet" xmlns="http://www.w3.org/2000/svg">']
    for i, o in enumerate(outlets):
        y = top + row_h * i + row_h / 2
        label = o if len(o) <= 22 else o[:21] + "…"
        out.append(f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end" class="tl-label">{escape(label)}</text>')
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" class="tl-row"/>')
    axis_y = top + row_h * len(outlets) + 6
    out.append(f'<line x1="{left}" y1="{axis_y}" x2="{width - right}" y2="{axis_y}" class="tl-axis"/>')
    fmt = "%Y-%m-%d %H:%M UTC" if span < 3 * 86400 else "%Y-%m-%d"
    ticks = [t0] if t1 == t0 else [t0, t0 + (t1 - t0) / 2, t1]
    for j, t in enumerate(ticks):
        anchor = "middle" if len(ticks) == 1 else ("start" if j == 0 else "end" if j == len(ticks) - 1 else "middle")
        out.append(f'<text x="{x(t):.1f}" y="{axis_y + 18}" text-anchor="{anchor}" class="tl-tick">'
                   f'{escape(t.strftime(fmt))}</text>')
    for p, d in dated:
        y = top + row_h * outlets.index(p.outlet) + row_h / 2
        tip = f"{p.outlet} · {short_date(p.published)} · {p.title or p.article_id}"
        out.append(f'<a href="/articles/{escape(idq(p.article_id))}"><circle cx="{x(d):.1f}" cy="{y:.1f}" r="6" '
                   f'class="tl-dot"><title>{escape(tip)}</title></circle></a>')
    out.append("</svg>")
    undated = len(points) - len(dated)
    if undated:
        out.append(f'<p class="muted">{undated} undated article{"s" if undated != 1 else ""} not shown.</p>')
    return Markup("".join(out))


@dataclass
class PassageLink:
    """A badge after a sentence: where else it appears."""

    label: str
    href: str
    title: str
    kind: str  # "from" (found earlier elsewhere) or "by" (re-used by another article)


@dataclass
class SentenceView:
    sentence: Sentence
    links: list[PassageLink] = field(default_factory=list)

    @property
    def css(self) -> str:
        kinds = {link.kind for link in self.links}
        return "s" + (" reused" if "from" in kinds else "") + (" reused-by" if "by" in kinds else "")


@dataclass
class ParagraphView:
    sentences: list[SentenceView]


def article_paragraphs(a: ArticleDetail) -> list[ParagraphView]:
    """The article's sentences grouped into paragraphs, each with the passages it re-uses."""
    by_index: dict[int, list[PassageLink]] = {}

    def add(p: ReusedPassage, kind: str) -> None:
        if p.sentence_index is None:
            return
        who = p.other.outlet
        href = f"/articles/{idq(p.other.id)}" + (f"#s-{p.other_anchor}" if p.other_anchor is not None else "")
        verb = ("Copied from" if p.direction == "copied" else "Shared with") if kind == "from" else "Re-used by"
        by_index.setdefault(p.sentence_index, []).append(
            PassageLink(label=who if kind == "from" else f"→ {who}", href=href,
                        title=f"{verb} {who} ({p.similarity:.2f}): {p.other_sentence}", kind=kind))

    for p in a.reused_from:
        add(p, "from")
    for p in a.reused_by:
        add(p, "by")
    paras: list[ParagraphView] = []
    current = -1
    for s in a.sentences:
        if s.paragraph != current:
            paras.append(ParagraphView(sentences=[]))
            current = s.paragraph
        paras[-1].sentences.append(SentenceView(sentence=s, links=by_index.get(s.index, [])))
    return paras
