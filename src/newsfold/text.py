"""The one text layer: words, stop words, month and weekday names, dates, text keys.

Every stage that splits text into words, drops stop words, reads a month
name or parses a date takes it from here, so a fix lands once:

- :func:`words` is the word tokenizer: lower-cased runs of letters and
  digits (no underscore).  The stages that need another cut of the same
  text name it here too: :func:`terms` (the clusterer's case-kept content
  words, with inner apostrophes and hyphens), :func:`anchor_tokens` (a
  sentence's tokens for its names and numbers), :func:`cased_words` (a
  headline's words, as written), :func:`letter_words` (ASCII
  words of two letters or more, for line rules) and :func:`visible_words`
  (what a reader counts as words: runs of non-space).  The byte-level
  splitter of :mod:`newsfold.dedup.fingerprint` is kept for speed; a test
  shows it yields the words of :func:`words` on real text.
- :func:`stop_words` (the summarizer's) and :func:`term_stop_words` (the
  clusterer's: also the weekdays and a few words every report uses) are one
  list and its extension; :data:`FUNCTION_WORDS` are the few that tell
  English text (language guess).
- :data:`MONTHS`, :data:`MONTH_NAME`, :data:`WEEKDAYS` and
  :data:`WEEKDAY_STEM` are the names every date pattern is built from.
- :func:`parse_date` turns a metadata date into ISO 8601;
  :func:`find_full_date` finds the first written day-month-year date;
  :func:`find_dates` finds every explicit date with its offset;
  :func:`parse_day` reads the calendar day of a stored date value.
- :func:`text_key` is the key of a stored analysis or vector of one text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from datetime import date, datetime
from functools import lru_cache

__all__ = [
    "FULL_DATE", "FUNCTION_WORDS", "ISO_DATE", "MONTHS", "MONTH_NAME", "WEEKDAYS", "WEEKDAY_STEM",
    "anchor_tokens", "cased_words", "find_dates", "find_full_date", "has_terms", "iso_day", "letter_words", "parse_date",
    "parse_day", "stop_words", "term_stop_words", "terms", "text_key", "visible_words", "words",
]

# ------------------------------------------------------------------ words
_WORDS = re.compile(r"[^\W_]+")
_TERM = re.compile(r"\b\w[\w'’-]*\w\b|\b\d\b", re.UNICODE)
_ANCHOR = re.compile(r"[^\W_][\w'’.-]*")
_CASED = re.compile(r"[^\W\d_][\w'’.-]*")
_LETTER_WORD = re.compile(r"[A-Za-z]{2,}")
_VISIBLE_WORD = re.compile(r"\S+")


def words(text: str) -> list[str]:
    """The words of ``text``, lower-cased: runs of letters and digits."""
    return _WORDS.findall(text.lower())


def terms(text: str) -> list[str]:
    """Content words with case kept (``Reid`` and ``reid`` stay apart): inner apostrophes and hyphens
    kept, a possessive ``'s`` cut, one-character tokens and :func:`term_stop_words` dropped."""
    out = []
    stop = term_stop_words()
    for tok in _TERM.findall(text.replace("’", "'")):
        if tok[-1] == "s" and tok.endswith("'s"):
            tok = tok[:-2]
        if len(tok) > 1 and tok.lower() not in stop:
            out.append(tok)
    return out


def has_terms(text: str, n: int) -> bool:
    """True when ``text`` holds at least ``n`` of :func:`terms` (stops reading once it has)."""
    found = 0
    stop = term_stop_words()
    for m in _TERM.finditer(text.replace("’", "'")):
        tok = m.group()
        if tok.endswith("'s"):
            tok = tok[:-2]
        if len(tok) > 1 and tok.lower() not in stop:
            found += 1
            if found >= n:
                return True
    return False


def anchor_tokens(text: str) -> list[str]:
    """A sentence's tokens as written, inner dots, apostrophes and hyphens kept (``U.S.``, ``O'Neill``)."""
    return _ANCHOR.findall(text)


def cased_words(text: str) -> list[str]:
    """The words of ``text`` as written, each starting with a letter (for telling capitals apart)."""
    return _CASED.findall(text)


def letter_words(text: str) -> list[str]:
    """The ASCII words of ``text`` of two letters or more (digits and other letters split them)."""
    return _LETTER_WORD.findall(text)


def visible_words(text: str) -> int:
    """How many words a reader sees in ``text``: runs of non-space characters."""
    return len(_VISIBLE_WORD.findall(text))


# ------------------------------------------------------------- stop words
# words every news report uses, beyond scikit-learn's English stop list
_REPORTING = frozenset({"said", "says", "say", "told", "mr", "ms", "mrs"})
# ... and, for clustering, words that say nothing about which event a report is about
_TERM_EXTRA = frozenset({"also", "would", "could", "according", "new", "one", "two"})

# the commonest English function words: a text is English when enough of its words are these
FUNCTION_WORDS = frozenset("the of and to in a is that for on was with as by at from his he it said has have are be "
                           "an were which but not this had their they its after who will been".split())


# scikit-learn's English stop list (``sklearn.feature_extraction.text.ENGLISH_STOP_WORDS``), written out: importing
# scikit-learn for it cost a second in every process (tests/test_text.py checks the two are equal)
ENGLISH_STOP_WORDS = frozenset((
    "a about above across after afterwards again against all almost alone along already also although always "
    "am among amongst amoungst amount an and another any anyhow anyone anything anyway anywhere are around as "
    "at back be became because become becomes becoming been before beforehand behind being below beside "
    "besides between beyond bill both bottom but by call can cannot cant co con could couldnt cry de describe "
    "detail do done down due during each eg eight either eleven else elsewhere empty enough etc even ever "
    "every everyone everything everywhere except few fifteen fifty fill find fire first five for former "
    "formerly forty found four from front full further get give go had has hasnt have he hence her here "
    "hereafter hereby herein hereupon hers herself him himself his how however hundred i ie if in inc indeed "
    "interest into is it its itself keep last latter latterly least less ltd made many may me meanwhile might "
    "mill mine more moreover most mostly move much must my myself name namely neither never nevertheless next "
    "nine no nobody none noone nor not nothing now nowhere of off often on once one only onto or other others "
    "otherwise our ours ourselves out over own part per perhaps please put rather re same see seem seemed "
    "seeming seems serious several she should show side since sincere six sixty so some somehow someone "
    "something sometime sometimes somewhere still such system take ten than that the their them themselves "
    "then thence there thereafter thereby therefore therein thereupon these they thick thin third this those "
    "though three through throughout thru thus to together too top toward towards twelve twenty two un under "
    "until up upon us very via was we well were what whatever when whence whenever where whereafter whereas "
    "whereby wherein whereupon wherever whether which while whither who whoever whole whom whose why will "
    "with within without would yet you your yours yourself yourselves"
).split())


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """scikit-learn's English stop words and the words of reporting (``said``, ``mr``)."""
    return ENGLISH_STOP_WORDS | _REPORTING


@lru_cache(maxsize=1)
def term_stop_words() -> frozenset[str]:
    """:func:`stop_words`, the weekday names and a few words that name no event (``new``, ``according``)."""
    return stop_words() | _TERM_EXTRA | frozenset(WEEKDAYS)


# ------------------------------------------------------- months, weekdays
_MONTH_NAMES = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
                "november", "december"]
MONTHS: dict[str, int] = {m: i for i, m in enumerate(_MONTH_NAMES, start=1)}
"""Month number by lower-cased name: full names, their first three letters, and ``sept``."""
MONTHS.update({k[:3]: v for k, v in list(MONTHS.items())})
MONTHS["sept"] = 9
MONTH_NAME = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
              r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
"""A month name or its abbreviation, as a regular expression (no group, no trailing dot; use ``re.I``)."""

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
"""Weekday names, Monday first (``date.weekday()`` indexes them)."""
WEEKDAY_STEM = r"(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)"
"""A weekday name without its ``day`` (``mon``, ``tues``, ``wednes``), as a regular expression."""


def month_number(name: str) -> int | None:
    """The month a name or abbreviation (``Dec.``, ``sept``, ``December``) stands for."""
    key = name.lower().rstrip(".")
    return MONTHS.get(key) or MONTHS.get(key[:3])


# ------------------------------------------------------------------ dates
_WD = rf"(?:{WEEKDAY_STEM}(?:day)?\.?,?\s*)"
_MON = MONTH_NAME + r"\.?"
_MDY = rf"(?P<m1>{_MON})\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y1>(?:19|20)\d{{2}})"
_DMY = rf"(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m2>{_MON}),?\s+(?P<y2>(?:19|20)\d{{2}})"
# "December 30, 2018", "Dec. 30 2018", "30 December 2018", "Sunday, 30 December 2018"
FULL_DATE = re.compile(rf"\b{_WD}?(?:{_MDY}|{_DMY})\b", re.I)
ISO_DATE = re.compile(r"\b(?P<y>(?:19|20)\d{2})-(?P<m>\d{2})-(?P<d>\d{2})\b")
_YEAR = re.compile(r"(?:19|20)\d{2}")  # in FULL_DATE and ISO_DATE alike
_SLASH_DATE = re.compile(r"\b(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<sy>(?:19|20)\d\d)\b")
# what find_dates looks for, pattern by pattern
_FIND_PATTERNS = [re.compile(rf"\b{_MDY}\b", re.I), re.compile(rf"\b{_DMY}\b", re.I), ISO_DATE, _SLASH_DATE]


def iso_day(y: str | int, m: str | int, d: str | int) -> str | None:
    """``YYYY-MM-DD`` of a year, a month (number or name) and a day; None when that day does not exist."""
    try:
        key = str(m).lower().rstrip(".")
        mi = int(m) if key.isdigit() else MONTHS.get(key) or MONTHS[key[:3]]
        return date(int(y), mi, int(d)).isoformat()
    except (ValueError, KeyError):
        return None


def parse_date(value: str) -> str | None:
    """A metadata date string → ISO 8601, or None when it cannot be parsed."""
    s = value.strip()
    if not s:
        return None
    try:
        when = datetime.fromisoformat(s.replace("Z", "+00:00"))
        return when.isoformat() if (when.hour or when.minute or when.second or when.tzinfo) else when.date().isoformat()
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

        when = du.parse(s, fuzzy=False, default=datetime(1900, 1, 1))
        if when.year == 1900:
            return None
        return when.isoformat() if (when.hour or when.minute or when.tzinfo) else when.date().isoformat()
    except (ValueError, OverflowError, ImportError):
        return None


def has_year(text: str) -> bool:
    """Whether ``text`` holds a year (19xx or 20xx): every date :data:`FULL_DATE` or :data:`ISO_DATE` matches has one."""
    return ("19" in text or "20" in text) and _YEAR.search(text) is not None


def find_full_date(text: str) -> str | None:
    """The first day-month-year date written out in ``text`` (else the first ISO date), as ``YYYY-MM-DD``."""
    if not has_year(text):
        return None
    m = FULL_DATE.search(text)
    if m:
        if m.group("y1"):
            return iso_day(m.group("y1"), m.group("m1"), m.group("d1"))
        return iso_day(m.group("y2"), m.group("m2"), m.group("d2"))
    m2 = ISO_DATE.search(text)
    if m2:
        return iso_day(m2.group("y"), m2.group("m"), m2.group("d"))
    return None


def find_dates(text: str) -> list[tuple[int, dt.date]]:
    """Every explicit calendar date written in ``text``, as ``(offset, date)``, in order.

    Month-day-year and day-month-year dates with the month written, ISO dates,
    and ``d/m/yyyy`` (read as month/day unless the first number is over 12).
    """
    out: list[tuple[int, dt.date]] = []
    for pat in _FIND_PATTERNS:
        for m in pat.finditer(text):
            g = m.groupdict()
            try:
                if "m1" in g:
                    d = dt.date(int(g["y1"]), month_number(g["m1"]) or 0, int(g["d1"]))
                elif "m2" in g:
                    d = dt.date(int(g["y2"]), month_number(g["m2"]) or 0, int(g["d2"]))
                elif "y" in g:
                    d = dt.date(int(g["y"]), int(g["m"]), int(g["d"]))
                else:  # day/month/year is ambiguous with month/day/year: try both
                    a, b, y = int(g["a"]), int(g["b"]), int(g["sy"])
                    d = dt.date(y, b, a) if a > 12 else dt.date(y, a, b)
            except ValueError:
                continue
            out.append((m.start(), d))
    return sorted(out, key=lambda x: x[0])


def parse_day(value: str | None) -> dt.date | None:
    """The calendar day of a stored date value (ISO first, else the first date written in it); None when none."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        found = find_dates(value)
        return found[0][1] if found else None


# -------------------------------------------------------------- text keys
def text_key(text: str) -> str:
    """The key of what is stored about one text (a paragraph's analysis, a sentence's vector): a hash of it."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()


def plural(n: int, noun: str, nouns: str | None = None) -> str:
    """``1 article``, ``2 articles``, ``1 story``, ``3 stories``."""
    return f"{n} {noun if n == 1 else nouns or noun + 's'}"


def clip(text: str, chars: int) -> str:
    """``text`` cut to at most ``chars`` characters at a word boundary, with "…" when cut (never mid-word)."""
    text = text.strip()
    if len(text) <= chars:
        return text
    cut = text[: chars].rsplit(None, 1)[0] if " " in text[: chars] else text[: chars - 1]
    return cut.rstrip(" ,;:-–—") + "…"
