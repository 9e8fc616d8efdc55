"""``newsfold add``, ``articles``, ``article``, ``ledger``."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from ...models import Article
from ...published import shown
from ...read import MAX_BYTES
from .common import (COUNT, ENCODER_CHOICE, ENCODER_HELP, Context, cli, db_option, echo, echo_json, json_option, pass_ctx,
                     echo_rows, format_option, plain_progress, print_table, stage_progress)
from ...text import plural

if TYPE_CHECKING:
    from ..query import PlacedArticle


def article_json(a: Article, *, full: bool = True) -> dict[str, Any]:
    d: dict[str, Any] = {"id": a.id, "title": a.title, "outlet": a.outlet, "url": a.url, "published": a.published,
                         "published_source": a.published_source, "language": a.language}
    if full:
        d.update({"place": a.place, "text": a.text, "removed": [{"line": r.line, "reason": r.reason} for r in a.removed],
                  "content_hash": a.content_hash, "source_ref": a.source_ref, "meta": a.meta})
    return d


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--no-dedup", is_flag=True, help="Load raw: skip duplicate detection (and every stage built on it).")
@click.option("--no-stories", is_flag=True, help="Skip story folding (and every stage built on it).")
@click.option("--strict", is_flag=True,
              help="Exit 1 when any input is rejected or kept under a new id after an id conflict.")
@click.option("--max-bytes", type=click.IntRange(1), default=MAX_BYTES, show_default=True,
              help="Largest single article file.")
@click.option("--batch-size", type=click.IntRange(1, 100_000), default=500, show_default=True,
              help="Inputs per transaction.")
@click.option("--follow-symlinks", is_flag=True,
              help="Read symbolic links in folders and globs that point outside them (not followed by default).")
@click.option("--encoder", type=ENCODER_CHOICE, default=None, help=ENCODER_HELP + "  [default: minilm]")
@click.option("--setting", "settings", type=(str, str), multiple=True, metavar="NAME VALUE",
              help="Set a pipeline setting for this run (repeatable); `newsfold settings` lists them.")
@db_option
@json_option
@pass_ctx
def add(ctx: Context, paths: tuple[str, ...], no_dedup: bool, no_stories: bool, strict: bool, max_bytes: int,
        batch_size: int, follow_symlinks: bool, encoder: str | None, settings: tuple[tuple[str, str], ...],
        as_json: bool) -> None:
    """Add articles: files, directories (recursive), globs, or - for JSONL on stdin.

    Every input gets a ledger entry: accepted, duplicate or rejected with a reason.
    FIFOs, devices and broken links are rejected without being opened.
    """
    from ...ingest import Ingester
    from ...pipeline import catch_up, closure, stage_options
    from ..query import placed_in_run

    values = parse_settings(settings)
    if encoder is not None:
        values["encoder"] = encoder
    store = ctx.store(write=True, create=True)  # waits (and says so) while another add or the web's ingest writes
    ingester = Ingester(store, batch_size=batch_size, max_bytes=max_bytes, follow_symlinks=follow_symlinks)
    if ctx.interactive:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        with Progress(TextColumn("reading"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[counts]}"),
                      console=Console(stderr=True), transient=True) as prog:
            task = prog.add_task("read", total=None, counts="")

            def on_progress(done: int, total: int, rep: Any) -> None:
                prog.update(task, completed=done, total=total, counts=rep.summary())

            report = ingester.ingest_paths(paths, on_progress=on_progress)
    else:
        plain = plain_progress(ctx)
        report = ingester.ingest_paths(paths, on_progress=lambda done, total, rep: plain("reading", done, total))
    skip = {"dedup"} if no_dedup else set()
    if no_stories:
        skip.add("stories")
    stages = catch_up(store, skip=skip, progress=stage_progress(ctx), options=stage_options(values))
    placed = placed_in_run(store.conn, report.run_id)
    if as_json:
        echo_json({"run_id": report.run_id, "accepted": report.accepted, "duplicate": report.duplicate,
                   "rejected": report.rejected, "rejections": report.rejections, "conflicts": report.conflicts,
                   "updates": report.updates, "articles": placed,
                   "stages": [{"stage": s.stage, "processed": s.processed, **s.details} for s in stages]})
    else:
        for e in report.rejections:
            echo(f"rejected {e.ref}: {e.reason}", err=True)
        for e in [*report.updates, *report.conflicts]:
            echo(f"{e.ref}: {e.reason}", err=True)
        for s in stages:
            if not ctx.quiet:
                echo(f"{s.stage}: {s.processed} processed", err=True)
        if "stories" not in closure(skip):
            _print_placed(placed, report.run_id)
        echo(report.summary())
    if strict and (report.rejected or report.conflicts):
        sys.exit(1)


SHOWN_PLACED = 10


def _print_placed(placed: list["PlacedArticle"], run_id: str) -> None:
    """The first few new articles and their stories, then how many more (``--json`` lists them all)."""
    for p in placed[:SHOWN_PLACED]:
        if p.story_id:
            where = f"{p.story_id} ({plural(p.story_size or 0, 'article')}) {p.story_headline or p.title or ''}"
        else:
            where = f"no story: {p.no_story or 'stories were not folded (run `newsfold add` without --no-stories)'}"
        echo(f"  {p.id} → {where}".rstrip())
    if len(placed) > SHOWN_PLACED:
        echo(f"  … and {len(placed) - SHOWN_PLACED} more (`newsfold add --json` or `newsfold ledger --run {run_id}`"
             " lists every one)")


def parse_settings(pairs: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """``--setting NAME VALUE`` pairs, checked against the pipeline's settings; a bad one is a usage error."""
    from ...pipeline import SETTINGS_BY_NAME

    values: dict[str, Any] = {}
    for name, raw in pairs:
        setting = SETTINGS_BY_NAME.get(name)
        if setting is None:
            raise click.BadParameter(f"no setting {name!r}; `newsfold settings` lists them", param_hint="--setting")
        try:
            values[name] = setting.parse(raw)
        except ValueError as e:
            raise click.BadParameter(str(e), param_hint="--setting") from None
    return values


@cli.command("settings")
@json_option
def settings_command(as_json: bool) -> None:
    """List the pipeline's settings (for ``add --setting NAME VALUE``) with their defaults."""
    from ...pipeline import SETTINGS

    rows = [{"name": s.name, "default": s.default, "choices": list(s.choices), "stages": sorted(s.stages),
             "help": s.help} for s in SETTINGS]
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        choices = f" ({'|'.join(r['choices'])})" if r["choices"] else ""
        click.echo(f"{r['name']} = {r['default']}{choices}  [{', '.join(r['stages'])}]\n    {r['help']}")


@cli.command()
@click.option("--limit", type=COUNT, default=100, show_default=True)
@click.option("--offset", type=COUNT, default=0)
@click.option("--outlet", default=None, help="Only this outlet's articles.")
@db_option
@json_option
@format_option
@pass_ctx
def articles(ctx: Context, limit: int, offset: int, outlet: str | None, as_json: bool, fmt: str) -> None:
    """List stored articles (``--format csv`` or ``jsonl`` for a spreadsheet or a data frame)."""
    rows = ctx.store().list_articles(limit=limit, offset=offset, outlet=outlet)
    if as_json:
        echo_json([article_json(a, full=False) for a in rows])
        return
    if fmt != "table":
        stories = _stories_of(ctx.store(), [a.id for a in rows])
        echo_rows([{**article_json(a, full=False), "story_id": stories.get(a.id)} for a in rows], fmt)
        return
    print_table(("id", "published", "outlet", "title"),
                [(a.id, shown(a.published, "-"), a.outlet or "-", (a.title or a.text[:70]).replace("\n", " ")) for a in rows])


@cli.command()
@click.argument("article_id")
@click.option("--versions", "list_versions", is_flag=True,
              help="List the article's texts, oldest first: an update keeps the text it replaces.")
@db_option
@json_option
@pass_ctx
def article(ctx: Context, article_id: str, list_versions: bool, as_json: bool) -> None:
    """Show one article: cleaned text, removed lines, duplicates, re-used passages."""
    from ...store.versions import updated, versions

    store = ctx.store()
    a = store.get_article(article_id)
    if a is None:
        raise click.ClickException(f"no article {article_id!r}; list ids with `newsfold articles`")
    if list_versions:
        _show_versions(versions(store, article_id), as_json)
        return
    links, passages = _dedup_info(store, article_id)
    story = store.conn.execute("SELECT story_id FROM story_articles WHERE article_id = ?", (article_id,)).fetchone()
    n_versions, updated_at = updated(store.conn, [article_id]).get(article_id, (1, None))
    if as_json:
        d = article_json(a)
        d["story_id"] = story[0] if story else None
        d["versions"], d["updated_at"] = n_versions, updated_at
        d["duplicates"] = links
        d["passages"] = passages
        echo_json(d)
        return
    echo(a.title or "(no title)", bold=True)
    echo(f"id {a.id} · outlet {a.outlet or '?'} · published {shown(a.published, 'unknown')} "
               f"({a.published_source}) · {a.url or 'no url'}" + (f" · story {story[0]}" if story else ""))
    if updated_at:
        echo(f"updated {updated_at} · {n_versions} versions (`newsfold article {a.id} --versions` lists them)")
    echo("")
    echo(a.text)
    if a.removed:
        echo("\nremoved lines:")
        for r in a.removed:
            echo(f"  [{r.reason}] {r.line}")
    if links:
        echo("\nduplicates:")
        for link in links:
            echo(f"  {link['article_id']} → {link['canonical_id']} ({link['kind']}, {link['similarity']:.2f})")
    if passages:
        echo("\nre-used passages:")
        for p in passages:
            echo(f"  from {p['source_id']} ({p['direction']}, {p['similarity']:.2f}): {p['sentence']}")


def _stories_of(store: Any, ids: list[str]) -> dict[str, str]:
    """The story of each of ``ids`` that is in one."""
    out: dict[str, str] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        out.update((r[0], r[1]) for r in store.conn.execute(
            f"SELECT article_id, story_id FROM story_articles WHERE article_id IN ({','.join('?' * len(chunk))})", chunk))
    return out


def _show_versions(rows: list[Any], as_json: bool) -> None:
    if as_json:
        echo_json(rows)
        return
    print_table(("version", "added", "replaced", "words", "text"),
                [(str(v.version) + (" (current)" if v.replaced_at is None else ""), v.added_at[:19],
                  (v.replaced_at or "-")[:19], str(len(v.text.split())), v.text[:80].replace("\n", " "))
                 for v in rows])


def _dedup_info(store: Any, article_id: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    from dataclasses import asdict

    from ..query import links_for, passages_for

    return [asdict(x) for x in links_for(store.conn, article_id)], [asdict(x) for x in passages_for(store.conn, article_id)]


@cli.command()
@click.option("--rejected", is_flag=True, help="Only rejected inputs.")
@click.option("--run", "run_id", default=None, help="Only this run (see `newsfold ledger --json`).")
@click.option("--limit", type=COUNT, default=None)
@db_option
@json_option
@pass_ctx
def ledger(ctx: Context, rejected: bool, run_id: str | None, limit: int | None, as_json: bool) -> None:
    """What happened to every input: accepted, duplicate, or rejected and why."""
    rows = ctx.store().ledger(outcome="rejected" if rejected else None, run_id=run_id, limit=limit)
    stories = _stories_of(ctx.store(), [r["article_id"] for r in rows if r["article_id"]])
    for r in rows:
        r["story_id"] = stories.get(r["article_id"]) if r["article_id"] else None
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        tail = f" {r['article_id']}" if r["article_id"] else ""
        tail += f" → {r['story_id']}" if r["story_id"] else ""
        reason = f" — {r['reason']}" if r["reason"] else ""
        echo(f"{r['outcome']:9} {r['ref']}{tail}{reason}")
