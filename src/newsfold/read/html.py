"""HTML pages through trafilatura (text + metadata) and htmldate (dates)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from ..models import RawDocument
from .decode import read_text

log = logging.getLogger(__name__)

# a page whose main text is shorter than this is navigation, a form or an error page
MIN_WORDS = 15


def extract_html(html: str, *, ref: str, url: str | None = None, id: str | None = None) -> RawDocument:
    """Main text and metadata of one HTML page; ``error`` when there is no article."""
    import trafilatura

    try:
        doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False,
                                          include_tables=False, favor_precision=True)
    except Exception as e:  # trafilatura raises on malformed trees in rare cases
        log.debug("trafilatura failed on %s: %s", ref, e)
        doc = None
    meta: dict[str, Any] = doc.as_dict() if doc is not None and hasattr(doc, "as_dict") else (doc or {})
    text = (meta.get("text") or "").strip()
    n_words = len(text.split())
    if n_words < MIN_WORDS:
        extra = f" (only {n_words} words of page text outside navigation)" if n_words else ""
        return RawDocument(ref=ref, error=f"no article text found in HTML{extra}")
    published = _published(html, url, meta.get("date"))
    page_url = url or meta.get("url")
    return RawDocument(
        ref=ref, text=text, id=id, title=meta.get("title") or None, url=page_url or None,
        published=published or None, outlet=meta.get("sitename") or None,
        language=meta.get("language") or None,
        meta={"format": "html", **({"author": meta["author"]} if meta.get("author") else {}),
              **({"description": meta["description"]} if meta.get("description") else {})},
    )


def _published(html: str, url: str | None, day: str | None) -> str | None:
    """The page's publication time, to the second when the page gives one (``published_time`` and the like).

    trafilatura's metadata keeps the day only; htmldate, asked for a time,
    gives the time too (midnight when the page has a day only: then the day).
    A time on another day than trafilatura's is not trusted: the day stays.
    """
    from htmldate import find_date

    try:
        found = find_date(html, url=url, original_date=True, outputformat="%Y-%m-%dT%H:%M:%S%z")
    except Exception:  # htmldate is best effort
        found = None
    if found and found[11:19] == "00:00:00":
        found = found[:10]
    if found and (not day or found[:10] == day[:10]):
        return found
    return day or found


def read_html_file(path: str, *, max_bytes: int) -> RawDocument:
    dec = read_text(path, max_bytes)
    if dec.error:
        return RawDocument(ref=path, error=dec.error)
    assert dec.text is not None
    return extract_html(dec.text, ref=path, id=Path(path).stem)
