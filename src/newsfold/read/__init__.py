"""Readers: turn paths, globs, directories and stdin into :class:`RawDocument`.

Every input unit (a file, a JSONL line, a WARC record, a feed entry) yields
exactly one RawDocument; a unit that cannot be used yields one with
``error`` set, so the ledger can account for it.  Nothing is dropped
silently.
"""

from __future__ import annotations

import glob
import os
import stat
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..models import RawDocument, storable_text
from .decode import MAX_BYTES
from .feed import read_feed, looks_like_feed
from .html import read_html_file
from .records import read_csv, read_json, read_jsonl, read_jsonl_stream
from .text import read_text_file
from .warc import read_warc

__all__ = ["iter_documents", "expand_inputs", "read_path", "InputPath", "MAX_BYTES"]

TEXT_EXT = {".txt", ".md", ".markdown", ".text"}
HTML_EXT = {".html", ".htm", ".xhtml"}
FEED_EXT = {".rss", ".atom", ".xml"}
SKIP_NAMES = {"README.md", "README.txt", "LICENSE", "LICENSE.txt"}
_KINDS = [(stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISDIR, "a directory")]


@dataclass(frozen=True)
class InputPath:
    """One input file: the path to open, its path relative to the input root it was found under, and,
    when it must not be opened, why."""

    path: str
    rel: str
    error: str | None = None


def expand_inputs(inputs: Iterable[str], *, follow_symlinks: bool = False) -> Iterator[InputPath]:
    """Paths, globs and directories (recursive) → input files, in sorted order.

    ``-`` passes through (stdin).  A path that matches nothing is passed on
    so that the ledger can say it does not exist; so are FIFOs, sockets,
    devices and broken links found in a folder (``read_path`` rejects them
    without opening them).  The input root of a folder is the folder, of a
    glob the folder before its first wildcard, of a file the current folder
    (a file outside it is known by its name).  A file under a root whose real
    path lies outside it (a link on the file, or on a folder a glob or walk
    went through) is not read (an entry says so) unless ``follow_symlinks``;
    a file named on its own is read wherever it points.
    """
    for item in inputs:
        if item == "-":
            yield InputPath(item, item)
            continue
        p = Path(item)
        if p.is_dir():
            yield from _walk(p, p, follow_symlinks, set())
        elif p.exists() or p.is_symlink():
            yield InputPath(str(p), _rel(p, Path(".")))
        elif any(ch in item for ch in "*?["):
            matches = sorted(glob.glob(item, recursive=True))
            root = Path(os.path.dirname(item[: min(item.index(ch) for ch in "*?[" if ch in item)]) or ".")
            for m in matches:
                if not Path(m).is_dir():
                    yield _checked(Path(m), root, follow_symlinks)
            if not matches:
                yield InputPath(item, item)
        else:
            yield InputPath(item, item)


def _rel(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` (its name when it is not under it), with forward slashes."""
    rel = os.path.relpath(path, root)
    return path.name if rel == ".." or rel.startswith("../") or os.path.isabs(rel) else Path(rel).as_posix()


def _checked(path: Path, root: Path, follow_symlinks: bool) -> InputPath:
    """``path`` found under ``root``: a broken link, or a file whose real path lies outside the root (a link
    on the file, or on a folder on the way to it), carries its reason."""
    rel = _rel(path, root)
    if path.is_symlink() and not path.exists():
        return InputPath(str(path), rel, "broken symbolic link: its target does not exist")
    if not follow_symlinks and not Path(os.path.realpath(path)).is_relative_to(os.path.realpath(root)):
        what = "symbolic link to a file" if path.is_symlink() else "file reached through a symbolic link to a folder"
        return InputPath(str(path), rel, f"{what} outside the input folder: not followed "
                                         "(add --follow-symlinks to read it)")
    return InputPath(str(path), rel)


def _walk(folder: Path, root: Path, follow_symlinks: bool, seen: set[str]) -> Iterator[InputPath]:
    real = os.path.realpath(folder)
    if real in seen:  # a link loop
        return
    seen.add(real)
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as e:
        yield InputPath(str(folder), _rel(folder, root), f"cannot read folder: {e.strerror}")
        return
    for e in entries:
        if e.name.startswith(".") or e.name in SKIP_NAMES:
            continue
        path = Path(e.path)
        if e.is_dir(follow_symlinks=False):
            yield from _walk(path, root, follow_symlinks, seen)
        elif e.is_symlink() and path.is_dir():
            # a linked folder inside the root is read under its own path; one outside only when asked
            if follow_symlinks:
                yield from _walk(path, root, follow_symlinks, seen)
            elif not Path(os.path.realpath(path)).is_relative_to(os.path.realpath(root)):
                yield InputPath(str(path), _rel(path, root), "symbolic link to a folder outside the input folder: "
                                                             "not followed (add --follow-symlinks to read it)")
        else:
            yield _checked(path, root, follow_symlinks)


def _not_regular(path: str) -> str | None:
    """Why ``path`` is not a regular file to read (never opens it: opening a FIFO would block)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "broken symbolic link: its target does not exist" if os.path.islink(path) else \
            "no such file or directory"
    except OSError as e:
        return f"cannot read file: {e.strerror}"
    if stat.S_ISREG(mode):
        return None
    kind = next((what for test, what in _KINDS if test(mode)), "an unknown kind of file")
    return f"not a regular file: {kind}"


def read_path(path: str | InputPath, *, max_bytes: int = MAX_BYTES) -> Iterator[RawDocument]:
    """Read one file by its kind (extension, then content sniffing).

    Whatever goes wrong, the file's documents read so far stand and one
    rejected document says why the rest could not be read.
    """
    inp = path if isinstance(path, InputPath) else InputPath(path, path)
    if inp.error:
        yield RawDocument(ref=inp.path, error=inp.error)
        return
    n = 0
    origin = storable_text(os.path.realpath(inp.path)) if inp.path != "-" else ""
    try:
        for n, doc in enumerate(_read(inp.path, max_bytes), start=1):
            doc.origin = doc.origin or origin
            yield doc
    except Exception as e:  # noqa: BLE001 - a reader's bug must not take the batch down
        where = "the file" if n == 0 else f"the rest of the file after {n} documents"
        yield RawDocument(ref=inp.path, error=f"could not read {where} ({type(e).__name__}: {e})")


def _read(path: str, max_bytes: int) -> Iterator[RawDocument]:
    if path == "-":
        yield from read_jsonl_stream(sys.stdin.buffer, ref="<stdin>", max_bytes=max_bytes)
        return
    problem = _not_regular(path)
    if problem:
        yield RawDocument(ref=path, error=problem)
        return
    name = path.lower()
    ext = Path(name).suffix
    if name.endswith((".warc", ".warc.gz", ".arc.gz")):
        yield from read_warc(path, max_bytes=max_bytes)
    elif ext == ".jsonl" or name.endswith(".jsonl.gz") or ext == ".ndjson":
        yield from read_jsonl(path, max_bytes=max_bytes)
    elif ext == ".json":
        yield from read_json(path, max_bytes=max_bytes)
    elif ext == ".csv":
        yield from read_csv(path, max_bytes=max_bytes)
    elif ext in HTML_EXT:
        yield read_html_file(path, max_bytes=max_bytes)
    elif ext in FEED_EXT or (ext not in TEXT_EXT and looks_like_feed(path)):
        yield from read_feed(path, max_bytes=max_bytes)
    else:
        yield read_text_file(path, max_bytes=max_bytes)


def iter_documents(inputs: Iterable[str], *, max_bytes: int = MAX_BYTES,
                   follow_symlinks: bool = False) -> Iterator[RawDocument]:
    for inp in expand_inputs(inputs, follow_symlinks=follow_symlinks):
        yield from read_path(inp, max_bytes=max_bytes)
