"""``newsfold dedup``: duplicate groups of a store, or of a JSONL file without one."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import click

from ...dedup.stage import DedupStage
from ...models import DupGroup
from ..query import list_groups, stored_settings
from ...ingest import Ingester
from ...store.db import Store
from .common import (COUNT, Context, cli, db_option, echo, echo_json, share_callback, json_option, pass_ctx,
                     stage_progress)



def group_json(g: DupGroup) -> dict[str, Any]:
    return {"canonical": g.canonical_id, "size": g.size,
            "members": [{"id": link.article_id, "kind": link.kind, "similarity": link.similarity} for link in g.links]}


def _print_groups(groups: list[DupGroup], titles: dict[str, str]) -> None:
    if not groups:
        echo("No duplicate groups.")
        return
    for g in groups:
        echo(f"{g.canonical_id}  ({g.size} articles)  {titles.get(g.canonical_id, '')[:70]}")
        for link in g.links:
            echo(f"  {link.kind:<15} {link.similarity:6.3f}  {link.article_id}  "
                       f"{titles.get(link.article_id, '')[:60]}")


def _titles(store: Store, groups: list[DupGroup]) -> dict[str, str]:
    ids = [g.canonical_id for g in groups] + [link.article_id for g in groups for link in g.links]
    return {a.id: (a.title or a.text.split("\n", 1)[0]) for a in store.get_articles(ids)}


@cli.command()
@click.option("--threshold", type=float, default=None, callback=share_callback,
              help="Jaccard for near-duplicates, in (0, 1] (default 0.8, or what the store was built with).")
@click.option("--containment", type=float, default=None, callback=share_callback,
              help="Share of the shorter article found in the longer for reprints, in (0, 1] (default 0.8).")
@click.option("--input", "input_path", default=None, metavar="PATH",
              help="Deduplicate PATH (anything `add` reads: JSONL, a folder, WARC, …) in a temporary database; "
                   "lines `add` would reject are listed as skipped.")
@click.option("--rebuild", is_flag=True, help="Recompute every fingerprint and link with these thresholds.")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(["exact", "near-duplicate", "reprint"]),
              help="Only links of this kind (repeatable).")
@click.option("--limit", type=COUNT, default=None, help="At most this many groups.")
@db_option
@json_option
@pass_ctx
def dedup(ctx: Context, threshold: float | None, containment: float | None, input_path: str | None, rebuild: bool,
          kinds: tuple[str, ...], limit: int | None, as_json: bool) -> None:
    """List duplicate groups: canonical article, copies, relation and score.

    Catches up on articles not fingerprinted yet first.  Exact copies share
    normalized text; near-duplicates have a word-shingle Jaccard at or above
    --threshold; reprints have at least --containment of the shorter
    article inside the longer (a wire copy with local material added).
    """
    if input_path is not None:
        with tempfile.TemporaryDirectory(prefix="newsfold-dedup-") as tmp:
            store = Store(Path(tmp) / "dedup.db")
            try:
                ingest = Ingester(store).ingest_paths([input_path])  # add's reader and cleaner, add's ids
                skipped = [{"ref": e.ref, "reason": e.reason} for e in ingest.rejections]
                stage = DedupStage(threshold=threshold, containment=containment)
                report = stage.catch_up(store, stage_progress(ctx))
                groups = list_groups(store.conn, kinds=kinds or None, limit=limit)
                if as_json:
                    echo_json({"articles": report.processed, "groups": [group_json(g) for g in groups],
                               "skipped": skipped, "settings": stored_settings(store.conn)})
                else:
                    _print_groups(groups, _titles(store, groups))
                    if skipped:
                        echo(f"{len(skipped)} lines skipped (use --json to see why).", err=True)
            finally:
                store.close()
        return

    store = ctx.store(write=True)  # catches up (or rebuilds) before listing: a writer
    stored = stored_settings(store.conn)
    if rebuild:
        stage = DedupStage(
            threshold=threshold if threshold is not None else float(stored.get("threshold", 0.8)),
            containment=containment if containment is not None else float(stored.get("containment", 0.8)))
        stage.rebuild(store, stage_progress(ctx))
        threshold = containment = None
    else:
        DedupStage().catch_up(store, stage_progress(ctx))
        for name, value in (("threshold", threshold), ("containment", containment)):
            if value is not None and stored.get(name) and value < float(stored[name]):
                echo(f"note: links were built with {name} {stored[name]}; showing only what they hold. "
                           f"Run `newsfold dedup --rebuild --{name} {value}` to find looser copies.", err=True)
    groups = list_groups(store.conn, threshold=threshold, containment=containment, kinds=kinds or None, limit=limit)
    if as_json:
        echo_json({"groups": [group_json(g) for g in groups], "settings": stored_settings(store.conn)})
    else:
        _print_groups(groups, _titles(store, groups))
