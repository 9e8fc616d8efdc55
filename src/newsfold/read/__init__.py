"""Readers: turn paths, globs, directories and stdin into :class:`RawDocument`.

Every input unit (a file, a JSONL line, a WARC record, a feed entry) yields
exactly one RawDocument; a unit that cannot be used yields one with
``error`` set, so the ledger can account for it.  Nothing is dropped
silently.
"""

from __future__ import annotations

import glob
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..models import RawDocument
from .decode import MAX_BYTES
from .feed import read_feed, looks_like_feed
from .html import read_html_file
from .records import read_csv, read_json, read_jsonl, read_jsonl_stream
from .text import read_text_file
from .warc import read_warc

__all__ = ["iter_documents", "expand_inputs", "read_path", "MAX_BYTES"]

TEXT_EXT = {".txt", ".md", ".markdown", ".text"}
HTML_EXT = {".html", ".htm", ".xhtml"}
FEED_EXT = {".rss", ".atom", ".xml"}
SKIP_NAMES = {"README.md", "README.txt", "LICENSE", "LICENSE.txt"}


def expand_inputs(inputs: Iterable[str]) -> Iterator[str]:
    """Paths, globs and directories (recursive) → file paths, in sorted order.

    ``-`` passes through (stdin).  A path that matches nothing is passed on
    so that the ledger can say it does not exist.
    """
    for item in inputs:
        if item == "-":
            yield item
            continue
        p = Path(item)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and not f.name.startswith(".") and f.name not in SKIP_NAMES:
                    yield str(f)
        elif p.exists():
            yield str(p)
        elif any(ch in item for ch in "*?["):
            matches = sorted(glob.glob(item, recursive=True))
            for m in matches:
                if Path(m).is_file():
                    yield m
            if not matches:
                yield item
        else:
            yield item


def read_path(path: str, *, max_bytes: int = MAX_BYTES) -> Iterator[RawDocument]:
    """Read one file by its kind (extension, then content sniffing)."""
    if path == "-":
        yield from read_jsonl_stream(sys.stdin.buffer, ref="<stdin>")
        return
    if not os.path.exists(path):
        yield RawDocument(ref=path, error="no such file or directory")
        return
    name = path.lower()
    ext = Path(name).suffix
    if name.endswith((".warc", ".warc.gz", ".arc.gz")):
        yield from read_warc(path)
    elif ext == ".jsonl" or name.endswith(".jsonl.gz") or ext == ".ndjson":
        yield from read_jsonl(path)
    elif ext == ".json":
        yield from read_json(path, max_bytes=max_bytes)
    elif ext == ".csv":
        yield from read_csv(path)
    elif ext in HTML_EXT:
        yield read_html_file(path, max_bytes=max_bytes)
    elif ext in FEED_EXT or (ext not in TEXT_EXT and looks_like_feed(path)):
        yield from read_feed(path, max_bytes=max_bytes)
    else:
        yield read_text_file(path, max_bytes=max_bytes)


def iter_documents(inputs: Iterable[str], *, max_bytes: int = MAX_BYTES) -> Iterator[RawDocument]:
    for path in expand_inputs(inputs):
        yield from read_path(path, max_bytes=max_bytes)
