"""Batch inputs: JSONL and Parquet files, directories and globs, on any pyarrow filesystem.

Both engines read the same :class:`Split` objects with the same
:func:`read_split`, so they see the same records with the same keys:

* a file is cut into splits (a byte range of a JSONL file, cut at line
  starts; a run of row groups of a Parquet file);
* every record gets an integer ``key`` = ``file index << 40 | position``
  (the byte offset of its line, or its row number), so keys follow the
  order of the sorted file list and of the records inside each file: the
  order the local engine inserts them into its store;
* a record without a ``text`` string is skipped and counted, never silently
  dropped; a record without an ``id`` is named ``path@position``.
"""

from __future__ import annotations

import fnmatch
import json
import logging
import posixpath
from dataclasses import dataclass, field
from collections.abc import Iterator, Sequence

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

log = logging.getLogger(__name__)

KEY_SHIFT = 40  # a file of up to 1 TiB; up to 2**23 files
DEFAULT_SPLIT_BYTES = 64 << 20
COLUMNS = ("key", "id", "text", "title", "published", "url", "outlet")
SCHEMA = pa.schema([("key", pa.int64()), ("id", pa.string()), ("text", pa.string()), ("title", pa.string()),
                    ("published", pa.string()), ("url", pa.string()), ("outlet", pa.string())])


class InputError(ValueError):
    """An input path that cannot be read, with what to do about it."""


@dataclass(frozen=True)
class InputFile:
    """One input file: where it is and how to read it."""

    index: int
    uri: str
    path: str
    format: str  # "jsonl" | "parquet"
    size: int


@dataclass(frozen=True)
class Split:
    """A piece of one input file that one task reads."""

    file: InputFile
    start: int  # byte offset (JSONL) or first row group (Parquet)
    end: int  # exclusive


@dataclass
class ReadStats:
    """What a read accepted and skipped (with why, for the first few)."""

    records: int = 0
    skipped: int = 0
    reasons: list[str] = field(default_factory=list)


def _format_of(path: str) -> str | None:
    p = path.lower()
    for suffix in (".gz", ".bz2", ".zst"):
        if p.endswith(suffix):
            p = p[: -len(suffix)]
    if p.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if p.endswith((".parquet", ".pq")):
        return "parquet"
    return None


def expand(paths: Sequence[str]) -> list[InputFile]:
    """The readable files named by ``paths`` (files, directories, globs, URIs), sorted, numbered."""
    found: list[tuple[str, str, int, pafs.FileSystem]] = []
    for raw in paths:
        try:
            fs, path = pafs.FileSystem.from_uri(raw) if "://" in raw else (pafs.LocalFileSystem(),
                                                                          posixpath.abspath(raw))
        except (pa.ArrowInvalid, ValueError) as e:
            raise InputError(f"cannot open {raw}: {e}. Use a local path or a URI pyarrow understands.") from None
        prefix = raw.split("://", 1)[0] + "://" if "://" in raw else ""
        if any(c in path for c in "*?["):
            base = path[: min(path.index(c) for c in "*?[" if c in path)].rsplit("/", 1)[0] or "/"
            infos = fs.get_file_info(pafs.FileSelector(base, recursive=True, allow_not_found=True))
            hits = [i for i in infos if i.type == pafs.FileType.File and fnmatch.fnmatch(i.path, path)]
        else:
            info = fs.get_file_info(path)
            if info.type == pafs.FileType.NotFound:
                raise InputError(f"{raw}: no such file or directory. Check the path.")
            if info.type == pafs.FileType.Directory:
                hits = [i for i in fs.get_file_info(pafs.FileSelector(path, recursive=True))
                        if i.type == pafs.FileType.File and _format_of(i.path)]
            else:
                hits = [info]
        for i in hits:
            found.append((prefix + i.path if prefix else i.path, i.path, int(i.size or 0), fs))
    files: list[InputFile] = []
    for uri, path, size, _ in sorted(set((u, p, s, None) for u, p, s, _fs in found)):
        fmt = _format_of(path)
        if fmt is None:
            raise InputError(f"{uri}: not JSONL or Parquet (by its name). Batch commands read *.jsonl and "
                             "*.parquet; use `newsfold add` for other formats.")
        files.append(InputFile(len(files), uri, path, fmt, size))
    if not files:
        raise InputError(f"no JSONL or Parquet files in {', '.join(paths)}.")
    return files


def _fs(f: InputFile) -> tuple[pafs.FileSystem, str]:
    if "://" in f.uri:
        return pafs.FileSystem.from_uri(f.uri)
    return pafs.LocalFileSystem(), f.path


def plan(files: Sequence[InputFile], split_bytes: int = DEFAULT_SPLIT_BYTES) -> list[Split]:
    """Cut files into splits of about ``split_bytes`` (compressed JSONL is one split)."""
    out: list[Split] = []
    for f in files:
        if f.format == "parquet":
            fs, path = _fs(f)
            with fs.open_input_file(path) as fh:
                meta = pq.ParquetFile(fh).metadata
            groups, size, first = meta.num_row_groups, 0, 0
            for g in range(groups):
                size += meta.row_group(g).total_byte_size
                if size >= split_bytes or g == groups - 1:
                    out.append(Split(f, first, g + 1))
                    first, size = g + 1, 0
            if groups == 0:
                out.append(Split(f, 0, 0))
        elif f.path.endswith((".gz", ".bz2", ".zst")) or f.size <= split_bytes:
            out.append(Split(f, 0, max(f.size, 1)))
        else:
            out.extend(Split(f, s, min(s + split_bytes, f.size)) for s in range(0, f.size, split_bytes))
    return out


def _text_or_none(v: object) -> str | None:
    return None if v is None else str(v)


def _jsonl_records(split: Split, stats: ReadStats) -> Iterator[dict[str, object]]:
    f = split.file
    fs, path = _fs(f)
    compression = "detect" if f.path.endswith((".gz", ".bz2", ".zst")) else None
    with fs.open_input_stream(path, compression=compression) as fh:
        pos = 0
        if split.start > 0:  # start at the first line that begins at or after split.start
            fh.read(split.start - 1)
            pos = split.start - 1
            while True:
                b = fh.read(1)
                pos += 1
                if not b or b == b"\n":
                    break
        buf = b""
        while True:
            nl = buf.find(b"\n")
            while nl < 0:
                more = fh.read(1 << 20)
                if not more:
                    break
                buf += more
                nl = buf.find(b"\n")
            if nl < 0 and not buf:
                return
            line, buf = (buf[:nl], buf[nl + 1:]) if nl >= 0 else (buf, b"")
            at = pos
            pos += len(line) + 1
            if compression is None and at >= split.end:
                return
            if not line.strip():
                continue
            try:
                d = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError) as e:
                stats.skipped += 1
                if len(stats.reasons) < 20:
                    stats.reasons.append(f"{f.uri}@{at}: not JSON ({e})")
                continue
            yield _record(d, f, at, stats)


def _record(d: object, f: InputFile, at: int, stats: ReadStats) -> dict[str, object]:
    if not isinstance(d, dict) or not isinstance(d.get("text"), str):
        stats.skipped += 1
        if len(stats.reasons) < 20:
            stats.reasons.append(f"{f.uri}@{at}: no \"text\" string field")
        return {}
    return {"key": (f.index << KEY_SHIFT) | at,
            "id": str(d["id"]) if d.get("id") is not None else f"{f.uri}@{at}",
            "text": d["text"], "title": _text_or_none(d.get("title")),
            "published": _text_or_none(d.get("published")) or None,
            "url": _text_or_none(d.get("url")), "outlet": _text_or_none(d.get("outlet"))}


def _parquet_records(split: Split, stats: ReadStats) -> Iterator[dict[str, object]]:
    f = split.file
    fs, path = _fs(f)
    with fs.open_input_file(path) as fh:
        pf = pq.ParquetFile(fh)
        row = sum(pf.metadata.row_group(g).num_rows for g in range(split.start))
        for g in range(split.start, split.end):
            for d in pf.read_row_group(g).to_pylist():
                rec = _record(d, f, row, stats)
                row += 1
                if rec:
                    yield rec


def read_split(split: Split, stats: ReadStats | None = None) -> pa.Table:
    """The records of one split, as a table with :data:`SCHEMA`."""
    stats = stats if stats is not None else ReadStats()
    gen = _jsonl_records(split, stats) if split.file.format == "jsonl" else _parquet_records(split, stats)
    rows = [r for r in gen if r]
    stats.records += len(rows)
    return pa.Table.from_pylist(rows, schema=SCHEMA)


def read_all(splits: Sequence[Split], stats: ReadStats | None = None) -> Iterator[pa.Table]:
    """Every split's table, in key order (what the local engine reads)."""
    for s in splits:
        yield read_split(s, stats)
