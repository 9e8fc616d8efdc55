"""RSS and Atom files (feedparser): one article per entry."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

from ..models import RawDocument
from .decode import read_limited


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
    feed = feedparser.parse(data)
    if not feed.entries:
        reason = "no entries found in feed"
        if feed.get("bozo"):
            reason += f" (not a valid RSS/Atom file: {feed.get('bozo_exception')})"
        yield RawDocument(ref=path, error=reason)
        return
    site = feed.feed.get("title") or None
    for i, e in enumerate(feed.entries):
        ref = f"{path}#{i}"
        body = ""
        if e.get("content"):
            body = max((c.get("value", "") for c in e.content), key=len)
        body = body or e.get("summary", "") or e.get("description", "")
        guid = e.get("id") or None
        if guid and re.match(r"^(https?:|urn:|tag:)", guid):
            guid = None  # a URL-like guid: the id comes from the normalized link instead
        common = dict(ref=ref, id=guid, title=e.get("title") or None, url=e.get("link") or None,
                      published=_iso(e.get("published_parsed") or e.get("updated_parsed")),
                      outlet=site, language=feed.feed.get("language") or None)
        if not body.strip():
            yield RawDocument(**common, error="feed entry has no content or summary")
        elif re.search(r"<(p|div|br|span|a)\b", body, re.I):
            from .html import extract_html

            doc = extract_html(f"<html><body><article>{body}</article></body></html>", ref=ref, url=common["url"])
            if doc.error:
                # short summaries defeat trafilatura's extractor: fall back to tag stripping
                from html import unescape

                text = unescape(re.sub(r"<[^>]+>", " ", body))
                yield RawDocument(**common, text=re.sub(r"[ \t]+", " ", text).strip(), meta={"format": "feed"})
            else:
                yield RawDocument(**common, text=doc.text, meta={"format": "feed"})
        else:
            yield RawDocument(**common, text=body, meta={"format": "feed"})
