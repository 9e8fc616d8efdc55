"""Plain text and Markdown files: one article per file."""

from __future__ import annotations

import re
from pathlib import Path

from ..models import RawDocument
from .decode import read_text

_DATELINE = re.compile(r"^[A-Z][\w .'-]{1,40}(,\s*[\w .]+)?\s*\((?:[A-Z][\w&. ]{1,20})\)\s*[-–—:]")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_MD_BOLD = re.compile(r"(\*\*|__)(.+?)\1")


def looks_like_headline(line: str) -> bool:
    """Short, no final full stop, not a dateline, not a date or URL."""
    s = _MD_BOLD.sub(r"\2", _MD_HEADING.sub("", line)).strip()
    if not s or len(s) > 160 or len(s.split()) > 25 or len(s.split()) < 2:
        return False
    if s[-1] in ".:;,–—-" or s.endswith("..."):
        return False
    if _DATELINE.match(s) or re.match(r"^(by|source)\b", s, re.I):
        return False
    if re.match(r"^(https?://|www\.|<)", s):
        return False
    if not any(ch.isalpha() for ch in s):
        return False
    return True


def split_title(text: str) -> tuple[str | None, str]:
    """Take the first non-empty line as title when it looks like a headline."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip():
            if looks_like_headline(line):
                title = _MD_BOLD.sub(r"\2", _MD_HEADING.sub("", line)).strip()
                return title, "\n".join(lines[i + 1:])
            return None, text
    return None, text


def read_text_file(path: str, *, max_bytes: int) -> RawDocument:
    dec = read_text(path, max_bytes)
    if dec.error:
        return RawDocument(ref=path, error=dec.error)
    assert dec.text is not None
    title, body = split_title(dec.text)
    return RawDocument(ref=path, text=body, title=title, id=Path(path).stem, meta={"format": "text"})
