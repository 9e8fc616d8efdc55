"""The ``newsfold`` command line: a thin layer over the library.

Each group of commands lives in its own module and registers itself on
:data:`cli`.  Commands build a :class:`~newsfold.store.db.Store`, call the core,
and print; library errors become a clear message and exit code 1, never a
traceback.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from .common import cli  # noqa: E402

# command modules register themselves on :data:`cli` when imported
from . import dedup, engine, ingest, stories, summaries, web  # noqa: E402,F401


def main() -> None:
    try:
        cli(prog_name="newsfold")
    except RuntimeError as e:  # a part that is not installed (e.g. the torch extra), said plainly
        import sys

        import click

        click.echo(f"Error: {e}", err=True)
        sys.exit(1)
