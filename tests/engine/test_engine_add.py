"""Batch commands and ``add`` are one pipeline: the same ids, groups and stories, and a batch-folded
store that ``add`` continues.

Everything goes through the command line a user types; the static encoder
and briefings without spaCy keep it quick (the procedure is the same).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections import defaultdict
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsfold.present.cli import cli
from nfpaths import EXAMPLES

pytestmark = pytest.mark.slow
FAST = ["--encoder", "static"]


def _run(*args: str) -> dict:
    r = CliRunner().invoke(cli, ["-q", *args, "--json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def _add(db: Path, *paths: str, settings: tuple[tuple[str, str], ...] = ()) -> dict:
    extra = [x for name, value in (("briefing_nlp", "false"), *settings) for x in ("--setting", name, value)]
    return _run("add", *paths, "--db", str(db), *FAST, *extra)


def _articles(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as c:
        return c.execute("SELECT id, text FROM articles ORDER BY seq").fetchall()


def _links(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as c:
        return sorted(c.execute("SELECT article_id, canonical_id, kind, round(similarity, 6) FROM dup_links"))


def _stories(db: Path) -> set[frozenset[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    with sqlite3.connect(db) as c:
        for sid, aid in c.execute("SELECT story_id, article_id FROM story_articles"):
            out[sid].add(aid)
    return {frozenset(v) for v in out.values()}


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    """The seeds (.txt) with two re-published copies in a sub-folder, an HTML page and a JSONL file."""
    d = tmp_path / "in"
    shutil.copytree(EXAMPLES, d)
    seeds = sorted(EXAMPLES.glob("*.txt"))
    (d / "wire").mkdir()
    (d / "wire" / "copy-a.txt").write_text(seeds[0].read_text(encoding="utf-8"), encoding="utf-8")
    (d / "wire" / "copy-b.txt").write_text(seeds[1].read_text(encoding="utf-8") + "\nShare this story.\n",
                                           encoding="utf-8")
    body = "".join(f"<p>{p}</p>" for p in seeds[2].read_text(encoding="utf-8").split("\n\n")[1:])
    (d / "page.html").write_text(f"<html><head><title>A page</title></head><body><article>{body}</article>"
                                 "</body></html>", encoding="utf-8")
    lines = [json.dumps({"id": "rec1", "text": seeds[3].read_text(encoding="utf-8"), "published": "2019-01-02"}),
             "not json", json.dumps({"id": "rec2", "title": "no text"})]
    (d / "feed.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return d


def test_batch_dedup_and_fold_on_a_folder_give_what_add_gives(folder: Path, tmp_path: Path) -> None:
    added = tmp_path / "add.db"
    report = _add(added, str(folder))
    assert report["rejected"] == 2  # the bad JSONL lines, in both
    want = _articles(added)
    assert len(want) == 9

    dd = tmp_path / "dedup.db"
    r = _run("batch", "dedup", str(folder), "--db", str(dd))
    assert r["articles"] == 9 and r["skipped"] == 2
    assert _articles(dd) == want  # the same ids, the same cleaned text, in the same order
    assert _links(dd) == _links(added) and len(_links(added)) == 4  # the copies, the page and a record

    fd = tmp_path / "fold.db"
    r = _run("batch", "fold", str(folder), "--db", str(fd), *FAST, "--no-nlp")
    assert r["articles"] == 9 and r["details"]["suspect_stories"] == []
    assert _articles(fd) == want
    assert _links(fd) == _links(added)
    assert _stories(fd) == _stories(added)


def _ecb_events(ecbplus_path: Path, n_events: int, size: int) -> list[list[dict]]:
    by_event: dict[str, list[dict]] = defaultdict(list)
    with open(ecbplus_path, encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            by_event[r["event"]].append(r)
    topics: set[str] = set()
    out = []
    for ev in sorted(by_event, key=lambda e: (-len(by_event[e]), e)):
        rows = by_event[ev]
        if rows[0]["topic"] in topics or len(rows) < size:
            continue
        topics.add(rows[0]["topic"])
        out.append(rows[:size])
        if len(out) == n_events:
            break
    return out


def _jsonl(path: Path, rows: list[dict]) -> str:
    path.write_text("".join(json.dumps({"id": r["id"], "text": r["text"]}) + "\n" for r in rows), encoding="utf-8")
    return str(path)


def _joined(db: Path, late: list[dict], event: dict[str, str]) -> int:
    """How many ``late`` articles share their story with an earlier article of their event."""
    with sqlite3.connect(db) as c:
        story = dict(c.execute("SELECT article_id, story_id FROM story_articles"))
    mates: dict[str, set[str]] = defaultdict(set)
    for aid, sid in story.items():
        mates[sid].add(aid)
    return sum(1 for r in late if any(event[m] == r["event"] for m in mates[story[r["id"]]] if m != r["id"]))


def test_add_after_batch_fold_processes_only_the_new_articles(ecbplus_path: Path, tmp_path: Path) -> None:
    """After `batch fold`, `add` of one article touches that article only, and late articles of the
    batch's events join the batch's stories as often as after an `add` of the same backlog."""
    events = _ecb_events(ecbplus_path, 6, 8)
    event = {r["id"]: r["event"] for rows in events for r in rows}
    backlog = [r for rows in events for r in rows[:-2]]
    late = [r for rows in events for r in rows[-2:]]
    online = (("refold_limit", "0"),)  # place the late articles online (a small store is refolded whole)

    db = tmp_path / "batch.db"
    r = _run("batch", "fold", _jsonl(tmp_path / "backlog.jsonl", backlog), "--db", str(db), *FAST, "--no-nlp")
    assert r["articles"] == len(backlog)
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT count(*) FROM fingerprints").fetchone()[0] == len(backlog)
        assert c.execute("SELECT count(*) FROM story_df").fetchone()[0] > 100
        assert c.execute("SELECT count(*) FROM stories WHERE centroid IS NULL").fetchone()[0] == 0

    one = _add(db, _jsonl(tmp_path / "one.jsonl", late[:1]), settings=online)
    processed = {s["stage"]: s["processed"] for s in one["stages"]}
    assert processed == {"dedup": 1, "stories": 1, "refold": 0, "passages": 1, "summaries": 1}, processed
    _add(db, _jsonl(tmp_path / "rest.jsonl", late[1:]), settings=online)

    ref = tmp_path / "add.db"
    _add(ref, _jsonl(tmp_path / "backlog2.jsonl", backlog))
    _add(ref, _jsonl(tmp_path / "late.jsonl", late), settings=online)
    after_batch, after_add = _joined(db, late, event), _joined(ref, late, event)
    assert after_batch >= after_add >= len(late) // 2, (after_batch, after_add)


def test_a_story_bigger_than_any_event_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The run's summary names stories over the suspect size, in the CLI output and in --json."""
    from newsfold.stories import windows

    monkeypatch.setattr(windows, "SUSPECT_STORY_SIZE", 3)  # four or five of the seeds are one story
    args = ["-q", "batch", "fold", str(EXAMPLES), *FAST, "--no-nlp", "--db"]
    r = CliRunner().invoke(cli, [*args, str(tmp_path / "s.db")])
    assert r.exit_code == 0, r.output
    big = max(_stories(tmp_path / "s.db"), key=len)
    assert len(big) > 3
    assert "Suspect: 1 stories hold more than 3 articles" in r.stderr and f"({len(big)} articles)" in r.stderr
    rj = CliRunner().invoke(cli, [*args, str(tmp_path / "j.db"), "--json"])
    assert [s["size"] for s in json.loads(rj.stdout)["details"]["suspect_stories"]] == [len(big)]
