"""``newsfold check``: integrity, foreign keys and the ledger and story counts of a store."""

from __future__ import annotations

import sys

import click

from .common import Context, cli, missing_store, db_option, echo, echo_json, json_option, pass_ctx


@cli.command()
@db_option
@json_option
@pass_ctx
def check(ctx: Context, as_json: bool) -> None:
    """Check the store: SQLite integrity and foreign keys, then the ledger and story counts.

    Reads only.  Exits 1 when the store is damaged (restore a copy), 0 when it is sound.
    """
    from ...store.check import check_store

    rep = check_store(ctx.db)
    if rep.missing:
        raise click.ClickException(missing_store(ctx.db))
    if as_json:
        echo_json(rep)
    else:
        for p in rep.problems:
            echo(p, err=True)
        if rep.counts:
            c = rep.counts
            echo(f"{c['ledger entries']} inputs: {c['accepted']} accepted, {c['duplicate']} duplicates, "
                 f"{c['rejected']} rejected; {c['articles']} articles, {c['articles in a story']} in "
                 f"{c['stories']} stories, {c['articles not placed']} not placeable; {c['briefings']} briefings")
        for n in rep.notes:
            echo(f"note: {n}")
        echo(f"{rep.path}: " + ("damaged: restore a copy (the lines above say what is wrong)" if rep.damaged
                                else "ok"))
    if rep.damaged:
        sys.exit(1)
