"""The CLI says what happened: where each new article went, progress in a log, merged stories, CSV exports."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

from nfpaths import ECBPLUS, EXAMPLES


def _nf(db, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "NEWSFOLD_DB"}
    return subprocess.run([sys.executable, "-m", "newsfold", "--db", str(db), *args], capture_output=True, text=True,
                          timeout=600, env=env)


def test_add_json_lists_every_article_with_its_story_and_the_exports_agree(tmp_path):
    db = tmp_path / "n.db"
    added = json.loads(_nf(db, "add", str(EXAMPLES), "--json").stdout)
    went = {a["id"][:3]: a["story_id"] for a in added["articles"]}
    assert len(went) == 5 and len({went[k] for k in ("000", "001", "002", "003")}) == 1 and went["004"] != went["000"]
    assert all(a["story_headline"] and a["story_size"] for a in added["articles"])
    stories = list(csv.DictReader(io.StringIO(_nf(db, "stories", "--format", "csv").stdout)))
    assert {s["id"] for s in stories} == set(went.values())
    seed_story = next(s for s in stories if s["id"] == went["000"])
    assert seed_story["size"] == "4" and len(seed_story["article_ids"].split("; ")) == 4
    articles = list(csv.DictReader(io.StringIO(_nf(db, "articles", "--format", "csv").stdout)))
    assert {a["id"][:3]: a["story_id"] for a in articles} == went
    ledger = json.loads(_nf(db, "ledger", "--json").stdout)
    assert {e["article_id"][:3]: e["story_id"] for e in ledger} == went
    lines = _nf(db, "articles", "--format", "jsonl").stdout.splitlines()
    assert [json.loads(x)["story_id"] for x in lines] == [a["story_id"] for a in articles]


def test_a_merged_story_says_where_its_articles_went(tmp_path):
    db = tmp_path / "m.db"
    rows = ECBPLUS.read_text(encoding="utf-8").splitlines()[:80]  # two ECB+ topics
    # a first corpus is folded in one batch; the next 70 are placed online, then the refold merges stories
    (tmp_path / "a.jsonl").write_text("\n".join(rows[:10]) + "\n", encoding="utf-8")
    (tmp_path / "e.jsonl").write_text("\n".join(rows[10:]) + "\n", encoding="utf-8")
    assert _nf(db, "fold", "--db", str(db), str(tmp_path / "a.jsonl"), "--encoder", "none").returncode == 0
    assert _nf(db, "fold", "--db", str(db), str(tmp_path / "e.jsonl"), "--encoder", "none").returncode == 0
    listed = json.loads(_nf(db, "stories", "--all", "--json", "--limit", "200").stdout)["stories"]
    merged = [s for s in listed if s["state"] == "merged"]
    assert merged, "the refold merged a story"
    page = _nf(db, "story", merged[0]["id"])
    detail = json.loads(_nf(db, "story", merged[0]["id"], "--json").stdout)
    live = {s["id"] for s in listed if s["state"] != "merged"}
    assert detail["merged_into"] and set(detail["merged_into"]) <= live
    assert f"merged into {detail['merged_into'][0]}" in page.stdout
    assert "0 articles" not in page.stdout and "No briefing yet" not in page.stdout


def test_without_a_terminal_progress_is_plain_lines(capsys):
    from newsfold.present.cli.common import Context, plain_progress

    progress = plain_progress(Context(None, quiet=False), every=0)
    progress("stories", 120, 500)
    assert capsys.readouterr().err == "newsfold: stories 120/500\n"
    quiet = plain_progress(Context(None, quiet=True), every=0)
    quiet("stories", 120, 500)
    assert capsys.readouterr().err == ""
