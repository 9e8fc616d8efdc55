"""Inputs cut into splits that tasks read in parallel: what ``newsfold add`` reads, for the batch engines.

Every format ``add`` reads (txt/md, HTML, JSON/JSONL/CSV, WARC, feeds;
files, directories, globs) is read by the library's own readers
(:mod:`newsfold.read`), and every record goes record → ``RawDocument`` →
:class:`~newsfold.clean.Cleaner` → the :class:`~newsfold.ingest.Ingester`,
so a batch gives the ids and the cleaning ``add`` gives.  What is the
engine's own:

* **splits**: an uncompressed JSONL file is cut into byte ranges (cut at
  line starts; each range knows the number of its first line, so records
  keep the ``path:line`` refs ``add`` gives them), a Parquet file into runs
  of row groups (``add`` does not read Parquet; its rows are records), any
  other file is one split;
* **ingest**: splits are read and cleaned in any order (in parallel on Ray),
  then handed to the Ingester in input order, which decides ids (conflicts,
  repeats) and strips learned boilerplate exactly as ``add`` does, and
  stores them.  An article's integer key is its ``seq`` in the store: the
  input order, the same on every engine.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from ..clean import Cleaner, CleanOutcome
from ..ingest import Ingester, IngestReport
from ..models import RawDocument
from ..store.db import Store
from . import InputPath, expand_inputs, read_path
from .records import read_jsonl_stream, record_to_raw

DEFAULT_SPLIT_BYTES = 64 << 20


class InputError(ValueError):
    """An input path that cannot be read, with what to do about it."""


@dataclass(frozen=True)
class Split:
    """A piece of one input file that one task reads: all of it (``file``), a byte range of a JSONL
    file (``jsonl``; ``line`` is the number of its first line) or row groups of a Parquet file."""

    path: InputPath
    kind: str  # "file" | "jsonl" | "parquet"
    start: int = 0
    end: int = 0
    line: int = 1


def _is_jsonl(path: str) -> bool:
    return path.lower().endswith((".jsonl", ".ndjson"))


def _is_parquet(path: str) -> bool:
    return path.lower().endswith((".parquet", ".pq"))


def expand(inputs: Sequence[str]) -> list[InputPath]:
    """The input files named by ``inputs`` (files, directories, globs), in ``add``'s order."""
    for raw in inputs:
        if "://" in raw:
            raise InputError(f"{raw}: batch inputs are local or mounted paths; copy the files here or mount "
                             "the bucket.")
        if not os.path.lexists(raw) and not any(c in raw for c in "*?["):
            raise InputError(f"{raw}: no such file or directory. Check the path.")
    files = list(expand_inputs(inputs))
    if not files or all(not os.path.lexists(f.path) for f in files):
        raise InputError(f"no input files in {', '.join(inputs)}.")
    return files


def _newlines_before(path: str, offsets: Sequence[int]) -> list[int]:
    """The number of newlines in ``path`` before each of the ascending ``offsets``."""
    out, count, pos = [], 0, 0
    with open(path, "rb") as fh:
        for off in offsets:
            while pos < off:
                chunk = fh.read(min(1 << 20, off - pos))
                if not chunk:
                    break
                count += chunk.count(b"\n")
                pos += len(chunk)
            out.append(count)
    return out


def plan(files: Sequence[InputPath], split_bytes: int = DEFAULT_SPLIT_BYTES) -> list[Split]:
    """Cut ``files`` into splits of about ``split_bytes`` (in input order)."""
    out: list[Split] = []
    for f in files:
        if f.error or not os.path.isfile(f.path):
            out.append(Split(f, "file"))
        elif _is_jsonl(f.path):
            size = os.path.getsize(f.path)
            starts = list(range(0, max(size, 1), split_bytes))
            # a range begins at the first line that starts at or after its offset
            lines = _newlines_before(f.path, [max(s - 1, 0) for s in starts])
            for s, n in zip(starts, lines):
                out.append(Split(f, "jsonl", s, min(s + split_bytes, size), n + 1 + (s > 0)))
        elif _is_parquet(f.path):
            import pyarrow.parquet as pq

            meta = pq.ParquetFile(f.path).metadata
            first, size, row = 0, 0, 0
            for g in range(meta.num_row_groups):
                size += meta.row_group(g).total_byte_size
                if size >= split_bytes or g == meta.num_row_groups - 1:
                    out.append(Split(f, "parquet", first, g + 1, row))
                    row += sum(meta.row_group(i).num_rows for i in range(first, g + 1))
                    first, size = g + 1, 0
        else:
            out.append(Split(f, "file"))
    return out


class _Range:
    """The lines of a file that start in ``[start, end)``, as a stream (``readline`` only)."""

    def __init__(self, path: str, start: int, end: int) -> None:
        self.fh = open(path, "rb")
        self.end = end
        self.pos = start
        if start > 0:  # to the first line that starts at or after ``start``
            self.fh.seek(start - 1)
            self.pos = start - 1 + len(self.fh.readline())
        self.fh.seek(self.pos)
        self.at_start = True

    def readline(self, limit: int = -1) -> bytes:
        if self.at_start and self.pos >= self.end:
            return b""
        line = self.fh.readline(limit)
        self.pos += len(line)
        self.at_start = line.endswith(b"\n")
        return line

    def close(self) -> None:
        self.fh.close()


def _renumber(raw: RawDocument, path: str, first: int) -> RawDocument:
    """A record of a range read as if the file were read whole: its ref and message name its line."""
    local = int(raw.ref.rsplit(":", 1)[1])
    line = local + first - 1
    raw.ref = f"{path}:{line}"
    if raw.error and raw.error.startswith(f"line {local}"):
        raw.error = f"line {line}" + raw.error[len(f"line {local}"):]
    return raw


def read_split(split: Split) -> Iterator[RawDocument]:
    """The documents of one split, as the library's readers give them (rejections included)."""
    f = split.path
    if split.kind == "file":
        yield from read_path(f)
    elif split.kind == "jsonl":
        stream = _Range(f.path, split.start, split.end)
        try:
            for raw in read_jsonl_stream(stream, ref=f.path):  # type: ignore[arg-type]
                yield _renumber(raw, f.path, split.line)
        finally:
            stream.close()
    else:
        import pyarrow.parquet as pq

        row = split.line
        pf = pq.ParquetFile(f.path)
        for g in range(split.start, split.end):
            for rec in pf.read_row_group(g).to_pylist():
                yield record_to_raw(rec, f"{f.path}#{row}")
                row += 1


def clean_split(split: Split) -> list[tuple[RawDocument, CleanOutcome]]:
    """Every document of ``split`` with what the cleaner made of it (the work a Ray task does)."""
    cleaner = Cleaner()
    out = []
    for raw in read_split(split):
        try:
            outcome = cleaner.clean(raw)
        except Exception as e:  # noqa: BLE001 - as the Ingester words it: one document, never the run
            outcome = CleanOutcome(error=f"internal error while cleaning ({type(e).__name__}: {e}); please report")
        out.append((RawDocument(ref=raw.ref, error=raw.error), outcome))
    return out


class _Cleaned:
    """A cleaner that hands the Ingester the outcomes computed earlier (by the tasks)."""

    def __init__(self) -> None:
        self.outcomes: dict[int, CleanOutcome] = {}

    def clean(self, raw: RawDocument) -> CleanOutcome:
        return self.outcomes.pop(id(raw))


def ingest(store: Store, splits: Sequence[Split],
           cleaned: Callable[[Sequence[Split]], Iterable[list[tuple[RawDocument, CleanOutcome]]]] | None = None,
           on_split: Callable[[int, int], None] | None = None) -> IngestReport:
    """Store every document of ``splits`` through the Ingester, in input order.

    ``cleaned`` gives each split's cleaned documents in split order (the
    Ray engine's tasks); without it the Ingester cleans them here.
    """
    if cleaned is None:
        ingester = Ingester(store)

        def docs() -> Iterator[RawDocument]:
            for i, s in enumerate(splits):
                yield from read_split(s)
                if on_split:
                    on_split(i + 1, len(splits))

        return ingester.ingest_documents(docs())
    pre = _Cleaned()
    ingester = Ingester(store, cleaner=pre)  # type: ignore[arg-type]

    def pairs() -> Iterator[RawDocument]:
        for i, rows in enumerate(cleaned(splits)):
            for raw, outcome in rows:
                pre.outcomes[id(raw)] = outcome
                yield raw
            if on_split:
                on_split(i + 1, len(splits))

    return ingester.ingest_documents(pairs())


def skip_reasons(report: IngestReport, n: int = 5) -> list[str]:
    """The first ``n`` rejections, as ``ref: reason``."""
    return [f"{e.ref}: {e.reason}" for e in report.rejections[:n]]
