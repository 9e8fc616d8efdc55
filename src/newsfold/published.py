"""Publication times: one order and one way of showing them, for every listing, briefing and page.

Articles carry ``published`` as ISO 8601 text: a day (``2018-12-30``) or a
time with its zone (``2018-12-30T08:15:00+00:00``, kept as the input gave
it, :func:`newsfold.text.parse_date`).  :func:`instant` reads either
as a UTC time (a day is its midnight UTC; a time without a zone is UTC);
:func:`shown` writes it the one way the CLI, the web pages and the reports
show it: ``2018-12-30`` for a day, ``2018-12-30 08:15 UTC`` for a time;
:func:`source_order` is the order sources are numbered in (first
published, then id; undated last).
"""

from __future__ import annotations

from datetime import datetime, timezone

__all__ = ["has_time", "instant", "shown", "source_order"]

_UNDATED = float("inf")


def instant(published: str | None) -> datetime | None:
    """``published`` as an aware UTC datetime, or None when it is missing or unreadable."""
    if not published:
        return None
    s = str(published).strip().replace("Z", "+00:00")
    for cand in (s, s[:19], s[:10]):
        try:
            d = datetime.fromisoformat(cand)
        except ValueError:
            continue
        return (d if d.tzinfo else d.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    return None


def has_time(published: str | None) -> bool:
    """Whether ``published`` gives a time of day, not only a day."""
    return bool(published) and len(str(published).strip()) > 10 and instant(published) is not None


def shown(published: str | None, undated: str = "undated") -> str:
    """``2018-12-30`` (a day) or ``2018-12-30 08:15 UTC`` (a time, in UTC); ``undated`` when unknown."""
    d = instant(published)
    if d is None:
        return undated if not published else str(published)
    return d.strftime("%Y-%m-%d %H:%M UTC") if has_time(published) else d.strftime("%Y-%m-%d")


def source_order(published: str | None, article_id: str) -> tuple[float, str]:
    """Sort key of a story's sources: first published first (undated last), then by id."""
    d = instant(published)
    return (d.timestamp() if d is not None else _UNDATED, article_id)
