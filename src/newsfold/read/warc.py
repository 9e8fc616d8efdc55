"""WARC files (fastwarc): one article per HTML response record."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..models import RawDocument
from .decode import MAX_BYTES, decode_bytes, too_large
from .html import extract_html


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        k, _, v = part.strip().partition("=")
        if k.lower() == "charset" and v:
            return v.strip('"\' ')
    return None


def read_warc(path: str, *, max_bytes: int = MAX_BYTES) -> Iterator[RawDocument]:
    """HTML ``response`` records; other records are not inputs and get no entry.

    A record's payload is read up to ``max_bytes`` (a larger one is rejected
    as too large and skipped without being held in memory).  A record that
    fails in any way is rejected on its own; a truncated or corrupt file
    yields the records read so far, then one rejected entry that says where
    reading stopped.
    """
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    n = 0
    try:
        records = ArchiveIterator(path, record_types=WarcRecordType.response, parse_http=True, fsspec_args=False)
    except Exception as e:
        yield RawDocument(ref=path, error=f"cannot read WARC file: {e}")
        return
    try:
        for rec in records:
            n += 1
            doc = _record(rec, f"{path}#{n}", n, max_bytes)
            if doc is not None:
                yield doc
    except Exception as e:  # fastwarc raises on truncated gzip members
        yield RawDocument(ref=f"{path}#{n + 1}", error=f"WARC file is truncated or corrupt after record {n}: {e}")
        return
    if n == 0:
        yield RawDocument(ref=path, error="no HTML response records found in WARC file (empty, truncated or not a WARC)")


def _record(rec: Any, ref: str, n: int, max_bytes: int) -> RawDocument | None:
    """One response record as a document, None when it is not HTML; never raises."""
    uri = None
    try:
        uri = rec.headers.get("WARC-Target-URI")
        ctype = (rec.http_headers.get("Content-Type") or "") if rec.http_headers else ""
        if ctype and "html" not in ctype.lower():
            return None
        body = rec.reader.read(max_bytes + 1)
        if len(body) > max_bytes:
            size = rec.content_length if rec.content_length and rec.content_length > max_bytes else None
            return RawDocument(ref=ref, url=uri, error=too_large(max_bytes, size))
        if rec.content_length and len(body) < rec.content_length:
            return RawDocument(ref=ref, url=uri, error=(
                f"WARC file is truncated: record {n} has {len(body)} of its {rec.content_length} bytes"))
        dec = decode_bytes(body, declared=_charset(ctype))
        if dec.error:
            return RawDocument(ref=ref, url=uri, error=dec.error)
        assert dec.text is not None
        doc = extract_html(dec.text, ref=ref, url=uri)
        doc.url = uri or doc.url
        doc.meta["format"] = "warc"
        return doc
    except Exception as e:  # noqa: BLE001 - one bad record is a rejection, never a crash
        return RawDocument(ref=ref, url=uri, error=f"unreadable WARC record ({type(e).__name__}: {e})")
