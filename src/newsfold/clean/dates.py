"""Dates: parse metadata strings, and find dates in URLs, datelines and text."""

from __future__ import annotations

import re
from datetime import date, datetime

_MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"], start=1)}
_MONTHS.update({k[:3]: v for k, v in list(_MONTHS.items())})
_MONTHS["sept"] = 9
_MON = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_WD = r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s*)"

# "December 30, 2018", "Dec. 30 2018", "30 December 2018", "Sunday, 30 December 2018"
FULL_DATE = re.compile(
    rf"\b{_WD}?(?:(?P<m1>{_MON})\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y1>(?:19|20)\d{{2}})"
    rf"|(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m2>{_MON}),?\s+(?P<y2>(?:19|20)\d{{2}}))\b",
    re.I)
ISO_DATE = re.compile(r"\b(?P<y>(?:19|20)\d{2})-(?P<m>\d{2})-(?P<d>\d{2})\b")
URL_DATE = re.compile(r"/(?P<y>(?:19|20)\d{2})[/-](?P<m>\d{1,2})[/-](?P<d>\d{1,2})(?:/|-|$)"
                      r"|/(?P<y2>(?:19|20)\d{2})(?P<m2>[01]\d)(?P<d2>[0-3]\d)/")

_YEAR = re.compile(r"(?:19|20)\d{2}")  # in FULL_DATE and ISO_DATE alike
_TIME_WORDS = re.compile(r"\b(\d{1,2}:\d{2}(:\d{2})?\s*(am|pm)?|gmt|utc|[a-z]{2,4}t|updated|published|posted|on|at)\b",
                         re.I)


def _mk(y: str | int, m: str | int, d: str | int) -> str | None:
    try:
        key = str(m).lower().rstrip(".")
        mi = int(m) if key.isdigit() else _MONTHS.get(key) or _MONTHS[key[:3]]
        return date(int(y), mi, int(d)).isoformat()
    except (ValueError, KeyError):
        return None


def parse_date(value: str) -> str | None:
    """A metadata date string → ISO 8601, or None when it cannot be parsed."""
    s = value.strip()
    if not s:
        return None
    try:
        dt = datetime.fromisoformat(s.replace("Z", "+00:00"))
        return dt.isoformat() if (dt.hour or dt.minute or dt.second or dt.tzinfo) else dt.date().isoformat()
    except ValueError:
        pass
    found = find_full_date(s)
    if found:
        return found
    try:
        from email.utils import parsedate_to_datetime

        return parsedate_to_datetime(s).isoformat()
    except (TypeError, ValueError, IndexError):
        pass
    try:
        from dateutil import parser as du

        dt = du.parse(s, fuzzy=False, default=datetime(1900, 1, 1))
        if dt.year == 1900:
            return None
        return dt.isoformat() if (dt.hour or dt.minute or dt.tzinfo) else dt.date().isoformat()
    except (ValueError, OverflowError, ImportError):
        return None


def find_full_date(text: str) -> str | None:
    """The first day-month-year date written out in ``text``."""
    if ("19" not in text and "20" not in text) or not _YEAR.search(text):  # every date matched has a year
        return None
    m = FULL_DATE.search(text)
    if m:
        if m.group("y1"):
            return _mk(m.group("y1"), m.group("m1"), m.group("d1"))
        return _mk(m.group("y2"), m.group("m2"), m.group("d2"))
    m2 = ISO_DATE.search(text)
    if m2:
        return _mk(m2.group("y"), m2.group("m"), m2.group("d"))
    return None


def date_from_url(url: str | None) -> str | None:
    if not url:
        return None
    m = URL_DATE.search(url)
    if not m:
        return None
    if m.group("y"):
        return _mk(m.group("y"), m.group("m"), m.group("d"))
    return _mk(m.group("y2"), m.group("m2"), m.group("d2"))


def is_date_only(line: str) -> bool:
    """A line that holds a date (and perhaps a time) and nothing else."""
    if ("19" not in line and "20" not in line) or not _YEAR.search(line):  # every date matched has a year
        return False
    m = FULL_DATE.search(line) or ISO_DATE.search(line)
    if not m:
        return False
    rest = (line[:m.start()] + line[m.end():]).strip(" ,.|-–—:")
    rest = _TIME_WORDS.sub("", rest).strip(" ,.|-–—:")
    return not rest
