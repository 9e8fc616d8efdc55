"""Structured records: JSONL, JSON (one object or a list) and CSV.

Fields: ``id``, ``url``, ``title``, ``text`` or ``html``, ``published`` (or
``date``), ``outlet`` (or ``source``), ``language``.  Unknown fields are
kept in ``meta``.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Iterator
from typing import IO, Any

from ..models import RawDocument
from .decode import read_limited

KNOWN = {"id", "url", "title", "text", "html", "published", "date", "outlet", "source", "language", "lang"}


def _field(rec: dict[str, Any], key: str, alt: str | None = None) -> str | None:
    """The first of ``key``, ``alt`` that is present and not empty, as text."""
    v = rec.get(key)
    if v is not None and v != "":
        return str(v)
    if alt is not None:
        v = rec.get(alt)
        if v is not None and v != "":
            return str(v)
    return None


def record_to_raw(rec: Any, ref: str) -> RawDocument:
    """One JSON object / CSV row → RawDocument (``error`` when unusable)."""
    if not isinstance(rec, dict):
        return RawDocument(ref=ref, error=f"expected a JSON object, got {type(rec).__name__}")
    text, html = _field(rec, "text"), _field(rec, "html")
    if text is None and html is None:
        return RawDocument(ref=ref, error="record has no 'text' or 'html' field")
    published = _field(rec, "published", "date")
    if html is not None and text is None:
        from .html import extract_html

        raw = extract_html(html, ref=ref, url=_field(rec, "url"), id=_field(rec, "id"))
        if raw.error:
            return raw
        # the record's own fields win over what the page says
        raw.title = _field(rec, "title") or raw.title
        raw.published = published or raw.published
        raw.outlet = _field(rec, "outlet", "source") or raw.outlet
        raw.language = _field(rec, "language", "lang") or raw.language
        raw.meta.update({k: v for k, v in rec.items() if k not in KNOWN})
        return raw
    meta = {k: v for k, v in rec.items() if k not in KNOWN}
    if published is not None:
        meta.setdefault("_date_from_record", True)
    return RawDocument(ref=ref, text=text, id=_field(rec, "id"), title=_field(rec, "title"), url=_field(rec, "url"),
                       published=published, outlet=_field(rec, "outlet", "source"),
                       language=_field(rec, "language", "lang"), meta=meta)


def _open_text(path: str) -> IO[bytes]:
    return gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")


def read_jsonl_stream(stream: IO[bytes], ref: str) -> Iterator[RawDocument]:
    """One document per line; a broken line is rejected on its own."""
    n = 0
    try:
        for n, line in enumerate(stream, start=1):
            r = f"{ref}:{n}"
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except UnicodeDecodeError:
                yield RawDocument(ref=r, error=f"line {n}: not UTF-8")
                continue
            except json.JSONDecodeError as e:
                yield RawDocument(ref=r, error=f"line {n}: invalid JSON ({e.msg} at column {e.colno})")
                continue
            yield record_to_raw(rec, r)
    except (OSError, EOFError) as e:
        yield RawDocument(ref=f"{ref}:{n + 1}", error=f"file is truncated or unreadable after line {n}: {e}")


def read_jsonl(path: str) -> Iterator[RawDocument]:
    try:
        stream = _open_text(path)
    except OSError as e:
        yield RawDocument(ref=path, error=f"cannot read file: {e.strerror}")
        return
    with stream:
        yield from read_jsonl_stream(stream, ref=path)


def read_json(path: str, *, max_bytes: int) -> Iterator[RawDocument]:
    data, err = read_limited(path, max_bytes * 10)
    if err:
        yield RawDocument(ref=path, error=err)
        return
    assert data is not None
    if not data.strip():
        yield RawDocument(ref=path, error="empty")
        return
    try:
        obj = json.loads(data)
    except UnicodeDecodeError:
        yield RawDocument(ref=path, error="not UTF-8")
        return
    except json.JSONDecodeError as e:
        yield RawDocument(ref=path, error=f"invalid JSON: {e.msg} at line {e.lineno} column {e.colno}")
        return
    if isinstance(obj, list):
        for i, rec in enumerate(obj):
            yield record_to_raw(rec, f"{path}#{i}")
    else:
        raw = record_to_raw(obj, path)
        if raw.id is None and not raw.error:
            from pathlib import Path

            raw.id = Path(path).stem
        yield raw


def read_csv(path: str) -> Iterator[RawDocument]:
    csv.field_size_limit(64 * 1024 * 1024)
    try:
        fh = io.TextIOWrapper(_open_text(path), encoding="utf-8-sig", newline="")
    except OSError as e:
        yield RawDocument(ref=path, error=f"cannot read file: {e.strerror}")
        return
    with fh:
        try:
            reader = csv.DictReader(fh)
            for i, row in enumerate(reader, start=2):
                yield record_to_raw({k: v for k, v in row.items() if k is not None}, f"{path}:{i}")
        except UnicodeDecodeError:
            yield RawDocument(ref=path, error="not UTF-8 (CSV files must be UTF-8)")
        except csv.Error as e:
            yield RawDocument(ref=path, error=f"invalid CSV: {e}")
