"""``newsfold stories``, ``newsfold story ID``, ``newsfold fold PATH...``, ``newsfold eval clustering``, ``eval pairs``."""

from __future__ import annotations

import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from ...models import outlets_in_words, to_jsonable
from ...published import shown
from .common import (COUNT, ENCODER_CHOICE, ENCODER_HELP, PAGE, Context, cli, db_option, echo, echo_json, eval_group, json_option,
                     echo_rows, format_option, pass_ctx, stage_progress)
from ...text import plural





def _story_json(store: Any, s: Any) -> dict[str, Any]:
    refs = {r[0]: r[1] for r in store.conn.execute(
        f"SELECT id, source_ref FROM articles WHERE id IN ({','.join('?' * len(s.article_ids))})", s.article_ids)}
    return {"id": s.id, "headline": s.headline, "state": s.state, "size": s.size, "article_ids": s.article_ids,
            "sources": [refs.get(a, "") for a in s.article_ids], "outlets": s.outlets,
            "first_published": s.first_published, "last_published": s.last_published}


def _print_stories(store: Any, views: list[Any]) -> None:
    if not views:
        echo("No stories yet. Add articles with `newsfold add PATH...`.")
        return
    for s in views:
        _story_line(s)


def _story_line(s: Any) -> None:
    """One story of a listing: id, state, articles, outlets, first → last published, headline."""
    dates = f"{shown(s.first_published, '?')[:10]} → {shown(s.last_published, '?')[:10]}"
    echo(f"{s.id}  {s.state:<8} {plural(s.size, 'article'):>12}  {outlets_in_words(s.outlets):>19}  {dates}  "
         f"{s.headline}")


@cli.command()
@click.option("--all", "include_merged", is_flag=True, help="Also list stories merged into others.")
@click.option("--since", default=None, metavar="DATE", help="Only stories active on or after this ISO date (2018-12).")
@click.option("--until", default=None, metavar="DATE", help="Only stories active on or before this ISO date.")
@click.option("--outlet", default=None, help="Only stories with an article from this outlet.")
@click.option("--min-size", type=COUNT, default=None, help="At least this many articles.")
@click.option("--max-size", type=COUNT, default=None, help="At most this many articles.")
@click.option("--limit", type=click.IntRange(1, 200), default=30, show_default=True, help="Stories per page.")
@click.option("--page", "page_no", type=PAGE, default=1, show_default=True)
@json_option
@format_option
@db_option
@pass_ctx
def stories(ctx: Context, include_merged: bool, since: str | None, until: str | None, outlet: str | None,
            min_size: int | None, max_size: int | None, limit: int, page_no: int, as_json: bool, fmt: str) -> None:
    """List stories, newest activity first: id, state, size, outlets, first/last published, headline.

    The JSON is the API's ``/api/stories`` with the same filters and page; ``--format csv`` or ``jsonl``
    writes one row per story (every story the filters select, not one page).
    """
    from ..query import StoryFilter, all_stories, list_stories

    flt = StoryFilter(since=since, until=until, outlet=outlet, min_size=min_size, max_size=max_size, limit=limit,
                      offset=(page_no - 1) * limit, include_merged=include_merged)
    if fmt != "table":
        echo_rows([to_jsonable(s) for s in all_stories(ctx.store().conn, flt)], fmt)
        return
    data = list_stories(ctx.store().conn, flt)
    if as_json:
        echo_json({**to_jsonable(data), "page": page_no})
        return
    if not data.stories:
        echo("No stories match these filters." if page_no > 1 or since or until or outlet or min_size or max_size
             else "No stories yet. Add articles with `newsfold add PATH...`.")
        return
    for s in data.stories:
        _story_line(s)
    if data.has_more:
        echo(f"… {data.total} stories in all; the next ones: `newsfold stories --page {page_no + 1}`", err=True)


@cli.command()
@click.argument("story_id")
@json_option
@db_option
@pass_ctx
def story(ctx: Context, story_id: str, as_json: bool) -> None:
    """Show one story: its articles, why each joined, its history, and its briefing.

    The JSON is the API's ``/api/stories/ID``.
    """
    from ..query import story_detail

    d = story_detail(ctx.store().conn, story_id, cache=False)
    if d is None:
        raise click.ClickException(f"no story {story_id!r}. List story ids with `newsfold stories`.")
    if as_json:
        echo_json(d)
        return
    from ...summarize.render import render_briefing_text

    echo(f"{d.id}  [{d.state}]  {d.headline}")
    if d.state == "merged":
        into = ", ".join(d.merged_into) or "other stories"
        echo(f"merged into {into}" + (f": `newsfold story {d.merged_into[0]}`" if d.merged_into else ""))
        for e in d.events:
            echo(f"  {e['at']}  {e['kind']}: {e.get('reason', '')}")
        return
    echo(f"{plural(d.size, 'article')}, {outlets_in_words(d.outlets)}, {shown(d.first_published, '?')} → "
         f"{shown(d.last_published, '?')}")
    echo("\nArticles")
    for a in d.articles:
        why = f"  ({a.reason})" if a.reason else ""
        echo(f"  [{d.numbers.get(a.id, '?')}] {shown(a.published, 'undated')}  {a.id}  {a.outlet}  {a.title or ''}{why}")
    if d.events:
        echo("\nHistory")
        for e in d.events:
            echo(f"  {e['at']}  {e['kind']}: {e.get('reason', '')}")
    if d.briefing is None:
        echo("\nNo briefing yet: `newsfold summarize` writes one (`newsfold add` does too, unless it ran with"
             " --no-stories).")
    else:
        echo("\n" + render_briefing_text(d.briefing, numbers=d.numbers)
             + ("\n\n(the story changed since: run `newsfold summarize`)" if d.stale else ""))


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--encoder", type=ENCODER_CHOICE, default="minilm", show_default=True,
              help=ENCODER_HELP)
@click.option("--no-refold", is_flag=True, help="Keep the online placement; skip the batch refold.")
@click.option("--db", "db_path", default=None, metavar="PATH",
              help="Keep the result in this database (default: a temporary one).")
@click.option("--follow-symlinks", is_flag=True,
              help="Read symbolic links in folders and globs that point outside them (not followed by default).")
@json_option
@pass_ctx
def fold(ctx: Context, paths: tuple[str, ...], encoder: str, no_refold: bool, db_path: str | None,
         follow_symlinks: bool, as_json: bool) -> None:
    """One shot: ingest PATH... (into a temporary database unless --db), fold, print the stories.

    Into a new store the articles are folded in one batch; into a store that
    has stories, they are placed online one at a time, then the whole store is
    refolded in batch (merges and splits are recorded in each story's history).
    """
    from ...pipeline import run_pipeline, stage_options
    from ...store.db import Store
    from ..query import all_stories

    explicit = db_path or click.get_current_context().find_root().params.get("db")
    tmp = None if explicit else tempfile.TemporaryDirectory(prefix="newsfold-fold-")
    path = explicit or str(Path(tmp.name) / "fold.db")  # type: ignore[union-attr]
    if explicit:
        ctx.hold_writer_lock(path)
    store = Store(path)
    try:
        # the pipeline's own stages up to the refold, which runs whatever the store's size
        rep = run_pipeline(store, list(paths), only=["dedup", "stories", "refold"],
                           skip=["refold"] if no_refold else [], progress=stage_progress(ctx),
                           options=stage_options({"encoder": encoder, "refold_limit": 2 ** 62, "refold_growth": 0}),
                           follow_symlinks=follow_symlinks)
        refolded = next(({"articles": s.processed, **s.details} for s in rep.stages if s.stage == "refold"), None)
        first = next((s.details["batch"] for s in rep.stages if s.stage == "stories" and "batch" in s.details), None)
        if first is not None:  # a first corpus is placed in one batch fold, which stands as its refold
            refolded = first
        views = all_stories(store.conn)
        skips = [dict(r) for r in store.conn.execute("SELECT article_id, reason FROM story_skips")]
        if as_json:
            echo_json({"stories": [_story_json(store, s) for s in views],
                       "skipped": skips, "rejected": [asdict(e) for e in rep.ingest.rejections] if rep.ingest else [],
                       "refold": refolded, "db": explicit})
        else:
            _print_stories(store, views)
            for s in skips:
                echo(f"no story for {s['article_id']}: {s['reason']}", err=True)
    finally:
        store.close()
        if tmp is not None:
            tmp.cleanup()


@eval_group.command("clustering")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--encoder", type=ENCODER_CHOICE, default="minilm", show_default=True)
@click.option("--mode", type=click.Choice(["batch", "online"]), default="batch", show_default=True,
              help="batch: the two-level refold (what `newsfold fold` ends with); online: one article at a time.")
@json_option
@pass_ctx
def eval_clustering(ctx: Context, file: str, encoder: str, mode: str, as_json: bool) -> None:
    """Fold FILE.jsonl ({id, text, event, ...}) from scratch and score it against `event`.

    The clusterer sees only text (and title/url/published/outlet when
    present), never `event`, `topic`, `id` or `origin`; it is not told the
    number of events.
    """
    from ...evaluate.stories import evaluate_clustering

    try:
        res = evaluate_clustering(file, encoder=encoder, mode=mode)
    except ValueError as e:
        raise click.ClickException(f"{e}. Each line must be a JSON object with `text` and `event`.") from e
    if as_json:
        echo_json(res)
        return
    s = res["scores"]
    click.echo(f"{res['file']}: {res['articles']} articles, {res['events']} events → {res['stories']} stories "
               f"({res['mode']}, {res['encoder']})")
    click.echo(f"B-cubed  P {s['bcubed_precision']:.4f}  R {s['bcubed_recall']:.4f}  F1 {s['bcubed_f1']:.4f}")
    click.echo(f"pairwise F1 {s['pairwise_f1']:.4f}   ARI {s['ari']:.4f}")
    click.echo(f"speed: {res['articles_per_s']:.1f} articles/s "
               f"(represent {res['represent_s']:.1f}s, cluster {res['cluster_s']:.2f}s)")



@eval_group.command("pairs")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--encoder", type=ENCODER_CHOICE, default="minilm", show_default=True)
@click.option("--mode", type=click.Choice(["batch", "online"]), default="batch", show_default=True,
              help="batch: fold every text together at once (what `newsfold fold` ends with); "
                   "online: one text at a time, in file order.")
@json_option
@pass_ctx
def eval_pairs(ctx: Context, file: str, encoder: str, mode: str, as_json: bool) -> None:
    """Fold every text of FILE.jsonl ({text1, text2, same_story}) together; count the pairs right.

    A pair is right when its two texts land in one story exactly when
    `same_story` is true; pairs whose `same_story` is null are not scored.
    The clusterer sees only the texts (and title1/2, published1/2 when present).
    """
    from ...evaluate.stories import evaluate_pairs

    try:
        res = evaluate_pairs(file, encoder=encoder, mode=mode)
    except (ValueError, UnicodeDecodeError) as e:
        raise click.ClickException(f"{e}. Each line must be a JSON object with `text1`, `text2` and "
                                   "`same_story` (true, false or null).") from e
    if as_json:
        echo_json(res)
        return
    click.echo(f"{res['file']}: {res['pairs']} pairs, {res['texts']} texts → {res['stories']} stories "
               f"({res['mode']}, {res['encoder']})")
    click.echo(f"pairs right {res['right']:.4f} ({res['pairs_right']} of {res['pairs']}); "
               f"same-story pairs split {res['same_split']} of {res['same_pairs']}; "
               f"different-story pairs fused {res['different_fused']} of {res['different_pairs']}")
