"""The one place where errors from SQLite and the operating system become a line a person can act on.

:func:`explain` names what happened and what to do, for the errors no
command can fix on its own: a full disk, a damaged, locked or read-only
store, a file that cannot be opened.  ``main`` prints that line and exits 1,
never a traceback.
"""

from __future__ import annotations

import errno
import sqlite3

DAMAGED = ("the store is damaged ({what}): restore a copy, or run `newsfold check` to see what is wrong")
_SQLITE = {
    "SQLITE_FULL": "the disk holding the store is full ({what}): free some space and run the command again; "
                   "what was stored before is intact",
    "SQLITE_CORRUPT": DAMAGED,
    "SQLITE_NOTADB": "the store is not a newsfold database ({what}): check --db, or restore a copy",
    "SQLITE_BUSY": "the store is locked by another process ({what}): let it finish and run the command again",
    "SQLITE_LOCKED": "the store is locked by another process ({what}): let it finish and run the command again",
    "SQLITE_READONLY": "the store cannot be written ({what}): check the permissions of the file and its folder",
    "SQLITE_CANTOPEN": "the store cannot be opened ({what}): check --db and the permissions of its folder",
    "SQLITE_IOERR": "the disk failed while reading or writing the store ({what}): check the disk, then run "
                    "`newsfold check`",
    "SQLITE_PERM": "the store cannot be written ({what}): check the permissions of the file and its folder",
}
# for errors that carry no code (or older Pythons): the code SQLite's message stands for
_MESSAGES = [("disk is full", "SQLITE_FULL"), ("malformed", "SQLITE_CORRUPT"), ("not a database", "SQLITE_NOTADB"),
             ("is locked", "SQLITE_BUSY"), ("readonly", "SQLITE_READONLY"), ("unable to open", "SQLITE_CANTOPEN"),
             ("disk i/o error", "SQLITE_IOERR")]
_OS = {errno.ENOSPC: "no space left on the disk{where}: free some space and run the command again",
       errno.EDQUOT: "disk quota exceeded{where}: free some space and run the command again",
       errno.EACCES: "permission denied{where}: check the permissions",
       errno.EPERM: "operation not permitted{where}: check the permissions",
       errno.EROFS: "the file system is read-only{where}: write the store elsewhere (--db)",
       errno.EIO: "the disk failed{where}: check it, then run `newsfold check`"}


def explain(e: BaseException) -> str | None:
    """One line saying what went wrong and what to do, for a SQLite or OS error; None for anything else."""
    if isinstance(e, sqlite3.Error):
        what = str(e) or type(e).__name__
        code = getattr(e, "sqlite_errorname", None)
        base = code.split("_")[0:2] if code else None
        key = "_".join(base) if base else None
        if key not in _SQLITE:
            key = next((k for m, k in _MESSAGES if m in what.lower()), None)
        if key is None:
            return f"the store reported an error ({what}): run `newsfold check`; if it says ok, please report this"
        return _SQLITE[key].format(what=what)
    if isinstance(e, OSError):
        where = f" ({e.filename})" if e.filename else ""
        if e.errno in _OS:
            return _OS[e.errno].format(where=where)
        return f"{e.strerror or str(e).strip() or type(e).__name__}{where}"
    return None


def damaged(e: BaseException | None) -> str | None:
    """The line for a damaged store when ``e`` says its file is corrupt (not merely some other kind of file)."""
    if not isinstance(e, sqlite3.DatabaseError):
        return None
    corrupt = (getattr(e, "sqlite_errorname", None) or "").startswith("SQLITE_CORRUPT") or "malformed" in str(e)
    return explain(e) if corrupt else None
