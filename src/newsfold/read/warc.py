"""WARC files (fastwarc): one article per HTML response record."""

from __future__ import annotations

from collections.abc import Iterator

from ..models import RawDocument
from .decode import decode_bytes
from .html import extract_html


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        k, _, v = part.strip().partition("=")
        if k.lower() == "charset" and v:
            return v.strip('"\' ')
    return None


def read_warc(path: str) -> Iterator[RawDocument]:
    """HTML ``response`` records; other records are not inputs and get no entry.

    A truncated or corrupt file yields the records read so far, then one
    rejected entry that says where reading stopped.
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
            ref = f"{path}#{n}"
            uri = rec.headers.get("WARC-Target-URI")
            ctype = (rec.http_headers.get("Content-Type") or "") if rec.http_headers else ""
            if ctype and "html" not in ctype.lower():
                continue
            body = rec.reader.read()
            if rec.content_length and len(body) < rec.content_length:
                yield RawDocument(ref=ref, url=uri, error=(
                    f"WARC file is truncated: record {n} has {len(body)} of its {rec.content_length} bytes"))
                continue
            dec = decode_bytes(body, declared=_charset(ctype))
            if dec.error:
                yield RawDocument(ref=ref, url=uri, error=dec.error)
                continue
            assert dec.text is not None
            doc = extract_html(dec.text, ref=ref, url=uri)
            doc.url = uri or doc.url
            doc.meta["format"] = "warc"
            yield doc
    except Exception as e:  # fastwarc raises on truncated gzip members
        yield RawDocument(ref=f"{path}#{n + 1}", error=f"WARC file is truncated or corrupt after record {n}: {e}")
        return
    if n == 0:
        yield RawDocument(ref=path, error="no HTML response records found in WARC file (empty, truncated or not a WARC)")
