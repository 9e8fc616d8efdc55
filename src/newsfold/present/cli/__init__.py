"""The ``newsfold`` command line: a thin layer over the library.

Each group of commands lives in its own module and registers itself on
:data:`cli`.  Commands build a :class:`~newsfold.store.db.Store`, call the core,
and print; library errors become a clear message and exit code 1, never a
traceback, and SQLite's and the system's errors (a full disk, a damaged or
locked store) one line that says what to do (:mod:`.errors`).
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from .common import cli  # noqa: E402

# command modules register themselves on :data:`cli` when imported
from . import check, dedup, engine, ingest, stories, summaries, web  # noqa: E402,F401


def main() -> None:
    """Run the command; what goes wrong outside it (a full disk, a damaged store) is one line and exit 1."""
    import sys

    import click

    from .errors import explain

    try:
        cli(prog_name="newsfold")
    except RuntimeError as e:  # a part that is not installed (e.g. the torch extra), said plainly
        click.echo(f"Error: {str(e).strip() or type(e).__name__}", err=True)
        sys.exit(1)
    except Exception as e:  # noqa: BLE001 - only SQLite and OS errors are explained; the rest goes on up
        line = explain(e)
        if line is None:
            raise
        click.echo(f"Error: {line}", err=True)
        sys.exit(1)
