"""``newsfold batch``: batch stages over input files, on the local or the Ray engine.

    newsfold batch dedup crawl/*.jsonl --db out.db
    newsfold batch dedup s3://bucket/crawl/ --engine ray --ray-address ray://head:10001 --out groups/

The engine decides where the work runs; the result is the same.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

import click

from ..dedup import DedupConfig
from ..lsh import check_threshold
from .common import Context, cli, db_option, echo_json, json_option, pass_ctx, stage_progress

F = TypeVar("F", bound=Callable[..., Any])
ENGINES = ("local", "ray")


def _engine_module() -> Any:
    """``newsfold.engine``, imported on use: it needs pyarrow, which plain newsfold does not."""
    try:
        from .. import engine
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


def _share(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    if value is None:
        return None
    try:
        return check_threshold(param.name or "value", value)
    except ValueError as e:
        raise click.BadParameter(f"{e}; try 0.8") from None


@cli.group()
def batch() -> None:
    """Batch stages over input files (JSONL, Parquet; files, directories, globs, URIs)."""


@batch.command("dedup")
@click.argument("inputs", nargs=-1, required=True)
@click.option("--out", "out_dir", default=None, metavar="DIR",
              help="Write Parquet tables (articles/, links/) here instead of the SQLite store.")
@click.option("--threshold", type=float, default=0.8, callback=_share, show_default=True,
              help="Jaccard for near-duplicates, in (0, 1].")
@click.option("--containment", type=float, default=0.8, callback=_share, show_default=True,
              help="Share of the shorter article inside the longer for reprints, in (0, 1].")
@engine_options
@db_option
@json_option
@pass_ctx
def batch_dedup(ctx: Context, inputs: tuple[str, ...], out_dir: str | None, threshold: float, containment: float,
                engine_name: str, ray_address: str | None, partitions: int | None, as_json: bool) -> None:
    """Duplicate groups of every article in INPUTS, written to the store or to Parquet.

    Records need a "text" field; "id", "title", "published", "url" and
    "outlet" are used when present.  The output holds the same groups
    whichever engine computes them.
    """
    eng = _engine_module()
    output = eng.Output("parquet", out_dir) if out_dir else eng.Output("store", ctx.db)
    engine = make_engine(ctx, engine_name, ray_address, partitions)
    try:
        report = engine.dedup(list(inputs), DedupConfig(threshold=threshold, containment=containment), output,
                              stage_progress(ctx))
    except (eng.InputError, eng.EngineError) as e:
        raise click.ClickException(str(e)) from None
    finally:
        engine.close()
    if as_json:
        echo_json({**report.to_dict(), "output": {"kind": output.kind, "path": output.path}})
        return
    where = f"Parquet tables in {output.path}" if output.kind == "parquet" else f"the store {output.path}"
    click.echo(f"{report.articles} articles, {report.groups} duplicate groups ({report.links} copies) "
               f"-> {where}  [{report.engine}, {sum(report.seconds.values()):.1f}s]")
    if report.skipped:
        click.echo(f"{report.skipped} records skipped (use --json to see why).", err=True)
    if output.kind == "store":
        click.echo("List them with: newsfold dedup --db " + output.path, err=True)
