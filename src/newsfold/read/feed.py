"""RSS and Atom files (feedparser): one article per entry."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from html import unescape
from typing import Any

from ..models import RawDocument
from .decode import read_limited, too_large


# a character reference to a lone surrogate (&#xD800; … &#57343;) makes feedparser fail on the whole file: each
# is swapped for one to a private-use character first, and the entries holding it are rejected on their own
_SURROGATE_REF = re.compile(rb"&#(?:[xX]0*[dD][89a-fA-F][0-9a-fA-F]{2}|0*(?:5529[6-9]|55[3-9]\d\d|5[6]\d{3}|57[0-2]\d\d|"
                            rb"573[0-3]\d|5734[0-3]));")
_STANDIN = "\U0010fffd"


def looks_like_feed(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            head = fh.read(2048).lower()
    except OSError:
        return False
    return b"<rss" in head or b"<feed" in head or b"<rdf:rdf" in head


def _iso(t: time.struct_time | None) -> str | None:
    if not t:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", t)


def read_feed(path: str, *, max_bytes: int) -> Iterator[RawDocument]:
    import feedparser

    data, err = read_limited(path, max_bytes * 10)
    if err:
        yield RawDocument(ref=path, error=err)
        return
    assert data is not None
    data, n_bad = _SURROGATE_REF.subn(b"&#x10FFFD;", data)
    try:
        feed = feedparser.parse(data)
    except Exception as e:  # noqa: BLE001 - a file feedparser cannot take is a rejection, never a crash
        yield RawDocument(ref=path, error=f"not a readable RSS/Atom file ({type(e).__name__}: {e})")
        return
    if not feed.entries:
        reason = "no entries found in feed"
        if feed.get("bozo"):
            reason += f" (not a valid RSS/Atom file: {feed.get('bozo_exception')})"
        yield RawDocument(ref=path, error=reason)
        return
    for i, e in enumerate(feed.entries):
        ref = f"{path}#{i}"
        try:
            doc = _entry(feed, e, ref, max_bytes)
            if n_bad and not doc.error and any(_STANDIN in (v or "") for v in (doc.text, doc.title, doc.url, doc.id)):
                doc = RawDocument(ref=ref, error="not valid Unicode: the entry holds a character reference to a lone "
                                                 "surrogate (&#xD800; to &#xDFFF;); fix the feed's encoding")
            yield doc
        except Exception as ex:  # noqa: BLE001 - one bad entry is a rejection, never a crash
            yield RawDocument(ref=ref, error=f"unreadable feed entry ({type(ex).__name__}: {ex})")


def _entry(feed: Any, e: Any, ref: str, max_bytes: int) -> RawDocument:
    body, btype = "", ""
    if e.get("content"):
        best = max(e.content, key=lambda c: len(c.get("value", "")))
        body, btype = best.get("value", ""), best.get("type", "")
    if not body:
        detail = e.get("summary_detail") or {}
        body, btype = e.get("summary", "") or e.get("description", ""), detail.get("type", "")
    guid = e.get("id") or None
    if guid and re.match(r"^(https?:|urn:|tag:)", guid):
        guid = None  # a URL-like guid: the id comes from the normalized link instead
    common = dict(ref=ref, id=guid, title=e.get("title") or None, url=e.get("link") or None,
                  published=_iso(e.get("published_parsed") or e.get("updated_parsed")),
                  outlet=feed.feed.get("title") or None, language=feed.feed.get("language") or None)
    if not body.strip():
        return RawDocument(**common, error="feed entry has no content or summary")
    if len(body) > max_bytes:
        return RawDocument(**common, error=too_large(max_bytes, len(body.encode("utf-8"))))
    if re.search(r"<(p|div|br|span|a)\b", body, re.I):
        from .html import extract_html

        doc = extract_html(f"<html><body><article>{body}</article></body></html>", ref=ref, url=common["url"])
        if not doc.error:
            return RawDocument(**common, text=doc.text, meta={"format": "feed"})
        # short summaries defeat trafilatura's extractor: fall back to tag stripping
    if "html" in btype or re.search(r"<(p|div|br|span|a)\b", body, re.I):
        # feedparser hands HTML content over as HTML: tags go, and entities are decoded once
        body = re.sub(r"[ \t]+", " ", unescape(re.sub(r"<[^>]+>", " ", body))).strip()
    return RawDocument(**common, text=body, meta={"format": "feed"})
