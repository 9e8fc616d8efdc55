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
import math
from collections.abc import Iterator
from typing import IO, Any

from ..models import RawDocument
from .decode import MAX_BYTES, read_limited, too_large

KNOWN = {"id", "url", "title", "text", "html", "published", "date", "outlet", "source", "language", "lang"}


class BadField(ValueError):
    """A known field holds a value that is not text (an object, a list, NaN, true)."""


def _kind(v: Any) -> str:
    if isinstance(v, bool):
        return "true/false"
    if isinstance(v, float) and not math.isfinite(v):
        return repr(v)
    return {dict: "an object", list: "a list", int: "a number", float: "a number"}.get(type(v), type(v).__name__)


def _field(rec: dict[str, Any], key: str, alt: str | None = None, *, strict: bool = False) -> str | None:
    """The first of ``key``, ``alt`` that is present and not empty, as text.

    Numbers are text here (an ``id`` of 17), except where ``strict`` (the body
    fields); objects, lists, true/false and NaN are never: :class:`BadField`.
    """
    for k in (key, alt) if alt is not None else (key,):
        v = rec.get(k)
        if v is None or v == "":
            continue
        if isinstance(v, str):
            return v
        if not strict and isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v):
            return str(v)
        raise BadField(f"field {k!r} must be {'a string' if strict else 'text or a number'}, not {_kind(v)}")
    return None


def record_to_raw(rec: Any, ref: str, *, max_bytes: int = MAX_BYTES) -> RawDocument:
    """One JSON object / CSV row → RawDocument (``error`` when unusable, or its body is over ``max_bytes``)."""
    if not isinstance(rec, dict):
        return RawDocument(ref=ref, error=f"expected a JSON object, got {type(rec).__name__}")
    try:
        return _record_to_raw(rec, ref, max_bytes)
    except BadField as e:
        return RawDocument(ref=ref, error=str(e))


def _check_numbers(value: Any, where: str) -> None:
    """BadField when ``value`` holds a number no JSON can carry (1e999 reads as infinity): it would be stored,
    and printed back, as ``Infinity``."""
    if isinstance(value, float) and not math.isfinite(value):
        raise BadField(f"field {where!r} holds a number too large to store ({value!r})")
    if isinstance(value, dict):
        for k, v in value.items():
            _check_numbers(v, f"{where}.{k}")
    elif isinstance(value, list):
        for v in value:
            _check_numbers(v, where)


def _record_to_raw(rec: dict[str, Any], ref: str, max_bytes: int) -> RawDocument:
    for k, v in rec.items():
        if k not in KNOWN:
            _check_numbers(v, k)
    text, html = _field(rec, "text", strict=True), _field(rec, "html", strict=True)
    if text is None and html is None:
        return RawDocument(ref=ref, error="record has no 'text' or 'html' field")
    body = text if text is not None else html
    assert body is not None
    if len(body) > max_bytes // 4:  # (a character is at most 4 bytes)
        size = len(body.encode("utf-8", "surrogatepass"))
        if size > max_bytes:
            return RawDocument(ref=ref, error=too_large(max_bytes, size))
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


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


# one decoder for every record (json.loads with options would build one per call)
_DECODER = json.JSONDecoder(parse_constant=_no_constant)


def parse_json(data: bytes | str) -> tuple[Any, str | None]:
    """A JSON document, or why it is not one: never raises (deep nesting, huge numbers and NaN included).

    The reason is "not UTF-8", or what is wrong with the JSON (to follow "invalid JSON").
    """
    try:
        if isinstance(data, bytes):  # as json.loads reads bytes: UTF-8 (a BOM allowed), UTF-16 or UTF-32
            data = data.decode(json.detect_encoding(data), "surrogatepass")
        return _DECODER.decode(data), None
    except UnicodeDecodeError:
        return None, "not UTF-8"
    except json.JSONDecodeError as e:
        return None, f"{e.msg.removesuffix(' at')} at line {e.lineno} column {e.colno}"
    except RecursionError:
        return None, "nested too deeply"
    except ValueError as e:
        return None, "a number of more than 4300 digits" if "integer string conversion" in str(e) else str(e)
    except Exception as e:  # noqa: BLE001 - one bad record is a rejection, never a crash
        return None, f"{type(e).__name__}: {e}"


def _open_text(path: str) -> IO[bytes]:
    return gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")


def _lines(stream: IO[bytes], limit: int) -> Iterator[tuple[int, bytes | None, int]]:
    """(number, line, size) for each line; ``line`` is None for a line over ``limit`` bytes, never held whole."""
    n = 0
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        n += 1
        if len(line) > limit and not line.endswith(b"\n"):
            size = len(line)
            while True:  # skip the rest of the long line, a megabyte at a time
                more = stream.readline(1 << 20)
                size += len(more)
                if not more or more.endswith(b"\n"):
                    break
            yield n, None, size
        else:
            yield n, line, len(line)


class _Transcoded:
    """A UTF-16 or UTF-32 stream read as UTF-8 lines (split at its own line ends, not at every 0x0A byte)."""

    def __init__(self, stream: IO[bytes], codec: str) -> None:
        # bytes that do not decode reach the record that holds them (as surrogates), which alone is rejected
        self.text = io.TextIOWrapper(stream, encoding=codec, errors="surrogateescape", newline="\n")

    def readline(self, limit: int = -1) -> bytes:
        return self.text.readline(limit).encode("utf-8", "surrogatepass")


_WIDE_BOMS = [(b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe", "utf-16"),
              (b"\xfe\xff", "utf-16")]


def _utf8_lines(stream: IO[bytes]) -> Any:
    """``stream``, or, when it starts with a UTF-16/32 byte order mark, a :class:`_Transcoded` view of it."""
    peek = getattr(stream, "peek", None)
    head = peek(4)[:4] if peek is not None else b""
    codec = next((c for bom, c in _WIDE_BOMS if head.startswith(bom)), None)
    return _Transcoded(stream, codec) if codec else stream


def read_jsonl_stream(stream: IO[bytes], ref: str, *, max_bytes: int = MAX_BYTES) -> Iterator[RawDocument]:
    """One document per line; a broken, too large or unreadable line is rejected on its own.

    UTF-8, or UTF-16/32 with a byte order mark (each line then holds one record, as in UTF-8).
    """
    n = 0
    stream = _utf8_lines(stream)
    try:
        for n, line, size in _lines(stream, max_bytes):
            r = f"{ref}:{n}"
            if line is None:
                yield RawDocument(ref=r, error=f"line {n}: {too_large(max_bytes, size)}")
                continue
            if not line.strip():
                continue
            rec, err = parse_json(line)
            if err:
                err = err if err == "not UTF-8" else f"invalid JSON ({err.replace(' at line 1 column', ' at column')})"
                yield RawDocument(ref=r, error=f"line {n}: {err}")
                continue
            yield _guarded(rec, r, f"line {n}: ")
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        yield RawDocument(ref=f"{ref}:{n + 1}", error=f"file is truncated or unreadable after line {n}: {e}")


def _guarded(rec: Any, ref: str, where: str = "", max_bytes: int = MAX_BYTES) -> RawDocument:
    """``record_to_raw`` that turns any failure into this record's rejection."""
    try:
        return record_to_raw(rec, ref, max_bytes=max_bytes)
    except Exception as e:  # noqa: BLE001 - one bad record is a rejection, never a crash
        return RawDocument(ref=ref, error=f"{where}unreadable record ({type(e).__name__}: {e})")


def read_jsonl(path: str, *, max_bytes: int = MAX_BYTES) -> Iterator[RawDocument]:
    try:
        stream = _open_text(path)
    except OSError as e:
        yield RawDocument(ref=path, error=f"cannot read file: {e.strerror}")
        return
    with stream:
        yield from read_jsonl_stream(stream, ref=path, max_bytes=max_bytes)


def read_json(path: str, *, max_bytes: int = MAX_BYTES) -> Iterator[RawDocument]:
    data, err = read_limited(path, max_bytes * 10)
    if err:
        yield RawDocument(ref=path, error=err)
        return
    assert data is not None
    if not data.strip():
        yield RawDocument(ref=path, error="empty")
        return
    obj, err = parse_json(data)
    if err:
        yield RawDocument(ref=path, error=err if err == "not UTF-8" else f"invalid JSON: {err}")
        return
    if isinstance(obj, list):
        for i, rec in enumerate(obj):
            yield _guarded(rec, f"{path}#{i}", max_bytes=max_bytes)
    else:
        raw = _guarded(obj, path, max_bytes=max_bytes)
        if raw.id is None and not raw.error:
            from pathlib import Path

            raw.id = Path(path).stem
        yield raw


def read_csv(path: str, *, max_bytes: int = MAX_BYTES) -> Iterator[RawDocument]:
    csv.field_size_limit(max_bytes)
    try:
        # bytes that are not UTF-8 reach the row that holds them (as surrogates), which alone is rejected
        fh = io.TextIOWrapper(_open_text(path), encoding="utf-8-sig", errors="surrogateescape", newline="")
    except OSError as e:
        yield RawDocument(ref=path, error=f"cannot read file: {e.strerror}")
        return
    with fh:
        reader = csv.DictReader(fh)
        i = 1
        while True:
            i += 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                if "field limit" not in str(e):
                    yield RawDocument(ref=path, error=f"invalid CSV: {e}")
                    return
                # the reader starts again at the next line: only this row is lost
                yield RawDocument(ref=f"{path}:{i}", error=f"row {i}: {too_large(max_bytes)}")
                continue
            yield _guarded({k: v for k, v in row.items() if k is not None}, f"{path}:{i}")
