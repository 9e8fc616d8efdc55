"""The web app and JSON API on the seeds: pages, JSON twins, citations, search, 404s."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from newsfold.sentences import sentences
from newsfold.present.web import create_app
from test_web_data import LOOKALIKE, SEED_STORY, build_seed_store, story_of

TOKEN = "test-token-123"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    db = tmp_path_factory.mktemp("web") / "seeds.db"
    # ingest for real, stories/briefing rows written directly: these tests check the web layer, not the
    # clustering or the summarizer (the browser tests run the whole pipeline)
    store = build_seed_store(db, pipeline=False)
    sid = story_of(store, SEED_STORY[0])
    store.close()
    assert sid
    return db, sid


@pytest.fixture(scope="module")
def client(seeded: tuple[Path, str]) -> TestClient:
    db, _ = seeded
    return TestClient(create_app(str(db), token=TOKEN), base_url="http://localhost")


def test_stories_page_lists_the_seed_story_and_its_json_twin_agrees(client: TestClient, seeded) -> None:
    _, sid = seeded
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert f'href="/stories/{sid}"' in r.text
    api = client.get("/api/stories").json()
    ids = [s["id"] for s in api["stories"]]
    assert sid in ids
    seed = next(s for s in api["stories"] if s["id"] == sid)
    assert seed["size"] == 4
    assert unescape(seed["headline"]) and seed["headline"] in unescape(r.text)
    # newest activity first: the 2018 story comes before the 2017 look-alike
    other = story_of_api(api, LOOKALIKE, client)
    if other:
        assert ids.index(sid) < ids.index(other)


def story_of_api(api: dict, article_id: str, client: TestClient) -> str | None:
    art = client.get(f"/api/articles/{article_id}").json()
    return art.get("story_id")


def test_story_filters_and_paging(client: TestClient, seeded) -> None:
    _, sid = seeded
    assert sid in [s["id"] for s in client.get("/api/stories?min_size=4").json()["stories"]]
    assert sid not in [s["id"] for s in client.get("/api/stories?min_size=5").json()["stories"]]
    assert sid not in [s["id"] for s in client.get("/api/stories?until=2017-12-31").json()["stories"]]
    assert sid in [s["id"] for s in client.get("/api/stories?since=2018-12-01").json()["stories"]]
    assert sid in [s["id"] for s in client.get("/api/stories?outlet=Reuters").json()["stories"]]
    assert client.get("/api/stories?outlet=Nobody%20Daily").json()["stories"] == []
    one = client.get("/api/stories?limit=1").json()
    assert len(one["stories"]) == 1 and one["has_more"]
    page2 = client.get("/stories?limit=1&page=2")
    assert page2.status_code == 200 and 'rel="prev"' in page2.text
    # the HTML filter form sends empty fields: they mean "no filter", not an error
    assert client.get("/stories?since=&until=&outlet=&min_size=").status_code == 200


def test_story_page_cites_sentences_that_are_in_the_cited_articles(client: TestClient, seeded) -> None:
    _, sid = seeded
    r = client.get(f"/stories/{sid}")
    assert r.status_code == 200
    page = r.text
    assert "<svg" in page and "tl-dot" in page  # the timeline chart, drawn on the server
    cites = re.findall(r'<a class="cite" href="/articles/([^"#]+)#s-(\d+)" title="([^"]*)"', page)
    assert cites, "the summary carries citation links to sentence anchors"
    story = client.get(f"/api/stories/{sid}").json()
    summary = story["briefing"]["summary"]
    assert summary and all(story_cites(story, s["text"]) for s in summary)
    for aid, n, title in cites[:6]:
        art = client.get(f"/articles/{aid}")
        assert art.status_code == 200
        m = re.search(rf'<span class="s[^"]*" id="s-{n}">(.*?)</span>', art.text, re.S)
        assert m, f"article {aid} has the anchor s-{n}"
        # hovering shows the same sentence the anchor highlights
        assert unescape(m.group(1)) in unescape(title)
    for sent in summary:
        first = story_cites(story, sent["text"])[0]
        text = client.get(f"/api/articles/{first['article_id']}").json()["text"]
        assert first["anchor"] is not None and first["sentence"] in text


def story_cites(story: dict, text: str) -> list[dict]:
    """The citations of one text of a story's briefing (``/api/stories/ID``), in the briefing's article order."""
    return [c for c in story["citations"] if c["text"] == text]


def test_article_page_shows_removed_lines_and_reused_passages(client: TestClient) -> None:
    a = client.get(f"/api/articles/{SEED_STORY[3]}").json()
    page = client.get(f"/articles/{SEED_STORY[3]}").text
    assert a["removed"], "the seeds carry boilerplate that cleaning removed"
    for rem in a["removed"][:3]:
        assert rem["reason"] in unescape(page)
    assert a["reused_from"], "003 re-uses sentences of the Reuters copy (002)"
    if a["reused_from"]:
        src = a["reused_from"][0]
        assert src["other"]["id"] == SEED_STORY[2]
        assert 'class="s reused' in page
        assert f'href="/articles/{SEED_STORY[2]}#s-' in page
        src_page = client.get(f"/articles/{SEED_STORY[2]}").text
        assert "Its sentences re-used by" in src_page
    # sentence anchors are numbered from the cleaned text, the same way everywhere
    assert len(a["sentences"]) == len(sentences(a["text"]))


def test_search_finds_articles_with_highlighted_snippets(client: TestClient) -> None:
    r = client.get("/search", params={"q": "dialogue"})
    assert r.status_code == 200
    assert "<mark>" in r.text
    hits = client.get("/api/search", params={"q": "dialogue"}).json()
    ids = [h["id"] for h in hits["articles"]]
    assert set(SEED_STORY) & set(ids)
    assert all("[" in h["snippet"] for h in hits["articles"])
    # FTS syntax in a user's words is not an error
    for bad in ['"', 'AND (', 'NEAR(', "*", "-", "a OR", "'; DROP TABLE articles; --"]:
        assert client.get("/api/search", params={"q": bad}).status_code == 200
        assert client.get("/search", params={"q": bad}).status_code == 200


def test_sources_page_counts_outlets(client: TestClient) -> None:
    r = client.get("/api/sources").json()["sources"]
    by = {s["outlet"]: s for s in r}
    assert sum(s["articles"] for s in r) >= 5
    assert "AFP" in by and by["AFP"]["articles"] >= 1
    assert "AFP" in client.get("/sources").text


def test_unknown_ids_get_404_pages_not_tracebacks(client: TestClient) -> None:
    for url in ("/stories/nope", "/articles/nope", "/jobs/nope", "/no/such/page"):
        r = client.get(url)
        assert r.status_code == 404
        assert r.headers["content-type"].startswith("text/html")
        assert "Traceback" not in r.text and "404" in r.text
    for url in ("/api/stories/nope", "/api/articles/nope", "/api/jobs/nope"):
        r = client.get(url)
        assert r.status_code == 404 and r.json()["status"] == 404
    assert client.get("/api/stories?limit=0").status_code == 400


def test_docs_page_lists_operations_without_external_assets(client: TestClient) -> None:
    r = client.get("/docs")
    assert r.status_code == 200
    for path in ("/api/stories", "/api/stories/{story_id}", "/api/articles/{article_id}", "/api/search"):
        assert path in r.text
    assert "POST" in r.text
    spec = client.get("/openapi.json").json()
    assert "/api/articles" in spec["paths"] and "post" in spec["paths"]["/api/articles"]
    for page in ("/", "/docs", f"/stories/{story_of_api({}, SEED_STORY[0], client)}", "/add", "/sources", "/search?q=x"):
        html = client.get(page).text
        assert not re.search(r'(src|href)="(https?:)?//', html.replace('href="https://www.themoscowtimes', '')), page


def test_pages_carry_a_csp_that_forbids_inline_script(client: TestClient) -> None:
    for url in ("/", "/api/stories", "/articles/nope", "/static/style.css"):
        csp = client.get(url).headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    html = client.get("/").text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "no inline script in our own pages"


def test_job_state_is_shared_between_server_processes(tmp_path: Path) -> None:
    """`serve --workers N`: a job submitted to one process is visible from another."""
    from newsfold.store.db import Store
    from newsfold.present.web.jobs import IngestOutcome, JobManager

    db = tmp_path / "jobs.db"
    Store(db).close()

    def fake_ingest(store, paths, progress) -> IngestOutcome:
        progress("ingest", 1, 1)
        return IngestOutcome()

    a = JobManager(str(db), tmp_path / "up", ingest=fake_ingest)
    b = JobManager(str(db), tmp_path / "up", ingest=fake_ingest)
    job = a.submit([("status.json", b'{"text": "x"}')])
    assert "status.json" not in job.files  # an upload cannot overwrite the job's state file
    done = a.wait(job.id, 10)
    assert done is not None and done.status == "done"
    seen = b.get(job.id)
    assert seen is not None and seen.status == "done" and seen.files == job.files
    assert [j.id for j in b.recent()] == [job.id]
    assert b.get("../../etc") is None and b.get("nope") is None


def test_story_page_counts_outlets_in_the_words_of_the_cli(client: TestClient, seeded) -> None:
    """The seed story has two named outlets and two articles of unknown outlet: the page says so, as
    `newsfold story` does, and does not count each unknown article as an outlet of its own."""
    _, sid = seeded
    labels = [a["outlet"] for a in client.get(f"/api/stories/{sid}").json()["articles"]]
    known = {o for o in labels if not o.startswith("unknown outlet")}
    assert len(known) >= 1 and len(known) < len(set(labels))  # some outlets known, some not
    kicker = re.search(r'<p class="kicker">(.*?)</p>', client.get(f"/stories/{sid}").text, re.S).group(1)
    assert f"{len(known)} outlet{'s' if len(known) != 1 else ''}, {len(set(labels)) - len(known)} unknown" in kicker
