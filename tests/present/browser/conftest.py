"""A real `newsfold serve` on a free loopback port over a temp store filled from examples/, and headless Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from newsfold.store.db import Store  # noqa: E402
from test_web_data import EXAMPLES, SEED_STORY, add_seed_story_rows, story_of  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
TOKEN = "browser-test-token"


@dataclass
class Server:
    url: str
    db: Path
    seed_story: str
    token: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    db = tmp_path_factory.mktemp("browser") / "desk.db"
    port = _free_port()
    env = {**os.environ, "NEWSFOLD_TOKEN": TOKEN, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    log = open(db.parent / "server.log", "w")
    # a real uvicorn server in its own process, built by the same factory `newsfold serve` uses
    script = ("import sys, uvicorn; from newsfold.present.web import create_app; "
              "uvicorn.run(create_app(sys.argv[1], token=sys.argv[2]), host='127.0.0.1', port=int(sys.argv[3]),"
              " log_level='warning')")
    proc = subprocess.Popen([sys.executable, "-c", script, str(db), TOKEN, str(port)],
                            stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("newsfold serve did not start: " + (db.parent / "server.log").read_text()[-2000:])
        time.sleep(0.2)
    try:
        sid = _add_seeds(url, db)
        yield Server(url=url, db=db, seed_story=sid, token=TOKEN)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _add_seeds(url: str, db: Path) -> str:
    """Upload examples/ through the add form; the server's worker runs the whole pipeline on them."""
    import httpx

    files = [("files", (p.name, p.read_bytes(), "text/plain")) for p in sorted(EXAMPLES.glob("*.txt"))]
    with httpx.Client(base_url=url, timeout=60) as c:
        r = c.post("/add", files=files, data={"token": TOKEN}, follow_redirects=False)
        assert r.status_code == 303, r.text
        job_id = r.headers["location"].rsplit("/", 1)[-1]
        deadline = time.monotonic() + 600
        while True:
            job = c.get(f"/api/jobs/{job_id}").json()
            if job["status"] in ("done", "failed") or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    assert job["status"] == "done", job
    store = Store(db)
    try:
        sid = story_of(store, SEED_STORY[0])
        has_briefing = sid and store.conn.execute("SELECT 1 FROM summaries WHERE story_id = ?", (sid,)).fetchone()
        if not has_briefing:  # a build without the stories or summaries stage: write the rows directly
            add_seed_story_rows(store, sid)
            sid = story_of(store, SEED_STORY[0])
    finally:
        store.close()
    assert sid
    return sid


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: run scripts/browser-deps (installs Debian chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.errors = errors  # type: ignore[attr-defined]
    yield pg
    ctx.close()
