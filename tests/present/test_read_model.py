"""One read model for the CLI, the JSON API and the pages: same functions, same shapes, light listings."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html import unescape
from pathlib import Path

from click.testing import CliRunner
from fastapi.testclient import TestClient

from newsfold.present.cli import cli
from newsfold.ingest import ingest_paths
from newsfold.store.db import Store
from newsfold.summarize.stage import SummariesStage
from newsfold.present.web import create_app
from test_web import seeded  # noqa: F401  (the seed store of the web tests, a fixture)
from test_web_data import EXAMPLES, SEED_STORY
from nfpaths import ROOT



def _cli_json(db: Path, *args: str) -> dict:
    res = CliRunner().invoke(cli, ["--db", str(db), *args, "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


def test_seed_story_cli_json_equals_the_api(seeded) -> None:
    db, sid = seeded
    client = TestClient(create_app(str(db), token="t"), base_url="http://localhost")
    api = client.get(f"/api/stories/{sid}").json()
    assert _cli_json(db, "story", sid) == api
    assert api["briefing"]["summary"] and api["citations"] and len(api["articles"]) == 4
    # the listing too, with the same filters and page
    assert _cli_json(db, "stories") == client.get("/api/stories").json()
    assert _cli_json(db, "stories", "--min-size", "4", "--limit", "1") == \
        client.get("/api/stories?min_size=4&limit=1").json()


def test_listing_imports_no_ml_library(seeded) -> None:
    db, _ = seeded
    heavy = ["sklearn", "onnxruntime", "spacy", "torch", "scipy", "newsfold.stories.stage",
             "newsfold.stories.cluster_batch", "newsfold.stories.cluster_online", "newsfold.stories.represent",
             "newsfold.summarize"]
    code = ("import json, sys\nfrom newsfold.present.cli import cli\n"
            f"try:\n    cli(['--db', {str(db)!r}, 'stories', '--json'], standalone_mode=False)\n"
            "finally:\n    print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT / "src")})
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["stories"], "the listing ran"
    loaded = json.loads(out.stderr.strip().splitlines()[-1])
    assert [m for m in loaded if any(m == h or m.startswith(h + ".") for h in heavy)] == []


ODD_IDS = ["wire/2021/harbour", "page?id=7&x=1", "note#part-2", "rate-50%-off"]


def test_ids_with_url_characters_open_from_their_own_links(tmp_path: Path) -> None:
    src = tmp_path / "odd"
    src.mkdir()
    text = ("The harbour authority opened a new ferry terminal on the eastern quay on Monday morning.\n"
            "Officials said the terminal would serve three routes and employ forty people this year.")
    (src / "odd.jsonl").write_text("\n".join(json.dumps({"id": i, "title": f"Terminal {n}", "text": f"{text} ({n})"})
                                             for n, i in enumerate(ODD_IDS)), encoding="utf-8")
    db = tmp_path / "odd.db"
    with Store(db) as store:
        ingest_paths(store, [str(src)])
        assert {r[0] for r in store.conn.execute("SELECT id FROM articles")} == set(ODD_IDS)
        with store.atomic() as c:
            c.execute("INSERT INTO stories (id, headline, size) VALUES ('s/1?#%', 'Ferry terminal', 4)")
            c.executemany("INSERT INTO story_articles (article_id, story_id, score, reason) VALUES (?, 's/1?#%', 1, 't')",
                          [(i,) for i in ODD_IDS])
    client = TestClient(create_app(str(db), token="t"), base_url="http://localhost")
    listing = client.get("/stories").text
    [story_href] = re.findall(r'class="headline" href="([^"]+)"', listing)
    page = client.get(unescape(story_href))
    assert page.status_code == 200 and "Ferry terminal" in page.text
    hrefs = {unescape(h) for h in re.findall(r'href="(/articles/[^"#]+)', page.text)}
    assert len(hrefs) == len(ODD_IDS)
    for h in hrefs:
        art = client.get(h)
        assert art.status_code == 200, h
        api = client.get("/api" + h).json()
        assert api["id"] in ODD_IDS and f"Terminal {ODD_IDS.index(api['id'])}" in art.text
    assert client.get(unescape(re.search(r'href="(/api/stories/[^"]+)"', page.text).group(1))).json()["id"] == "s/1?#%"


def test_article_api_shows_the_input_file_name_not_the_server_path(tmp_path: Path) -> None:
    upload = tmp_path / "srv" / "uploads" / "job-1"
    upload.mkdir(parents=True)
    (upload / "batch.jsonl").write_text(json.dumps({"id": "a1", "title": "T", "text": "One short line of text here."}),
                                        encoding="utf-8")
    db = tmp_path / "p.db"
    with Store(db) as store:
        ingest_paths(store, [str(upload)])
        assert str(tmp_path) in store.conn.execute("SELECT source_ref FROM articles").fetchone()[0]
    client = TestClient(create_app(str(db), token="t"), base_url="http://localhost")
    api = client.get("/api/articles/a1")
    assert api.json()["source_ref"].startswith("batch.jsonl")
    assert str(tmp_path) not in api.text and str(tmp_path) not in client.get("/articles/a1").text


def test_seed_articles_without_outlet_show_their_site_or_their_file(tmp_path: Path) -> None:
    db = tmp_path / "o.db"
    with Store(db) as store:
        ingest_paths(store, [str(EXAMPLES)])
        outlets = dict(store.conn.execute("SELECT id, outlet FROM articles").fetchall())
        assert outlets[SEED_STORY[1]] is None, "the seed this is about has no outlet"
        with store.atomic() as c:  # the seed story written directly; the briefing by the real summarizer
            c.execute("INSERT INTO stories (id, headline, size) VALUES ('s1', '', 4)")
            c.executemany("INSERT INTO story_articles (article_id, story_id, score, reason) VALUES (?, 's1', 1, 't')",
                          [(i,) for i in SEED_STORY])
        SummariesStage(with_nlp=False).catch_up(store)
    client = TestClient(create_app(str(db), token="t"), base_url="http://localhost")
    story = client.get("/api/stories/s1").json()
    shown = ([a["outlet"] for a in story["briefing"]["additions"]] + [t["outlet"] for t in story["briefing"]["timeline"]]
             + story["outlets"] + [a["outlet"] for a in story["articles"]] + [c["outlet"] for c in story["citations"]])
    # an article with no outlet is labelled "unknown outlet (file …)", never by its bare id
    assert story["briefing"]["additions"] and any(o.startswith("unknown outlet (file ") for o in shown)
    assert not set(shown) & set(SEED_STORY) and "unknown outlet" not in shown
    page = client.get("/stories/s1").text
    adds = page[page.index('id="additions"'):page.index("</section>", page.index('id="additions"'))]
    heads = [unescape(h) for h in re.findall(r"<h3>(.*?)</h3>", adds)]
    assert heads and any(h.startswith("unknown outlet (file ") for h in heads) and not set(heads) & set(SEED_STORY)
    text = CliRunner().invoke(cli, ["--db", str(db), "story", "s1"]).output
    assert "unknown outlet (file " in text and not re.search(r"^\s+" + re.escape(SEED_STORY[1]) + r" \[", text, re.M)


def test_two_in_memory_stores_do_not_share_their_listings() -> None:
    """The listing caches tell in-memory stores apart: each lists its own story count and outlets."""
    from newsfold.ingest import ingest_records
    from newsfold.pipeline import run_pipeline
    from newsfold.present.query import StoryFilter, list_stories
    from newsfold.store.db import Store

    texts = [p.read_text(encoding="utf-8") for p in sorted(EXAMPLES.glob("0*.txt"))]
    one, two = Store(":memory:"), Store(":memory:")
    ingest_records(one, [{"id": "a", "text": texts[0], "outlet": "First Wire"}])
    ingest_records(two, [{"id": f"b{i}", "text": t, "outlet": "Second Wire"} for i, t in enumerate(texts)])
    for s in (one, two):
        run_pipeline(s, [], skip=["summaries"])
    first, second = list_stories(one.conn, StoryFilter()), list_stories(two.conn, StoryFilter())
    assert first.total == 1 and second.total == 2
    assert set(first.stories[0].outlets) == {"First Wire"}
    assert all("First Wire" not in s.outlets for s in second.stories)
