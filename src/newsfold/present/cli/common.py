"""Shared pieces of the CLI: the root group, --db/--json/--quiet, the writer lock, output.

Output: every command prints through :func:`echo`, :func:`print_table` and
:func:`echo_json`, never ``click.echo``/``print`` of stored text directly.
Article text (titles, outlets, ids, file names) comes from anyone, so
:func:`echo` drops the characters a terminal acts on (C0 controls except
newline and tab, DEL, C1 controls, bidi overrides and isolates), tables
put cells in as plain ``rich.text.Text`` (never parsed as Rich markup), and
JSON writes those characters as ``\\uXXXX`` escapes (the same JSON value).
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from ...store.lock import writer_lock
from ...dedup.lsh import check_threshold
from ...models import to_jsonable
from ...store.db import Store, StoreError, default_path

F = TypeVar("F", bound=Callable[..., Any])


class Context:
    """What every command gets: where the database is, how loud to be."""

    def __init__(self, db: str | None, quiet: bool) -> None:
        self.db = db or default_path()
        self.quiet = quiet
        self._store: Store | None = None

    def store(self, *, write: bool = False, create: bool = False) -> Store:
        """The store; ``write=True`` first takes its writer lock for the rest of the command.

        Only a command that adds articles (``create=True``) makes a new store: any other command on a
        missing one says so, with what to do next, and leaves nothing behind.
        """
        if not create and self._store is None:
            self.require_store()
        if write:
            self.hold_writer_lock(self.db)
        if self._store is None:
            try:
                self._store = Store(self.db)
            except StoreError as e:
                from .errors import damaged

                raise click.ClickException(damaged(e.__cause__) or str(e)) from e
        return self._store

    def require_store(self) -> None:
        """Raise a usage message when the store does not exist (nothing is created)."""
        if self.db != ":memory:" and not Path(self.db).exists():
            raise click.ClickException(missing_store(self.db))

    def hold_writer_lock(self, db_path: str) -> None:
        """Hold the writer lock of ``db_path`` until the command ends (one writer per store, CLI and web alike).

        When another writer holds it, says so once on stderr and waits.
        """
        def waiting(message: str) -> None:
            if not self.quiet:
                echo(f"newsfold: {message} …", err=True)

        try:
            click.get_current_context().with_resource(writer_lock(db_path, on_wait=waiting))
        except StoreError as e:
            raise click.ClickException(str(e)) from e

    @property
    def interactive(self) -> bool:
        return not self.quiet and sys.stderr.isatty()


pass_ctx = click.make_pass_decorator(Context)


def missing_store(db: str) -> str:
    """What to say when a command reads a store that does not exist."""
    db_flag = "" if db == default_path() else f" --db {db}"
    return (f"no store at {db}. Create it with `newsfold{db_flag} add PATH...` (the bundled articles: "
            f"`newsfold{db_flag} add examples/`), or name an existing store with --db PATH or $NEWSFOLD_DB")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", envvar="NEWSFOLD_DB", default=None, metavar="PATH",
              help="SQLite database (default ./newsfold.db or $NEWSFOLD_DB).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars or chatter on stderr.")
@click.version_option(package_name="newsfold")
@click.pass_context
def cli(ctx: click.Context, db: str | None, quiet: bool) -> None:
    """newsfold: fold a pile or a stream of news articles into cited stories."""
    ctx.obj = Context(db, quiet)


def db_option(f: F) -> F:
    """``--db`` on a subcommand too, so it can follow the command name."""

    def callback(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
        if value:
            ctx.find_object(Context).db = value

    return click.option("--db", default=None, metavar="PATH", expose_value=False, callback=callback,
                        help="SQLite database (default ./newsfold.db or $NEWSFOLD_DB).")(f)


# the largest count or offset a listing takes: SQLite's integers are 64-bit
MAX_COUNT = 2 ** 62
COUNT = click.IntRange(0, MAX_COUNT)
PAGE = click.IntRange(1, 100_000)  # as the web's ?page=


def output_callback(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Click callback for ``-o PATH``: ``-`` (or none) is stdout; a path must be a file that can be written,
    in a folder that exists (checked before any work)."""
    if value is None or value == "-":
        return None
    path = Path(value)
    if path.is_dir():
        raise click.BadParameter(f"{value} is a folder; name a file in it", param=param)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise click.BadParameter(f"the folder {folder} does not exist; create it or write elsewhere", param=param)
    if not os.access(path if path.exists() else folder, os.W_OK):
        raise click.BadParameter(f"{value} cannot be written here (permission denied)", param=param)
    return value


def share_callback(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    """Click callback for a share in (0, 1] (``--threshold``, ``--containment``)."""
    if value is None:
        return None
    try:
        return check_threshold(param.name or "value", value)
    except ValueError as e:
        raise click.BadParameter(f"{e}; try 0.8") from None


@cli.group(name="eval")
def eval_group() -> None:
    """Measure quality on labelled data (stories, summaries, …)."""


def json_option(f: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(f)


def format_option(f: F) -> F:
    """``--format table|csv|jsonl``: a listing as rows for a spreadsheet or a data frame (``--json`` stays the API's
    document)."""
    return click.option("--format", "fmt", type=click.Choice(["table", "csv", "jsonl"]), default="table",
                        show_default=True, help="csv: one row per item with a header; jsonl: one JSON object a line.")(f)


def echo_rows(rows: list[dict[str, Any]], fmt: str) -> None:
    """Rows as CSV (lists joined by "; ") or JSON lines on stdout; cells lose the characters a terminal acts on."""
    if fmt == "jsonl":
        for r in rows:
            click.echo(json_text(json.dumps(to_jsonable(r), ensure_ascii=False, default=str)))
        return
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    if rows:
        w.writerow(list(rows[0]))
    for r in rows:
        w.writerow([clean("; ".join(map(str, v)) if isinstance(v, list) else "" if v is None else v)
                    for v in r.values()])
    click.echo(buf.getvalue(), nl=False)


# what a terminal may act on: C0 controls but newline and tab, DEL, C1 controls, bidi embeddings,
# overrides and isolates (U+202A-U+202E, U+2066-U+2069)
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# json.dumps escapes C0 itself; these it writes raw when ensure_ascii=False (also U+2028/9, odd in JS)
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def clean(text: object) -> str:
    """``text`` as a string without the characters a terminal would act on."""
    return _UNSAFE.sub("", text if isinstance(text, str) else str(text))


def echo(message: object = "", *, err: bool = False, nl: bool = True, bold: bool = False) -> None:
    """Print a line that may hold stored text: control and bidi characters dropped first."""
    text = clean(message)
    click.echo(click.style(text, bold=True) if bold else text, err=err, nl=nl)


def print_table(headers: tuple[str, ...], rows: list[tuple[object, ...]]) -> None:
    """A borderless table on stdout; cells are plain text (never Rich markup) with controls dropped."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    t = Table(*headers, box=None)
    for row in rows:
        t.add_row(*(Text(clean(v)) for v in row))
    Console().print(t)


def json_text(text: str) -> str:
    """JSON text with the characters json.dumps leaves raw (C1, bidi controls) written as \\u escapes."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def echo_json(obj: Any) -> None:
    click.echo(json_text(json.dumps(to_jsonable(obj), ensure_ascii=False, indent=2, default=str)))


@contextmanager
def progress_bar(ctx: Context, description: str, total: int | None = None) -> Iterator[Callable[..., None]]:
    """Yield ``advance(n=1, total=None, description=None)``; silent when not a terminal."""
    if not ctx.interactive:
        yield lambda *a, **k: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
    from rich.console import Console

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=Console(stderr=True), transient=True) as prog:
        task = prog.add_task(description, total=total)

        def advance(n: int = 1, total: int | None = None, description: str | None = None) -> None:
            kw: dict[str, Any] = {}
            if total is not None:
                kw["total"] = total
            if description is not None:
                kw["description"] = description
            prog.update(task, advance=n, **kw)

        yield advance


ENCODER_CHOICE = click.Choice(["minilm", "static", "none", "minilm-torch"])
ENCODER_HELP = ("Dense representation: minilm (all-MiniLM-L6-v2 on ONNX Runtime, int8: most accurate), "
                "static (model2vec distilled from it: fastest), none (terms only), "
                "minilm-torch (the torch reference; needs newsfold[torch]).")


PLAIN_EVERY_S = 5.0


def plain_progress(ctx: Context, every: float = PLAIN_EVERY_S) -> Callable[[str, int, int], None]:
    """Progress as plain lines on stderr, at most one every ``every`` seconds: for a log, nohup or cron, where a
    bar would print nothing (and a short run prints no progress at all)."""
    import time

    last = [time.monotonic()]

    def fn(stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if ctx.quiet or now - last[0] < every:
            return
        last[0] = now
        echo(f"newsfold: {stage} {done}/{total}" if total else f"newsfold: {stage} {done}", err=True)

    return fn


def stage_progress(ctx: Context) -> Callable[[str, int, int], None]:
    """A ``ProgressFn`` for stages: one rich bar per stage on a terminal, else plain lines every few seconds."""
    if not ctx.interactive:
        return plain_progress(ctx)
    from rich.console import Console
    from rich.progress import Progress

    state: dict[str, Any] = {}

    def fn(stage: str, done: int, total: int) -> None:
        if "prog" not in state:
            state["prog"] = Progress(console=Console(stderr=True), transient=True)
            state["prog"].start()
            state["tasks"] = {}
        prog = state["prog"]
        if stage not in state["tasks"]:
            state["tasks"][stage] = prog.add_task(stage, total=total)
        prog.update(state["tasks"][stage], completed=done, total=total)
        if all(t.finished for t in prog.tasks):
            prog.stop()
            state.clear()

    return fn
