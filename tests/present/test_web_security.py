"""Untrusted text renders as text; writes need the token; big bodies get 413; uploads stay put."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from newsfold.models import Article
from newsfold.store.db import Store
from newsfold.present.web import create_app
from newsfold.present.web.jobs import IngestOutcome, safe_filename, save_into

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

SCRIPT = '<script>alert("pwned")</script>'
IMG = '<img src=x onerror=alert(1)>'
SVG = '<svg onload=alert(2)>'
ATTR = '"><a href="javascript:alert(3)">click</a>'
JS_URL = "javascript:alert(4)"
PAYLOADS = [SCRIPT, IMG, SVG, ATTR]


def payload_article(i: int) -> Article:
    text = (f"The council met on Tuesday {SCRIPT} to discuss the budget.\n"
            f"Residents said {IMG} the plan was late {SVG} and costly.\n"
            f"A spokesman replied {ATTR} that nothing was decided.")
    return Article(id=f"evil-{i}", title=f"Budget {SCRIPT} {IMG}", outlet=f"Evil {ATTR} Times", url=JS_URL,
                   published="2024-05-01T10:00:00+00:00", text=text, content_hash=f"h{i}",
                   source_ref=f"evil{SCRIPT}.txt", meta={})


@pytest.fixture()
def evil(tmp_path: Path) -> Iterator[tuple[TestClient, Path]]:
    db = tmp_path / "evil.db"
    store = Store(db)
    with store.atomic() as c:
        store.insert_article(payload_article(1))
        c.execute("INSERT INTO stories (id, headline, first_published, last_published, size) VALUES (?,?,?,?,1)",
                  ("s-evil", f"Story {SCRIPT}", "2024-05-01", "2024-05-01"))
        c.execute("INSERT INTO story_articles (article_id, story_id) VALUES ('evil-1', 's-evil')")
        briefing = {"headline": f"Head {SCRIPT}", "summary": [{"text": f"Residents said {IMG} the plan",
                                                                "article_ids": ["evil-1"]}],
                    "entities": [{"name": SVG, "label": ATTR, "count": 1, "article_ids": ["evil-1"]}],
                    "additions": [{"outlet": ATTR, "sentences": [{"text": SCRIPT, "article_id": "evil-1"}]}],
                    "quotes": [{"speaker": IMG, "text": SCRIPT, "renderings": [
                        {"text": SCRIPT, "article_id": "evil-1", "outlet": ATTR, "sentence": SCRIPT}]}],
                    "discrepancies": [{"kind": "number", "subject": SVG, "values": [
                        {"value": IMG, "article_ids": ["evil-1"], "sentences": [ATTR]}]}]}
        c.execute("INSERT INTO summaries (story_id, briefing_json, story_version) VALUES ('s-evil', ?, 'x')",
                  (json.dumps(briefing),))
        c.execute("INSERT INTO stories_fts (story_id, headline, summary) VALUES ('s-evil', ?, ?)",
                  (f"Story {SCRIPT}", f"council {SCRIPT} budget"))
        c.execute("INSERT INTO ledger (run_id, ref, outcome, reason, article_id) VALUES ('r1', ?, 'rejected', ?, NULL)",
                  (f"x{SCRIPT}", IMG))
    store.close()
    with TestClient(create_app(str(db), token=TOKEN, max_body=200_000, upload_dir=tmp_path / "uploads"),
                    base_url="http://localhost") as client:
        yield client, tmp_path  # leaving the block stops the ingest worker process


def assert_inert(html: str) -> None:
    for p in PAYLOADS:
        assert p not in html
    assert "<script>alert" not in html
    assert not re.search(r"<(img|svg)[^>]*\bon\w+=", html, re.I)
    assert 'href="javascript:' not in html.lower()
    assert not re.search(r"<script(?![^>]*\bsrc=\"/static/app\.js\")", html)


def test_payloads_render_as_text_on_every_page(evil) -> None:
    client, _ = evil
    pages = ["/", "/stories/s-evil", "/articles/evil-1", "/search?q=council", "/search?q=budget", "/sources",
             f"/search?q={SCRIPT}", "/stories?outlet=" + ATTR]
    for url in pages:
        r = client.get(url)
        assert r.status_code == 200, url
        assert_inert(r.text)
    story = client.get("/stories/s-evil").text
    art = client.get("/articles/evil-1").text
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;" in art  # shown, as text
    assert "&lt;img src=x onerror=alert(1)&gt;" in story
    # a javascript: URL is never a link
    assert "javascript:alert(4)" in art and 'href="javascript' not in art


def test_json_carries_payloads_as_data_and_escapes_angle_brackets(evil) -> None:
    client, _ = evil
    for url in ("/api/articles/evil-1", "/api/stories/s-evil", "/api/stories", "/api/search?q=council",
                "/api/sources"):
        r = client.get(url)
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("application/json")
        assert r.headers["x-content-type-options"] == "nosniff"
        assert b"<" not in r.content and b">" not in r.content  # \u003c: inert even if pasted into HTML
    art = client.get("/api/articles/evil-1").json()
    assert art["title"] == f"Budget {SCRIPT} {IMG}" and art["url"] == JS_URL  # the data itself is intact
    assert client.get("/api/stories/s-evil").json()["headline"] == f"Story {SCRIPT}"


def test_writes_need_the_token(evil) -> None:
    client, _ = evil
    body = json.dumps({"title": "t", "text": "Some text about a council meeting."})
    assert client.post("/api/articles", content=body).status_code == 401
    r = client.post("/api/articles", content=body, headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert client.post("/api/refold").status_code == 401
    r = client.post("/add", data={"jsonl": body, "token": "wrong"})
    assert r.status_code == 401 and "token" in r.text.lower() and "Traceback" not in r.text
    r = client.post("/add", data={"jsonl": body})
    assert r.status_code == 401


def test_oversized_bodies_get_413(evil) -> None:
    client, _ = evil
    big = json.dumps({"title": "big", "text": "word " * 60_000})  # 300 kB > 200 kB limit
    r = client.post("/api/articles", content=big, headers=AUTH)
    assert r.status_code == 413
    r = client.post("/add", files={"files": ("big.txt", b"x" * 300_000)}, data={"token": TOKEN})
    assert r.status_code == 413

    def chunks():  # no Content-Length: the limit is counted while reading
        for _ in range(30):
            yield b"y" * 10_000

    r = client.post("/api/articles", content=chunks(), headers=AUTH)
    assert r.status_code == 413


def test_upload_names_cannot_escape_the_upload_dir(tmp_path: Path) -> None:
    for bad in ("../../etc/passwd", "..\\..\\boot.ini", "/abs/path.txt", "....//x", ".hidden", "", "a\x00b.txt"):
        name = safe_filename(bad)
        assert "/" not in name and "\\" not in name and not name.startswith(".") and name
    up = tmp_path / "up"
    for bad in ("../../evil.jsonl", "../x", "/etc/cron.d/x"):
        p = save_into(up, bad, b"{}")
        assert p.resolve().parent == up.resolve()
    assert not (tmp_path / "evil.jsonl").exists()


def test_form_upload_with_traversal_name_lands_inside_the_upload_dir(evil) -> None:
    client, tmp = evil
    rec = json.dumps({"title": "Harbour reopens", "text": "The harbour reopened on Monday after repairs to the quay wall.",
                      "outlet": "Coast News", "url": "https://example.org/harbour"})
    r = client.post("/add", files={"files": ("../../escaped.jsonl", rec.encode())}, data={"token": TOKEN},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/jobs/")
    assert not (tmp / "escaped.jsonl").exists() and not (tmp.parent / "escaped.jsonl").exists()
    saved = list((tmp / "uploads").rglob("*escaped.jsonl"))
    assert saved and all(p.resolve().is_relative_to((tmp / "uploads").resolve()) for p in saved)


@pytest.mark.slow
def test_api_add_ingests_payloads_and_they_stay_text(evil) -> None:
    client, _ = evil
    recs = [{"title": f"Ferry {SCRIPT}", "outlet": f"Port {IMG}", "url": JS_URL,
             "text": f"The ferry service resumed on Friday after the storm. Passengers {SVG} waited for hours."}]
    r = client.post("/api/articles?wait=120", content=json.dumps(recs), headers=AUTH)
    assert r.status_code == 200, r.text
    job = r.json()
    assert job["status"] == "done", job
    assert job["ledger"]["counts"].get("accepted") == 1
    aid = job["ledger"]["entries"][0]["article_id"]
    art = client.get(f"/api/articles/{aid}").json()
    assert SCRIPT in art["title"]
    assert_inert(client.get(f"/articles/{aid}").text)
    assert_inert(client.get(f"/jobs/{job['id']}").text)
    # JSONL works too, and bad JSON is a 400 with a hint, not a traceback
    r = client.post("/api/articles", content=b'{"title": "a", "text": "b"}\n{"oops', headers=AUTH)
    assert r.status_code == 400 and "line 2" in r.json()["error"]


def test_reads_keep_working_while_an_ingest_holds_the_writer(tmp_path: Path) -> None:
    db = tmp_path / "busy.db"
    Store(db).close()
    started, release = threading.Event(), threading.Event()

    def slow_ingest(store: Store, paths, progress) -> IngestOutcome:
        with store.atomic():
            store.insert_article(payload_article(9))
            progress("ingest", 0, 1)
            started.set()
            release.wait(20)  # hold the write transaction open
        return IngestOutcome()

    client = TestClient(create_app(str(db), token=TOKEN, ingest=slow_ingest, upload_dir=tmp_path / "u"),
                        base_url="http://localhost")
    r = client.post("/api/articles", content=b'{"text": "x"}', headers=AUTH)
    assert r.status_code == 202
    assert started.wait(10)
    try:
        t0 = time.perf_counter()
        for url in ("/", "/api/stories", "/sources", "/search?q=council", "/api/articles/evil-9"):
            r = client.get(url)
            assert r.status_code in (200, 404), url
        assert client.get("/api/articles/evil-9").status_code == 404  # not committed yet: not visible
        assert time.perf_counter() - t0 < 5
        job = client.get(f"/api/jobs/{client.get('/api/jobs').json()['jobs'][0]['id']}").json()
        assert job["status"] == "running" and job["stage"] == "ingest"
    finally:
        release.set()
    for _ in range(100):
        if client.get("/api/articles/evil-9").status_code == 200:
            break
        time.sleep(0.05)
    assert client.get("/api/articles/evil-9").status_code == 200


# ------------------------------------------------------------- Host header (DNS rebinding)

def test_only_the_desks_own_host_names_are_answered(tmp_path: Path) -> None:
    app = create_app(str(tmp_path / "h.db"), token=TOKEN, upload_dir=tmp_path / "u", hosts=["127.0.0.1", "localhost",
                                                                                             "::1", "desk.example"])
    client = TestClient(app, base_url="http://localhost")
    for host in ["localhost", "localhost:8000", "127.0.0.1:8000", "[::1]:8000", "DESK.example"]:
        assert client.get("/healthz", headers={"Host": host}).status_code == 200, host
    for host in ["evil.example", "evil.example:8000", "127.0.0.1.evil.example", "localhost.evil.example", ""]:
        r = client.get("/api/stories", headers={"Host": host})
        assert r.status_code == 400, host
        assert "answers only to" in r.json()["error"] and r.headers["x-content-type-options"] == "nosniff"


def test_serve_answers_400_to_another_host_and_200_to_an_allowed_one(tmp_path: Path) -> None:
    import http.client
    import os
    import socket
    import subprocess
    import sys

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "newsfold", "--db", str(tmp_path / "s.db"), "serve", "--port",
                             str(port), "--allow-host", "desk.example", "--upload-dir", str(tmp_path / "u")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ})

    def status(host: str) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/healthz", headers={"Host": host})  # as curl -H 'Host: …'
        return conn.getresponse().status

    try:
        deadline = time.time() + 60
        while True:
            try:
                status("127.0.0.1")
                break
            except OSError:
                assert proc.poll() is None and time.time() < deadline, proc.stderr.read() if proc.stderr else ""
                time.sleep(0.2)
        assert status("evil.example") == 400
        assert status(f"127.0.0.1:{port}") == 200 and status(f"localhost:{port}") == 200
        assert status("desk.example") == 200
    finally:
        proc.terminate()
        proc.wait(10)
