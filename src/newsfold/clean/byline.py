"""Bylines, source lines and datelines: removed from the text, kept as metadata.

"By Reuters", "By Jane Doe, AP", "Source: AFP", "Moscow (AFP) –",
"WASHINGTON, Dec 30 (Reuters) - The ...".  Whether a byline names an outlet
or a person is decided by its shape, never by a list of names: one word or
an all-capitals name or a name with an organisation word is an outlet, two
or three capitalised words are a person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..text import find_full_date

_ORG_WORDS = re.compile(r"\b(news|press|agency|times|post|journal|tribune|herald|gazette|daily|wire|media|network"
                        r"|radio|tv|television|broadcasting|service|associated|online|magazine|staff|group|bureau"
                        r"|telegraph|guardian|chronicle|observer|reporter|correspondents?)\b", re.I)
BYLINE = re.compile(r"^by\s+(?P<who>[^.!?]{2,80}?)\s*$", re.I)
SOURCE = re.compile(r"^(source|sources|via|courtesy( of)?|distributed by|from)\s*[:\-–—]\s*(?P<who>[^.!?]{2,60}?)\s*$", re.I)
# "Moscow (AFP) –", "MOSCOW, Dec 30 (Reuters) - text", "Paris, France (AP) — text"
DATELINE = re.compile(
    r"^(?P<place>[A-Z][A-Za-z.'\- ]{1,40}?)(?:,\s*(?P<extra>[A-Za-z0-9.,' ]{2,40}?))?\s*"
    r"\((?P<outlet>[A-Za-z][A-Za-z&.\- ]{0,30})\)\s*[-–—:]+\s*(?P<rest>.*)$")
# "WASHINGTON — text" / "LONDON: text"
CAPS_DATELINE = re.compile(r"^(?P<place>[A-Z][A-Z.'\-]{2,}(?:[ ,]+[A-Z][A-Za-z.'\-]{1,}){0,2})\s*[-–—]+\s+(?P<rest>\S.*)$")

# the first characters BYLINE and SOURCE can match (case-insensitive: "ſ" is an "s")
BYLINE_FIRST = frozenset("bBsSſvVcCdDfF")


@dataclass
class Byline:
    outlet: str | None = None
    author: str | None = None
    place: str | None = None
    date: str | None = None
    rest: str = ""           # text that follows a dateline on the same line
    reason: str = "byline"


def _is_outlet_name(name: str) -> bool:
    words = name.split()
    if len(words) == 1:
        return True
    if name.isupper() or _ORG_WORDS.search(name):
        return True
    return False


def parse_byline(line: str) -> Byline | None:
    """Recognize a byline or source line (whole line)."""
    s = line.strip()
    if not s or s[0] not in BYLINE_FIRST:
        return None
    m = BYLINE.match(s)
    if m:
        who = m.group("who").strip(" ,;|")
        parts = [p.strip() for p in re.split(r"\s*(?:[,|/]|\band\b(?=\s+[A-Z][a-z]+\s*$))\s*", who) if p.strip()]
        if not parts or len(who.split()) > 12:
            return None
        if not all(p[:1].isupper() or p[:1].isdigit() for p in parts):
            return None
        b = Byline(reason="byline")
        if len(parts) >= 2 and _is_outlet_name(parts[-1]) and not _is_outlet_name(parts[0]):
            b.author, b.outlet = ", ".join(parts[:-1]), parts[-1]
        elif _is_outlet_name(who):
            b.outlet = who
        else:
            b.author = who
        return b
    m = SOURCE.match(s)
    if m:
        who = m.group("who").strip(" ,;|")
        if who[:1].isupper() and len(who.split()) <= 6:
            return Byline(outlet=who, reason="source line")
    return None


def parse_dateline(line: str) -> Byline | None:
    """A dateline at the start of the text: place, outlet, perhaps a date."""
    s = line.strip()
    m = DATELINE.match(s) if "(" in s else None
    if m and len(m.group("place").split()) <= 4:
        extra = m.group("extra") or ""
        return Byline(outlet=m.group("outlet").strip(), place=m.group("place").strip(" ,"),
                      date=find_full_date(extra) if extra else None, rest=m.group("rest").strip(),
                      reason="dateline")
    m = CAPS_DATELINE.match(s) if ("-" in s or "–" in s or "—" in s) else None
    if m:
        place = m.group("place").strip(" ,")
        if place.split()[0].isupper() and len(place) <= 40:
            return Byline(place=place, rest=m.group("rest").strip(), reason="dateline")
    return None
