"""One writer per store at a time, across processes: the writer lock.

Every entry point that writes a store (the CLI's writing commands, the web
app's ingest worker, the library's pipeline) holds :func:`writer_lock` for
the whole of its work, so two runs queue instead of interleaving their
stages (two ``add`` at once would otherwise both pick the next story id).
Readers never take it: in WAL mode they read the last commit while the one
writer works.

The lock is ``flock`` on ``<database>-writer.lock`` beside the database.
The kernel releases it when its holder's process ends, however it ends
(``kill -9`` included), so a crash never leaves a stale lock; the file
itself stays and is reused.  The holder writes its pid and command line
into the file, for the message a waiting writer prints.

Within one process the lock is re-entrant (a CLI command that holds it can
call the pipeline, which takes it again); other threads of the process wait
for it as other processes do.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)

SUFFIX = "-writer.lock"

WaitFn = Callable[[str], None]


class _Held:
    """This process's hold on one lock file: a thread lock, a depth, the locked descriptor."""

    def __init__(self) -> None:
        self.thread_lock = threading.RLock()
        self.depth = 0
        self.fd: int | None = None


_held: dict[str, _Held] = {}
_held_guard = threading.Lock()


def lock_path(db_path: str | os.PathLike[str]) -> str | None:
    """The lock file of the store at ``db_path``; None for an in-memory store (nobody else can write it)."""
    path = os.fspath(db_path)
    if path in ("", ":memory:") or path.startswith("file:"):
        return None
    return os.path.realpath(path) + SUFFIX


def _log_wait(message: str) -> None:
    log.warning("%s", message)


@contextmanager
def writer_lock(db_path: str | os.PathLike[str], on_wait: WaitFn | None = None) -> Iterator[None]:
    """Hold the writer lock of the store at ``db_path`` for the ``with`` block.

    Returns at once when no other writer holds it; otherwise calls
    ``on_wait(message)`` once (default: a logged warning) and blocks until
    the other writer is done.
    """
    path = lock_path(db_path)
    if path is None:
        yield
        return
    with _held_guard:
        held = _held.setdefault(path, _Held())
    told = False

    def wait(message: str) -> None:
        nonlocal told
        if not told:
            told = True
            (on_wait or _log_wait)(message)

    if not held.thread_lock.acquire(blocking=False):
        wait(f"another writer in this process is using {_db_name(path)}; waiting for it to finish")
        held.thread_lock.acquire()
    try:
        if held.depth == 0:
            held.fd = _lock_file(path, wait)
        held.depth += 1
        try:
            yield
        finally:
            held.depth -= 1
            if held.depth == 0 and held.fd is not None:
                os.close(held.fd)  # closing the only descriptor releases the flock
                held.fd = None
    finally:
        held.thread_lock.release()


def _lock_file(path: str, wait: WaitFn) -> int:
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as e:
        from .db import StoreError

        raise StoreError(f"cannot open the writer lock {path}: {e.strerror or e}. "
                         f"The folder of the database must be writable.") from e
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            for _ in range(40):  # the holder writes its name just after taking the lock: give it a moment
                if holder:
                    break
                time.sleep(0.025)
                holder = _holder(fd)
            wait(f"another newsfold writer{f' ({holder})' if holder else ''} is using {_db_name(path)}; "
                 f"waiting for it to finish")
            fcntl.flock(fd, fcntl.LOCK_EX)
        _write_holder(fd)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _db_name(path: str) -> str:
    return path[: -len(SUFFIX)]


def _holder(fd: int) -> str:
    try:
        return os.pread(fd, 300, 0).decode("utf-8", "replace").strip()
    except OSError:
        return ""


def _write_holder(fd: int) -> None:
    """Record who holds the lock, for the message a waiting writer prints (best effort)."""
    argv = list(sys.argv[:4])
    if argv:  # the program's name: `newsfold` for both the script and `python -m newsfold`
        head, name = os.path.split(argv[0])
        argv[0] = os.path.basename(head) if name == "__main__.py" else name
    cmd = " ".join(argv)
    text = f"pid {os.getpid()}" + (f": {cmd}" if cmd else "")
    text = "".join(c if c.isprintable() else "?" for c in text)[:200]
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, text.encode("utf-8", "replace") + b"\n", 0)
    except OSError:
        pass
