"""``newsfold report``, ``newsfold summarize``, ``newsfold eval summaries``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .common import (COUNT, Context, cli, db_option, echo, echo_json, eval_group, json_option, json_text,
                     output_callback, pass_ctx, stage_progress)



@cli.command()
@click.argument("stories", nargs=-1)
@click.option("--format", "fmt", type=click.Choice(["html", "md", "json"]), default="html", show_default=True)
@click.option("-o", "--output", default=None, callback=output_callback, metavar="PATH",
              help="Write here (default, or -: stdout).")
@click.option("--limit", type=COUNT, default=None, help="With no STORY: at most this many stories, newest first.")
@click.option("--title", default="newsfold report", show_default=True)
@db_option
@pass_ctx
def report(ctx: Context, stories: tuple[str, ...], fmt: str, output: str | None, limit: int | None,
           title: str) -> None:
    """Write a self-contained report of STORY ids (default: every story).

    The HTML opens offline: inline CSS, no script, no external asset.
    """
    from ..report import ReportError, build_report

    try:
        text = build_report(ctx.store(), stories, fmt, limit=limit, title=title)
    except ReportError as e:
        raise click.ClickException(str(e)) from e
    if output:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as e:
            raise click.ClickException(f"cannot write {output}: {e.strerror or e}") from None
        if not ctx.quiet:
            click.echo(f"wrote {output}", err=True)
    elif fmt == "json":  # exact JSON, C1 and bidi controls as \u escapes
        click.echo(json_text(text))
    else:  # HTML and Markdown without the characters a terminal acts on
        echo(text)


@cli.command()
@click.option("--max-words", type=click.IntRange(1, 100_000), default=100, show_default=True)
@db_option
@json_option
@pass_ctx
def summarize(ctx: Context, max_words: int, as_json: bool) -> None:
    """Write the briefing of every story whose articles changed since its last briefing."""
    from ...summarize.stage import SummariesStage

    rep = SummariesStage(max_words=max_words).catch_up(ctx.store(write=True), stage_progress(ctx))
    if as_json:
        echo_json(rep)
    else:
        d = rep.details
        click.echo(f"summarized {rep.processed} stor{'y' if rep.processed == 1 else 'ies'}"
                   f" ({d.get('empty', 0)} with an empty summary); removed {d.get('removed', 0)} stale briefing(s)")


@eval_group.command(name="summaries")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--max-words", type=click.IntRange(1, 100_000), default=100, show_default=True, help="Summaries are cut at this many words.")
@click.option("--save", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write one JSON line {id, summary} per cluster.")
@click.option("--per-cluster", is_flag=True, help="With --json: include each cluster's scores.")
@json_option
@pass_ctx
def eval_summaries(ctx: Context, file: str, max_words: int, save: str | None, per_cluster: bool,
                   as_json: bool) -> None:
    """ROUGE-1/2 recall and F1 (stemmed, at MAX_WORDS) on clusters with reference summaries.

    FILE is JSON lines: {id, docs: [{id, text, title?, published?}], references: [str, ...],
    citations?: [{doc, sentence, states: {doc id: 1|0}}]}; with citations, their precision and recall
    are reported too, and the precision of "what each outlet adds" on the judged sentences; the summary
    sentence pairs that state one fact are counted.  tests/data/summary_checked.jsonl is a small
    hand-checked set.
    """
    from ...summarize.evaluate import EvalInputError, evaluate, load_clusters, newsfold_summarizer

    try:
        clusters = load_clusters(file)
    except EvalInputError as e:
        raise click.ClickException(f"{e}. See `newsfold eval summaries --help` for the format.") from e
    if not clusters:
        raise click.ClickException(f"{file} holds no clusters")
    if not any(c.references for c in clusters):
        click.echo("warning: no cluster has references; only speed is measured", err=True)
    res, rows = evaluate(clusters, newsfold_summarizer(max_words), max_words=max_words)
    if save:
        with open(save, "w", encoding="utf-8") as fh:
            for r in rows:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    if as_json:
        echo_json(res.to_dict(with_clusters=per_cluster))
        return
    click.echo(f"{res.n_clusters} clusters, summaries cut at {max_words} words, ROUGE with Porter stemming")
    click.echo(f"  ROUGE-1  recall {res.rouge1_recall:.4f}  F1 {res.rouge1_f1:.4f}")
    click.echo(f"  ROUGE-2  recall {res.rouge2_recall:.4f}  F1 {res.rouge2_f1:.4f}")
    if res.citation_recall is not None:
        cp = f"{res.citation_precision:.3f}" if res.citation_precision is not None else "n/a"
        click.echo(f"  citations precision {cp}  recall {res.citation_recall:.3f}"
                   f" ({res.citations_judged} hand-judged sentences)")
    click.echo(f"  redundancy  {res.redundant_pairs} of {res.summary_pairs} summary sentence pairs state one fact"
               " (the citations' restatement test)")
    if res.additions_precision is not None:
        click.echo(f"  additions  precision {res.additions_precision:.3f} ({res.additions_listed} judged sentences"
                   " listed as an outlet's addition; held: no judged document states it)")
    click.echo(f"  {res.clusters_per_second:.2f} clusters/s ({res.seconds:.1f} s summarizing)")
    if save and not ctx.quiet:
        click.echo(f"summaries written to {save}", err=True)
    sys.stdout.flush()
