"""``newsfold batch``: batch stages over input files, on the local or the Ray engine.

    newsfold batch dedup crawl/*.jsonl --db out.db
    newsfold batch dedup s3://bucket/crawl/ --engine ray --ray-address ray://head:10001 --out groups/
    newsfold batch fold crawl/ --engine ray --encoder static --out stories/

The engine decides where the work runs; the result is the same.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

import click

from ...dedup.config import DEFAULT_CONTAINMENT, DEFAULT_THRESHOLD, DedupConfig
from ...engine import ENGINES
from ...text import plural
from .common import (ENCODER_CHOICE, ENCODER_HELP, Context, cli, db_option, echo_json, share_callback, json_option,
                     pass_ctx, stage_progress)

F = TypeVar("F", bound=Callable[..., Any])


def _engine_module() -> Any:
    """``newsfold.engine``, imported on use: it needs pyarrow, which plain newsfold does not."""
    try:
        from ... import engine
    except ModuleNotFoundError as e:
        raise click.ClickException(f"batch commands need {e.name}: pip install 'newsfold[ray]'") from None
    return engine


def engine_options(f: F) -> F:
    """``--engine``, ``--ray-address`` and ``--partitions``, for any batch command."""
    f = click.option("--partitions", type=click.IntRange(1), default=None,
                     help="Hash partitions per shuffle on Ray (default: twice the cluster's CPUs).")(f)
    f = click.option("--ray-address", default=None, envvar="RAY_ADDRESS", metavar="ADDRESS",
                     help="Ray cluster to use (ray://HOST:10001, or HOST:6379 from a cluster node); "
                          "default: start a local Ray.")(f)
    return click.option("--engine", "engine_name", type=click.Choice(ENGINES), default="local", show_default=True,
                        help="Where the work runs: this process, or a Ray cluster.")(f)


def batch_options(f: F) -> F:
    """What every batch command takes: the engine options, ``--db`` and ``--json``, and the context."""
    return engine_options(db_option(json_option(pass_ctx(f))))


def make_engine(ctx: Context, name: str, address: str | None, partitions: int | None) -> Any:
    eng = _engine_module()
    if name == "local":
        return eng.get_engine("local")
    if ctx.quiet or not ctx.interactive:
        logging.getLogger("ray").setLevel(logging.WARNING)
    try:
        return eng.get_engine("ray", address=address, partitions=partitions, show_progress=ctx.interactive)
    except eng.EngineError as e:
        raise click.ClickException(str(e)) from None



@cli.group()
def batch() -> None:
    """Batch stages over input files: what `add` reads (and Parquet); files, directories, globs."""


@batch.command("dedup")
@click.argument("inputs", nargs=-1, required=True)
@click.option("--out", "out_dir", default=None, metavar="DIR",
              help="Write Parquet tables (articles/, links/) here instead of the SQLite store.")
@click.option("--threshold", type=float, default=DEFAULT_THRESHOLD, callback=share_callback, show_default=True,
              help="Jaccard for near-duplicates, in (0, 1].")
@click.option("--containment", type=float, default=DEFAULT_CONTAINMENT, callback=share_callback, show_default=True,
              help="Share of the shorter article inside the longer for reprints, in (0, 1].")
@batch_options
def batch_dedup(ctx: Context, inputs: tuple[str, ...], out_dir: str | None, threshold: float, containment: float,
                engine_name: str, ray_address: str | None, partitions: int | None, as_json: bool) -> None:
    """Duplicate groups of every article in INPUTS, written to the store or to Parquet.

    INPUTS are read and cleaned as `newsfold add` reads them (text,
    Markdown, HTML, JSON/JSONL/CSV, WARC, feeds; and Parquet records), with
    the same ids.  The output holds the same groups whichever engine
    computes them.
    """
    cfg = DedupConfig(threshold=threshold, containment=containment)
    _run_batch(ctx, engine_name, ray_address, partitions, out_dir, as_json,
               lambda engine, output, progress: engine.dedup(list(inputs), cfg, output, progress),
               lambda r: f"{r.articles} articles, {r.groups} duplicate groups ({r.links} copies)",
               "newsfold dedup")


def _run_batch(ctx: Context, engine_name: str, ray_address: str | None, partitions: int | None,
               out_dir: str | None, as_json: bool, run: Callable[[Any, Any, Any], Any],
               what: Callable[[Any], str], list_command: str) -> None:
    """Run one batch job on the chosen engine and print its report (shared by every batch command)."""
    eng = _engine_module()
    output = eng.Output("parquet", out_dir) if out_dir else eng.Output("store", ctx.db)
    if output.kind == "store":
        ctx.hold_writer_lock(output.path)
    engine = make_engine(ctx, engine_name, ray_address, partitions)
    try:
        report = run(engine, output, stage_progress(ctx))
    except (eng.InputError, eng.OutputError, eng.EngineError) as e:
        raise click.ClickException(str(e)) from None
    except Exception as e:  # noqa: BLE001 - Ray's own errors (a node or worker died) are said, the rest go up
        if not type(e).__module__.startswith("ray."):
            raise
        detail = f"{type(e).__name__}: {e}" if str(e).strip() else type(e).__name__
        raise click.ClickException(f"the Ray run failed ({detail}): a node or a worker may have died; check the "
                                   "cluster (`ray status`) and run the command again") from None
    finally:
        engine.close()
    if as_json:
        echo_json({**report.to_dict(), "output": {"kind": output.kind, "path": output.path}})
        return
    where = f"Parquet tables in {output.path}" if output.kind == "parquet" else f"the store {output.path}"
    click.echo(f"{what(report)} -> {where}  [{report.engine}, {sum(report.seconds.values()):.1f}s]")
    if report.skipped:
        click.echo(f"{report.skipped} records skipped (use --json to see why).", err=True)
    suspects = report.details.get("suspect_stories") or []
    if suspects:
        from ...stories.windows import SUSPECT_STORY_SIZE

        shown = ", ".join(f"{s['story_id']} ({s['size']} articles)" for s in suspects[:5])
        click.echo(f"Suspect: {len(suspects)} stories hold more than {SUSPECT_STORY_SIZE:,} articles, more than "
                   f"any real event: {shown}. Inspect them with `newsfold story ID`; windows that are too long "
                   "(--window-days) or a corpus without events can cause this.", err=True)
    if output.kind == "store":
        click.echo(f"List them with: {list_command} --db {output.path}", err=True)


def _how(report: Any, cfg: Any) -> str:
    """How the fold cut the corpus: by time window, or whole (a small corpus is folded in one pass, as `add` does)."""
    windows = int(report.details.get("windows", 0))
    if windows == 1 and report.articles <= cfg.whole_limit:
        return f"folded whole (a corpus of at most {cfg.whole_limit:,} articles is not cut into time windows)"
    return f"in {plural(windows, 'time window')}"


@batch.command("fold")
@click.argument("inputs", nargs=-1, required=True)
@click.option("--out", "out_dir", default=None, metavar="DIR",
              help="Write Parquet tables (articles/, stories/, links/) here instead of the SQLite store.")
@click.option("--encoder", type=ENCODER_CHOICE, default="minilm", show_default=True, help=ENCODER_HELP)
@click.option("--window-days", type=click.IntRange(1), default=14, show_default=True,
              help="Length of a time window, in days of the published date.")
@click.option("--window-step", type=click.IntRange(1), default=7, show_default=True,
              help="Days between window starts (overlap = length - step).")
@click.option("--max-window", type=click.IntRange(2), default=20_000, show_default=True,
              help="Most articles one window may hold (its similarity matrix is n × n).")
@click.option("--summaries/--no-summaries", default=True, show_default=True, help="Write a briefing per story.")
@click.option("--nlp/--no-nlp", "with_nlp", default=True, show_default=True,
              help="Entities, aligned quotes and discrepancies in briefings (spaCy; slower).")
@batch_options
def batch_fold(ctx: Context, inputs: tuple[str, ...], out_dir: str | None, encoder: str, window_days: int,
               window_step: int, max_window: int, summaries: bool, with_nlp: bool, engine_name: str,
               ray_address: str | None, partitions: int | None, as_json: bool) -> None:
    """Fold every article in INPUTS into stories, by time window, with a briefing per story.

    Articles are cut into overlapping windows of their published date
    (articles without one form one window of their own); each window is
    folded by the stories stage's batch clusterer, and stories that share an
    article across windows are merged.  Both engines give the same stories.
    """
    from ...stories.windows import FoldConfig

    if window_step > window_days:
        raise click.BadParameter(f"{window_step} is longer than --window-days {window_days}; try 7",
                                 param_hint="--window-step")
    cfg = FoldConfig(encoder=encoder, days=window_days, step=window_step, max_window=max_window,
                     summaries=summaries, with_nlp=with_nlp)
    _run_batch(ctx, engine_name, ray_address, partitions, out_dir, as_json,
               lambda engine, output, progress: engine.fold(list(inputs), cfg, output, progress),
               lambda r: f"{plural(r.articles, 'article')}, {plural(r.groups, 'story', 'stories')} {_how(r, cfg)}",
               "newsfold stories")
