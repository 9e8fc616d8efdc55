"""Identity by content: a new text under a held id is an update or a new article, never a "duplicate".

The rule (:mod:`newsfold.identity`): the same text is a duplicate; another
text of the same article (same URL, or same file and id) is an update that
keeps the old text; anything else is a new article under a new id.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from newsfold.ingest import ingest_paths
from newsfold.pipeline import run_pipeline
from newsfold.store.db import Store
from newsfold.store.versions import versions
from newsfold.summarize.render import render_briefing_text
from newsfold.summarize.stage import load_briefing

QUAKE = ("An earthquake of magnitude 6.1 struck the hills north of Teramo before dawn on Tuesday, "
         "the national geophysics institute said.\n"
         "Three people were killed when a farmhouse collapsed near the village of Campli, and twelve were "
         "taken to hospital with injuries, the civil protection agency said.\n"
         "Schools across the province will stay shut on Wednesday while engineers inspect the buildings.")
QUAKE_CORRECTED = QUAKE.replace("Three people were killed", "Five people were killed").replace(
    "twelve were", "twenty were")
FLOOD = ("Heavy rain flooded the lower town on Sunday, and the river rose two metres overnight.\n"
         "Residents of forty houses were moved to the school hall while pumps ran until morning.")
FIRE = ("A fire destroyed a grain warehouse at the port on Monday night, the fire service said.\n"
        "Nobody was hurt; the cause is not known and an inquiry has begun.")
PLACES = ["Ancona", "Bari", "Como", "Enna", "Fermo", "Lecce", "Lodi", "Massa", "Nuoro", "Prato"]
EVENTS = ["a bus overturned on the ring road", "a gas leak closed the main square", "a bridge was shut for repairs",
          "a market hall caught fire", "the river burst its banks"]


def _nf(db: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run([sys.executable, "-m", "newsfold", "--db", str(db), *args], capture_output=True,
                          text=True, timeout=120, cwd=cwd, env=env)


def _jsonl(path: Path, *records: dict) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _feed(day: int) -> str:
    """A day's RSS file: 50 items whose guids count 1–50 every day (a common CMS habit), each its own story."""
    items = []
    for i in range(50):
        place, event = PLACES[i % 10], EVENTS[(i // 10 + day) % 5]
        items.append(f"<item><title>{place}: {event} (day {day}, report {i + 1})</title>"
                     f"<link>https://news.example.org/{day}/{place.lower()}-{i + 1}</link>"
                     f'<guid isPermaLink="false">{i + 1}</guid>'
                     f"<description>In {place} on day {day}, {event}, police said. Officers counted {i + day} "
                     f"vehicles held up and asked drivers to avoid the area until evening.</description></item>")
    return ('<?xml version="1.0"?><rss version="2.0"><channel><title>Example News</title>'
            + "".join(items) + "</channel></rss>")


def test_same_file_name_added_from_inside_two_folders_keeps_both_texts(tmp_path):
    for d, text in (("d1", FLOOD), ("d2", FIRE)):
        (tmp_path / d).mkdir()
        _jsonl(tmp_path / d / "f.jsonl", {"id": "1", "text": text})
    db = tmp_path / "s.db"
    first = _nf(db, "add", "--no-dedup", "f.jsonl", cwd=tmp_path / "d1")
    assert first.returncode == 0, first.stderr
    second = _nf(db, "add", "--no-dedup", "--strict", "f.jsonl", cwd=tmp_path / "d2")
    # a different file: a new article under a new id, and --strict says so
    assert second.stdout.strip() == "1 accepted (1 under a new id after an id conflict), 0 duplicates, 0 rejected"
    assert second.returncode == 1
    with Store(db) as store:
        texts = {a.id: a.text for a in store.list_articles()}
        assert texts["1"].startswith("Heavy rain")
        [other] = [i for i in texts if i != "1"]
        assert other.startswith("1~") and texts[other].startswith("A fire")
        last = store.ledger()[-1]
        assert (last["outcome"], last["article_id"]) == ("accepted", other)
        assert last["reason"].startswith("id conflict")


def test_feed_rewritten_at_one_path_with_50_new_articles_adds_50(store, tmp_path):
    feed = tmp_path / "news.rss"
    feed.write_text(_feed(1))
    assert ingest_paths(store, [str(feed)]).accepted == 50
    feed.write_text(_feed(2))  # the next day's feed, the same guids 1–50, new links and texts
    rep = ingest_paths(store, [str(feed)])
    assert (rep.accepted, rep.duplicate, rep.rejected) == (50, 0, 0)
    assert store.count_articles() == 100
    # and the same feed read again is 50 duplicates, not 50 more
    assert (ingest_paths(store, [str(feed)]).duplicate, store.count_articles()) == (50, 100)


def test_edited_article_readded_is_an_update_that_keeps_the_old_text(tmp_path):
    store = Store(tmp_path / "u.db")
    src = tmp_path / "wire" / "quake.jsonl"
    src.parent.mkdir()
    url = "https://news.example.org/2026/12/08/teramo-quake"
    other = {"id": "q2", "url": "https://other.example.com/quake-teramo", "published": "2026-12-08",
             "text": QUAKE.replace("before dawn", "at 4 a.m.").replace("the national", "Italy's national")}
    opts = {"stories": {"encoder": "static"}, "refold": {"encoder": "static"}, "summaries": {"with_nlp": False}}
    _jsonl(src, {"id": "q1", "url": url, "published": "2026-12-08", "text": QUAKE}, other)
    run_pipeline(store, [str(src)], options=opts)
    story = store.conn.execute("SELECT story_id FROM story_articles WHERE article_id = 'q1'").fetchone()[0]
    # the agency corrects the toll: the same file, the same id and URL, a new text
    _jsonl(src, {"id": "q1", "url": url, "published": "2026-12-08", "text": QUAKE_CORRECTED}, other)
    rep = run_pipeline(store, [str(src)], options=opts)
    assert (rep.ingest.accepted, rep.ingest.duplicate, len(rep.ingest.updates)) == (1, 1, 1)
    entry = store.ledger()[-2]
    assert entry["outcome"] == "accepted" and entry["reason"].startswith("update: a new text of article q1")
    assert "Five people were killed" in store.get_article("q1").text
    old, cur = versions(store, "q1")
    assert "Three people were killed" in old.text and old.replaced_at and cur.replaced_at is None
    assert store.count_articles() == 2
    # every stage saw the new text: its fingerprint, and its story's briefing, which names the update
    fp = store.conn.execute("SELECT content_hash FROM fingerprints WHERE article_id = 'q1'").fetchone()
    assert fp is not None
    b = load_briefing(store, story)
    assert b is not None
    [entry_q1] = [t for t in b.timeline if t.article_id == "q1"]
    assert entry_q1.versions == 2 and entry_q1.updated_at == old.replaced_at
    assert f"(updated {old.replaced_at}, 2 versions)" in render_briefing_text(b, width=400)
    assert "Three people were killed" not in b.summary_text
    from fastapi.testclient import TestClient

    from newsfold.present.web import create_app

    with TestClient(create_app(str(tmp_path / "u.db"), token="t", upload_dir=tmp_path / "up"),
                    base_url="http://localhost") as client:
        page = client.get(f"/stories/{story}").text
        assert "class=\"label updated\">updated " in page  # the story page names the update
    # the same run again changes nothing; the old text again is a duplicate of an earlier version
    again = run_pipeline(store, [str(src)], options=opts)
    assert (again.ingest.accepted, again.ingest.duplicate) == (0, 2)
    _jsonl(src, {"id": "q1", "url": url, "text": QUAKE})
    back = ingest_paths(store, [str(src)])
    assert back.duplicate == 1 and "earlier text of article q1" in store.ledger()[-1]["reason"]
    assert len(versions(store, "q1")) == 2
    store.close()


def test_article_versions_on_the_command_line(tmp_path):
    src = tmp_path / "a.jsonl"
    db = tmp_path / "v.db"
    _jsonl(src, {"id": "q1", "text": QUAKE})
    assert _nf(db, "add", "--no-dedup", str(src)).returncode == 0
    _jsonl(src, {"id": "q1", "text": QUAKE_CORRECTED})
    out = _nf(db, "add", "--no-dedup", str(src))
    assert out.stdout.strip() == "1 accepted (1 an update of a stored article), 0 duplicates, 0 rejected", out.stderr
    listed = json.loads(_nf(db, "article", "q1", "--versions", "--json").stdout)
    assert [v["version"] for v in listed] == [1, 2]
    assert "Three people" in listed[0]["text"] and listed[1]["replaced_at"] is None
    shown = _nf(db, "article", "q1").stdout
    assert "updated " in shown and "2 versions" in shown
    assert json.loads(_nf(db, "article", "q1", "--json").stdout)["versions"] == 2


def test_same_url_is_the_same_article_and_another_url_is_not(store, tmp_path):
    url = "https://news.example.org/quake"
    (tmp_path / "mon").mkdir()
    (tmp_path / "tue").mkdir()
    _jsonl(tmp_path / "mon" / "crawl.jsonl", {"id": "a7", "url": url, "text": QUAKE})
    ingest_paths(store, [str(tmp_path / "mon")])
    # the next day's crawl, another folder: the same URL is the same article (with utm tags and no www.)
    _jsonl(tmp_path / "tue" / "crawl.jsonl", {"id": "a7", "url": url + "?utm_source=rss", "text": QUAKE_CORRECTED},
           {"id": "a7", "url": "https://news.example.org/fire", "text": FIRE})
    rep = ingest_paths(store, [str(tmp_path / "tue")])
    assert (rep.accepted, len(rep.updates), len(rep.conflicts)) == (2, 1, 1)
    assert "Five people" in store.get_article("a7").text
    assert "grain warehouse" in store.get_article(rep.conflicts[0].article_id).text


def test_web_article_page_says_updated(tmp_path):
    from fastapi.testclient import TestClient

    from newsfold.present.web import create_app

    src = tmp_path / "a.jsonl"
    db = tmp_path / "w.db"
    with Store(db) as store:
        ingest_paths(store, [str(_jsonl(src, {"id": "q1", "text": QUAKE}))])
        ingest_paths(store, [str(_jsonl(src, {"id": "q1", "text": QUAKE_CORRECTED}))])
    with TestClient(create_app(str(db), token="t", upload_dir=tmp_path / "up"), base_url="http://localhost") as client:
        page = client.get("/articles/q1").text
        assert "Updated " in page and "latest of 2 versions" in page and "Five people were killed" in page
        api = client.get("/api/articles/q1").json()
        assert api["versions"] == 2 and api["updated_at"]


def test_updating_an_article_that_others_copy_judges_the_copies_again(tmp_path):
    store = Store(tmp_path / "c.db")
    opts = {"stories": {"encoder": "static"}, "refold": {"encoder": "static"}, "summaries": {"with_nlp": False}}
    wire = tmp_path / "wire.jsonl"
    _jsonl(wire, {"id": "w1", "url": "https://wire.example/quake", "published": "2026-12-08", "text": QUAKE})
    paper = tmp_path / "paper.jsonl"
    extra = "\nThe paper's reporter in Teramo contributed to this story."
    _jsonl(paper, {"id": "p1", "url": "https://paper.example/quake", "published": "2026-12-08", "text": QUAKE + extra})
    run_pipeline(store, [str(wire), str(paper)], options=opts)
    links = lambda: [tuple(r) for r in store.conn.execute("SELECT article_id, canonical_id FROM dup_links")]  # noqa
    assert links() == [("w1", "p1")]  # the longer paper's text is the canonical of the wire copy
    # the paper corrects its toll: the wire copy is judged again against the new text
    _jsonl(paper, {"id": "p1", "url": "https://paper.example/quake", "published": "2026-12-08",
                   "text": QUAKE_CORRECTED + extra})
    rep = run_pipeline(store, [str(paper)], options=opts)
    assert len(rep.ingest.updates) == 1
    dedup = [s for s in rep.stages if s.stage == "dedup"][0]
    assert dedup.processed == 2
    assert links() == [("w1", "p1")]
    assert store.conn.execute("SELECT count(*) FROM fingerprints").fetchone()[0] == 2
    assert store.conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert store.conn.execute("SELECT count(*) FROM story_articles").fetchone()[0] == 2
    store.close()
