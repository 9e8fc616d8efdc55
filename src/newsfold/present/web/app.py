"""The newsfold web app: server-rendered pages, each with a JSON twin.

``create_app(db_path)`` builds a FastAPI app over one store file.  Reads use
one SQLite connection per worker thread (``query_only``), so they keep
working while the single ingest thread writes (WAL).  Writes need
``Authorization: Bearer TOKEN`` (the add form takes the token in a field).
Every response carries a Content-Security-Policy that forbids inline script;
article text is untrusted and always escaped.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import secrets
import sqlite3
import threading
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import query as q
from ...models import outlets_in_words
from ...store.db import Store
from .jobs import IngestFn, Job, JobManager, records_to_jsonl
from .render import article_paragraphs, idq, safe_url, short_date, snippet_html, timeline_svg

log = logging.getLogger(__name__)

DEFAULT_MAX_BODY = 20 * 1024 * 1024
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


class SafeJSONResponse(JSONResponse):
    """JSON with ``<``, ``>``, ``&`` and line separators escaped: safe even if pasted into HTML."""

    def render(self, content: Any) -> bytes:
        s = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=str)
        s = (s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
             .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
        return s.encode("utf-8")


class BodyTooLarge(Exception):
    pass


LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def host_name(header: str) -> str:
    """The name in a Host header, lower-cased, without its port (``[::1]:8000`` → ``::1``)."""
    h = header.strip().lower()
    if h.startswith("["):
        return h[1:h.find("]")] if "]" in h else h
    return h.rsplit(":", 1)[0] if h.count(":") == 1 else h


class GuardMiddleware:
    """Security headers on every response; request bodies over ``max_body`` get 413; a Host that is not one of
    ``hosts`` gets 400 (a page elsewhere that rebinds its DNS name to this address cannot read the desk)."""

    def __init__(self, app: ASGIApp, max_body: int, hosts: Iterable[str] = LOCAL_HOSTS) -> None:
        self.app = app
        self.max_body = max_body
        self.hosts = frozenset(host_name(h) for h in hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"host"), "")
        if host_name(host) not in self.hosts:
            await self._error(send, 400, f"this desk answers only to {', '.join(sorted(self.hosts))}, not to "
                                         f"the host {host!r} (serve --allow-host NAME adds a name)")
            return
        started = False

        async def send_wrapped(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [h for h in message.get("headers", []) if h[0].lower() not in dict(SECURITY_HEADERS)]
                message = {**message, "headers": headers + SECURITY_HEADERS}
            await send(message)

        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    too_big = int(value) > self.max_body
                except ValueError:
                    too_big = False
                if too_big:
                    await self._reject(scope, send_wrapped)
                    return
        seen = 0

        async def receive_limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise BodyTooLarge()
            return message

        try:
            await self.app(scope, receive_limited, send_wrapped)
        except BodyTooLarge:
            if not started:
                await self._reject(scope, send_wrapped)

    async def _reject(self, scope: Scope, send: Send) -> None:
        await self._error(send, 413, f"request body over the limit of {self.max_body} bytes")

    @staticmethod
    async def _error(send: Send, status: int, message: str) -> None:
        body = json.dumps({"error": message, "status": status}).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close"), *SECURITY_HEADERS]})
        await send({"type": "http.response.body", "body": body})


class ReadPool:
    """One read-only SQLite connection per thread."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()

    def conn(self) -> sqlite3.Connection:
        c = getattr(self._local, "conn", None)
        if c is None:
            c = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
            c.row_factory = sqlite3.Row
            c.execute("PRAGMA busy_timeout = 30000")
            c.execute("PRAGMA query_only = 1")
            c.execute("PRAGMA mmap_size = 268435456")  # pages shared through the OS cache, not per connection
            self._local.conn = c
        return c

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot for one page's queries."""
        c = self.conn()
        c.execute("BEGIN")
        try:
            yield c
        finally:
            c.execute("ROLLBACK")


class NotFound(Exception):
    def __init__(self, what: str) -> None:
        self.what = what


class Unauthorized(Exception):
    pass


class BadInput(Exception):
    def __init__(self, message: str) -> None:
        self.message = message


def _env() -> Environment:
    env = Environment(loader=PackageLoader("newsfold.present.web", "templates"), autoescape=True,
                      trim_blocks=True, lstrip_blocks=True, auto_reload=False)
    env.filters["snippet"] = snippet_html
    env.filters["safe_url"] = safe_url
    env.filters["date"] = short_date
    env.filters["idq"] = idq
    env.filters["outlets_in_words"] = outlets_in_words  # "2 outlets, 2 unknown", as the CLI says it
    env.globals["timeline_svg"] = timeline_svg
    env.globals["article_paragraphs"] = article_paragraphs
    return env


def create_app(db_path: str, token: str | None = None, max_body: int = DEFAULT_MAX_BODY, *,
               upload_dir: str | Path | None = None, ingest: IngestFn | None = None,
               hosts: Iterable[str] = LOCAL_HOSTS) -> FastAPI:
    """The web app over the store at ``db_path``.

    ``token`` guards writes; when None one is generated (read it from
    ``app.state.token``).  ``ingest`` replaces the pipeline call (tests).
    Requests whose Host is not one of ``hosts`` get 400.
    """
    Store(db_path).close()  # create / migrate the file before any reader opens it
    token = token or secrets.token_urlsafe(18)
    pool = ReadPool(db_path)
    jobs = JobManager(db_path, Path(upload_dir) if upload_dir else Path(f"{db_path}-uploads"), ingest)
    env = _env()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        jobs.close()

    app = FastAPI(title="newsfold", version="0.1.0", docs_url=None, redoc_url=None, lifespan=lifespan,
                  default_response_class=SafeJSONResponse,
                  description="Stories, briefings, articles and search over a newsfold store. "
                              "Writes need `Authorization: Bearer TOKEN`.")
    app.state.token = token
    app.state.jobs = jobs
    app.state.pool = pool
    app.state.max_body = max_body
    app.mount("/static", StaticFiles(packages=[("newsfold.present.web", "static")]), name="static")

    def page(name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        return HTMLResponse(env.get_template(name).render(**ctx), status_code=status)

    def check_token(request: Request, form_token: str | None = None) -> None:
        given = form_token or ""
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            given = auth[7:].strip()
        if not given or not hmac.compare_digest(given.encode(), token.encode()):
            raise Unauthorized()

    # ------------------------------------------------------------ errors
    def wants_json(request: Request) -> bool:
        return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"

    def error(request: Request, status: int, title: str, message: str) -> Response:
        if wants_json(request):
            headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
            return SafeJSONResponse({"error": message, "status": status}, status_code=status, headers=headers)
        return page("error.html", status=status, title=title, message=message, status_code=status)

    @app.exception_handler(NotFound)
    async def _nf(request: Request, exc: NotFound) -> Response:
        return error(request, 404, "Not found", f"No {exc.what} here. It may never have existed, or it was merged.")

    @app.exception_handler(Unauthorized)
    async def _unauth(request: Request, exc: Unauthorized) -> Response:
        return error(request, 401, "Token needed",
                     "Adding articles needs the server's token: send Authorization: Bearer TOKEN "
                     "(printed when `newsfold serve` started, or set with NEWSFOLD_TOKEN / --token).")

    @app.exception_handler(BadInput)
    async def _bad(request: Request, exc: BadInput) -> Response:
        return error(request, 400, "Bad input", exc.message)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return error(request, 404, "Not found", "There is no page at this address.")
        return error(request, exc.status_code, "Error", str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        msgs = "; ".join(f"{'.'.join(str(x) for x in e.get('loc', [])[1:])}: {e.get('msg')}" for e in exc.errors())
        return error(request, 400, "Bad request", msgs or "invalid parameters")

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        log.exception("error serving %s", request.url.path)
        return error(request, 500, "Something went wrong",
                     "The server hit an error on this page; the log has the details.")

    # Pages that run a few indexed queries are ``async``: they run on the event loop's thread
    # (one SQLite connection, no thread hand-off per request, which matters most on a busy
    # machine).  Search and sources, which can scan, stay sync and run in the thread pool.

    # ----------------------------------------------------------- stories
    def story_filter(since: str | None, until: str | None, outlet: str | None, min_size: str | None,
                     max_size: str | None, limit: int, page_no: int) -> q.StoryFilter:
        return q.StoryFilter(since=since or None, until=until or None, outlet=outlet or None,
                             min_size=int(min_size) if min_size else None,
                             max_size=int(max_size) if max_size else None, limit=limit, offset=(page_no - 1) * limit)

    def stories_data(flt: q.StoryFilter) -> q.StoryList:
        with pool.reading() as c:
            return q.list_stories(c, flt)

    Since = Query(None, description="only stories whose latest article is from this ISO date or later")
    Until = Query(None, description="only stories whose latest article is from this ISO date or earlier")
    Outlet = Query(None, description="only stories with an article from this outlet")
    MinSize = Query(None, description="at least this many articles", pattern=r"^\d{0,6}$")
    MaxSize = Query(None, description="at most this many articles", pattern=r"^\d{0,6}$")
    Limit = Query(30, ge=1, le=q.MAX_PAGE)
    PageNo = Query(1, ge=1, le=100000)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    @app.get("/stories", response_class=HTMLResponse, summary="Stories page (HTML)")
    async def stories_page(request: Request, since: str | None = Since, until: str | None = Until,
                     outlet: str | None = Outlet, min_size: str | None = MinSize, max_size: str | None = MaxSize,
                     limit: int = Limit, page_no: int = Query(1, ge=1, le=100000, alias="page")) -> HTMLResponse:
        flt = story_filter(since, until, outlet, min_size, max_size, limit, page_no)
        data = stories_data(flt)
        params = {k: v for k, v in request.query_params.items() if k != "page" and v}
        prev_url = f"/stories?{urlencode({**params, 'page': page_no - 1})}" if page_no > 1 else None
        next_url = f"/stories?{urlencode({**params, 'page': page_no + 1})}" if data.has_more else None
        return page("stories.html", data=data, page_no=page_no, params=params,
                    prev_url=prev_url, next_url=next_url,
                    api=f"/api/stories?{request.url.query}" if request.url.query else "/api/stories",
                    nav="stories")

    @app.get("/api/stories", summary="List stories, newest activity first")
    async def api_stories(since: str | None = Since, until: str | None = Until, outlet: str | None = Outlet,
                    min_size: str | None = MinSize, max_size: str | None = MaxSize, limit: int = Limit,
                    page: int = PageNo) -> dict[str, Any]:
        data = stories_data(story_filter(since, until, outlet, min_size, max_size, limit, page))
        return {**q.to_jsonable(data), "page": page}

    def load_story(story_id: str) -> q.StoryDetail:
        with pool.reading() as c:
            d = q.story_detail(c, story_id)
        if d is None:
            raise NotFound("story with this id")
        return d

    # ids may hold "/", "?", "#" or "%": links percent-encode them (``idq``) and the routes take the whole path
    @app.get("/stories/{story_id:path}", response_class=HTMLResponse, summary="Story page (HTML)")
    async def story_page(story_id: str) -> HTMLResponse:
        d = load_story(story_id)
        return page("story.html", s=d, numbers=d.numbers, api=f"/api/stories/{idq(story_id)}", nav="stories")

    @app.get("/api/stories/{story_id:path}", summary="One story with its briefing and citations")
    async def api_story(story_id: str) -> dict[str, Any]:
        return q.to_jsonable(load_story(story_id))

    # ---------------------------------------------------------- articles
    def load_article(article_id: str) -> q.ArticleDetail:
        with pool.reading() as c:
            d = q.article_detail(c, article_id)
        if d is None:
            raise NotFound("article with this id")
        return d

    @app.get("/articles/{article_id:path}", response_class=HTMLResponse, summary="Article page (HTML)")
    async def article_page(article_id: str) -> HTMLResponse:
        d = load_article(article_id)
        return page("article.html", a=d, api=f"/api/articles/{idq(article_id)}", nav="")

    @app.get("/api/articles/{article_id:path}", summary="One article: cleaned text, removed lines, copies, passages")
    async def api_article(article_id: str) -> dict[str, Any]:
        return q.to_jsonable(load_article(article_id))

    # ------------------------------------------------------------ search
    def run_search(text: str, limit: int, page_no: int) -> q.SearchResults:
        with pool.reading() as c:
            return q.search(c, text, limit=limit, offset=(page_no - 1) * limit)

    @app.get("/search", response_class=HTMLResponse, summary="Search page (HTML)")
    def search_page(request: Request, q_: str = Query("", alias="q", max_length=500), limit: int = Query(20, ge=1, le=100),
                    page_no: int = Query(1, ge=1, le=1000, alias="page")) -> HTMLResponse:
        res = run_search(q_, limit, page_no)
        return page("search.html", res=res, page_no=page_no, limit=limit, nav="search",
                    api=f"/api/search?{request.url.query}" if request.url.query else "/api/search")

    @app.get("/api/search", summary="Full-text search over articles and stories (BM25, with snippets)")
    def api_search(q_: str = Query("", alias="q", max_length=500), limit: int = Query(20, ge=1, le=100),
                   page: int = Query(1, ge=1, le=1000)) -> dict[str, Any]:
        res = q.to_jsonable(run_search(q_, limit, page))
        for hit in res["stories"] + res["articles"]:  # markers → plain brackets in JSON
            hit["snippet"] = hit["snippet"].replace(q.MARK_START, "[").replace(q.MARK_END, "]")
        return res

    # ----------------------------------------------------------- sources
    @app.get("/sources", response_class=HTMLResponse, summary="Sources page (HTML)")
    def sources_page() -> HTMLResponse:
        with pool.reading() as c:
            stats = q.source_stats(c)
        return page("sources.html", stats=stats, api="/api/sources", nav="sources")

    @app.get("/api/sources", summary="Per-outlet counts, first/last seen, reprints")
    def api_sources() -> dict[str, Any]:
        with pool.reading() as c:
            return {"sources": q.to_jsonable(q.source_stats(c))}

    # --------------------------------------------------------------- add
    @app.get("/add", response_class=HTMLResponse, summary="Add articles page (HTML)")
    async def add_page() -> HTMLResponse:
        return page("add.html", jobs=jobs.recent(), max_body=max_body, api="/api/jobs", nav="add", message=None)

    @app.post("/add", response_class=HTMLResponse, include_in_schema=False)
    async def add_form(request: Request) -> Response:
        form = await request.form(max_files=1000, max_fields=20, max_part_size=max_body)
        check_token(request, str(form.get("token") or ""))
        files: list[tuple[str | None, bytes]] = []
        for up in form.getlist("files"):
            if hasattr(up, "read"):
                data = await up.read()
                if data:
                    files.append((up.filename, data))
        pasted = str(form.get("jsonl") or "").strip()
        if pasted:
            try:
                files.append(("pasted.jsonl", records_to_jsonl(pasted.encode("utf-8"))))
            except ValueError as e:
                raise BadInput(f"The pasted text is not JSON lines: {e}") from None
        if not files:
            raise BadInput("Nothing to add: choose files or paste JSON lines.")
        job = jobs.submit(files)
        return RedirectResponse(f"/jobs/{job.id}", status_code=303)

    @app.post("/api/articles", status_code=202, summary="Add articles (JSON object, list, or JSONL); needs the token")
    async def api_add(request: Request, wait: float = Query(0, ge=0, le=600,
                                                              description="seconds to wait for the ingest")) -> Response:
        check_token(request)
        body = await request.body()
        try:
            data = records_to_jsonl(body)
        except (ValueError, UnicodeDecodeError) as e:
            raise BadInput(str(e)) from None
        job = jobs.submit([("api.jsonl", data)])
        if wait:
            import anyio

            job = await anyio.to_thread.run_sync(jobs.wait, job.id, wait) or job
        return SafeJSONResponse(job_json(job), status_code=200 if job.status in ("done", "failed") else 202)

    @app.post("/api/refold", status_code=202, summary="Run the pipeline stages over what is stored; needs the token")
    async def api_refold(request: Request) -> Response:
        check_token(request)
        job = jobs.submit([])
        return SafeJSONResponse(job_json(job), status_code=202)

    def job_json(job: Job) -> dict[str, Any]:
        return {**job.to_dict(), "url": f"/jobs/{job.id}", "api": f"/api/jobs/{job.id}"}

    def load_job(job_id: str) -> Job:
        job = jobs.get(job_id)
        if job is None:
            raise NotFound("ingest job with this id (jobs are kept in memory until the server restarts)")
        return job

    @app.get("/jobs/{job_id}", response_class=HTMLResponse, summary="Ingest job page (HTML)")
    async def job_page(job_id: str) -> HTMLResponse:
        job = load_job(job_id)
        return page("job.html", job=job, api=f"/api/jobs/{job_id}", nav="add",
                    refresh=job.status in ("queued", "running"))

    @app.get("/api/jobs/{job_id}", summary="Progress and ledger result of one ingest job")
    async def api_job(job_id: str) -> dict[str, Any]:
        return job_json(load_job(job_id))

    @app.get("/api/jobs", summary="Recent ingest jobs")
    async def api_jobs() -> dict[str, Any]:
        return {"jobs": [job_json(j) for j in jobs.recent(50)]}

    # -------------------------------------------------------------- docs
    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    def docs_page() -> HTMLResponse:
        ops = []
        for path, methods in app.openapi().get("paths", {}).items():
            for method, op in methods.items():
                params = [{"name": p.get("name"), "in": p.get("in"), "required": p.get("required", False),
                           "description": p.get("description") or ""} for p in op.get("parameters", [])]
                ops.append({"method": method.upper(), "path": path, "summary": op.get("summary") or "",
                            "params": params})
        return page("docs.html", ops=ops, api="/openapi.json", nav="docs")

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> Response:
        return RedirectResponse("/static/favicon.svg", status_code=301)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, Any]:
        with pool.reading() as c:
            n = c.execute("SELECT count(*) FROM articles").fetchone()[0]
        return {"ok": True, "articles": n}

    app.add_middleware(GuardMiddleware, max_body=max_body, hosts=hosts)
    return app


def create_app_from_env() -> FastAPI:
    """The app configured by environment variables (how ``newsfold serve --workers N`` starts each process).

    ``NEWSFOLD_DB`` (required), ``NEWSFOLD_TOKEN`` (required: every process must share it),
    ``NEWSFOLD_MAX_BODY`` (bytes), ``NEWSFOLD_UPLOAD_DIR``, ``NEWSFOLD_HOSTS`` (the Host names it answers to,
    comma-separated; default the loopback names).
    """
    db, token = os.environ.get("NEWSFOLD_DB"), os.environ.get("NEWSFOLD_TOKEN")
    if not db or not token:
        raise RuntimeError("NEWSFOLD_DB and NEWSFOLD_TOKEN must be set")
    return create_app(db, token=token, max_body=int(os.environ.get("NEWSFOLD_MAX_BODY", DEFAULT_MAX_BODY)),
                      upload_dir=os.environ.get("NEWSFOLD_UPLOAD_DIR") or None,
                      hosts=[h for h in os.environ.get("NEWSFOLD_HOSTS", "").split(",") if h] or LOCAL_HOSTS)
