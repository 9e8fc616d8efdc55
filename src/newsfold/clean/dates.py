"""Dates in URLs and lines that hold only a date (parsing dates: :mod:`newsfold.text`)."""

from __future__ import annotations

import re

from ..text import FULL_DATE, ISO_DATE, has_year, iso_day

URL_DATE = re.compile(r"/(?P<y>(?:19|20)\d{2})[/-](?P<m>\d{1,2})[/-](?P<d>\d{1,2})(?:/|-|$)"
                      r"|/(?P<y2>(?:19|20)\d{2})(?P<m2>[01]\d)(?P<d2>[0-3]\d)/")

_TIME_WORDS = re.compile(r"\b(\d{1,2}:\d{2}(:\d{2})?\s*(am|pm)?|gmt|utc|[a-z]{2,4}t|updated|published|posted|on|at)\b",
                         re.I)


def date_from_url(url: str | None) -> str | None:
    if not url:
        return None
    m = URL_DATE.search(url)
    if not m:
        return None
    if m.group("y"):
        return iso_day(m.group("y"), m.group("m"), m.group("d"))
    return iso_day(m.group("y2"), m.group("m2"), m.group("d2"))


def is_date_only(line: str) -> bool:
    """A line that holds a date (and perhaps a time) and nothing else."""
    if not has_year(line):  # every date matched has a year
        return False
    m = FULL_DATE.search(line) or ISO_DATE.search(line)
    if not m:
        return False
    rest = (line[:m.start()] + line[m.end():]).strip(" ,.|-–—:")
    rest = _TIME_WORDS.sub("", rest).strip(" ,.|-–—:")
    return not rest
