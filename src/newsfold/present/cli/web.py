"""``newsfold serve``: the web app and JSON API on a local port."""

from __future__ import annotations

import os

import click

from .common import Context, cli, db_option, pass_ctx


@cli.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Reads are open to anyone who can reach it.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--token", envvar="NEWSFOLD_TOKEN", default=None,
              help="Token that writes (adding articles) need; generated and printed when unset. [env: NEWSFOLD_TOKEN]")
@click.option("--max-body", default=20, show_default=True, type=click.FloatRange(0.001, 4096),
              help="Largest request body in MB; bigger uploads get 413.")
@click.option("--upload-dir", default=None, metavar="DIR",
              help="Where uploads are saved before ingest (default: DB-uploads next to the database).")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Server processes: more serve more readers at once on more cores (one ingest still runs at a time).")
@click.option("--allow-host", "allow_hosts", multiple=True, metavar="NAME",
              help="Also answer requests for this host name (repeatable); others than 127.0.0.1, localhost and "
                   "--host get 400.")
@click.option("--log-level", default="warning", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]))
@pass_ctx
def serve(ctx: Context, host: str, port: int, token: str | None, max_body: float, upload_dir: str | None,
          workers: int, allow_hosts: tuple[str, ...], log_level: str) -> None:
    """Serve the news desk: stories, briefings, articles, search, add (and JSON under /api)."""
    import uvicorn

    from ...store.db import StoreError
    from ..web import create_app
    from ..web.app import LOCAL_HOSTS

    generated = not token
    if not os.path.exists(ctx.db):
        click.echo(f"newsfold: no store at {ctx.db} yet: serving a new, empty one (add articles on its add page, or "
                   "stop and run `newsfold add PATH...` first)", err=True)
    hosts = [*LOCAL_HOSTS, *([host] if host not in ("0.0.0.0", "::") else []), *allow_hosts]
    try:
        app = create_app(ctx.db, token=token or None, max_body=int(max_body * 1024 * 1024), upload_dir=upload_dir,
                         hosts=hosts)
    except StoreError as e:
        raise click.ClickException(str(e)) from e
    url = f"http://{host if ':' not in host else f'[{host}]'}:{port}/"
    click.echo(f"newsfold: serving {os.path.abspath(ctx.db)} at {url}", err=True)
    if generated:
        click.echo(f"newsfold: write token (set NEWSFOLD_TOKEN to choose one): {app.state.token}", err=True)
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo("newsfold: warning: listening beyond loopback; anyone who can reach it can read the store",
                   err=True)
    try:
        if workers > 1:  # each process builds its own app from the environment, sharing the token
            os.environ.update({"NEWSFOLD_DB": os.path.abspath(ctx.db), "NEWSFOLD_TOKEN": app.state.token,
                               "NEWSFOLD_MAX_BODY": str(int(max_body * 1024 * 1024)),
                               "NEWSFOLD_UPLOAD_DIR": os.path.abspath(upload_dir or f"{ctx.db}-uploads"),
                               "NEWSFOLD_HOSTS": ",".join(hosts)})
            uvicorn.run("newsfold.present.web.app:create_app_from_env", factory=True, workers=workers, host=host,
                        port=port, log_level=log_level, access_log=log_level in ("info", "debug"))
            return
        uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=log_level in ("info", "debug"))
    except OSError as e:
        raise click.ClickException(f"cannot listen on {host}:{port}: {e}. Try another --port.") from e
