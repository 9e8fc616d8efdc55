"""The Stories stage on real text: the seeds, bad input, restarts, the CLI."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsfold.present.cli import cli
from newsfold.ingest import ingest_paths
from newsfold.text import find_dates
from newsfold.stories.refold import refold
from newsfold.present.query import all_stories, story_detail
from newsfold.stories.stage import StoriesStage
from newsfold.store.db import Store
from nfpaths import ROOT

EXAMPLES = ROOT / "examples"
SEEDS = sorted(p.name[:3] for p in EXAMPLES.glob("0*.txt"))


def _groups(store: Store) -> set[frozenset[str]]:
    refs = {r[0]: Path(r[1].split(":")[0]).name[:3] for r in store.conn.execute("SELECT id, source_ref FROM articles")}
    return {frozenset(refs[a] for a in s.article_ids) for s in all_stories(store.conn)}


EXPECTED = {frozenset({"000", "001", "002", "003"}), frozenset({"004"})}


def test_fold_seeds_cli_gives_the_two_events() -> None:
    res = CliRunner().invoke(cli, ["fold", str(EXAMPLES), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    got = {frozenset(Path(s).name[:3] for s in story["sources"]) for story in data["stories"]}
    assert got == EXPECTED


def test_seeds_without_any_date(tmp_path: Path) -> None:
    """Every date withheld (metadata and dates written in the text): content alone still separates them."""
    for p in EXAMPLES.glob("0*.txt"):
        text = p.read_text(encoding="utf-8")
        text = re.sub(r"\b(19|20)\d\d\b", "", text)  # no year, so no date can be read
        (tmp_path / p.name).write_text(text, encoding="utf-8")
    store = Store(":memory:")
    ingest_paths(store, [str(tmp_path)])
    store.conn.execute("UPDATE articles SET published = NULL, published_source = 'none'")
    StoriesStage().catch_up(store)
    refold(store)
    assert _groups(store) == EXPECTED
    assert all(not find_dates(a.text) for _, a in store.iter_articles())


def test_online_placement_of_the_seeds_and_restart(tmp_path: Path) -> None:
    """Placed one at a time, across two runs: the index is rebuilt from the store and nothing is placed twice."""
    db = tmp_path / "s.db"
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    for p in EXAMPLES.glob("0*.txt"):
        shutil.copy(p, (first if p.name[:3] in {"000", "001"} else second) / p.name)
    with Store(db) as store:
        ingest_paths(store, [str(first)])
        rep = StoriesStage().catch_up(store)
        assert rep.processed == 2 and rep.details["new_stories"] == 1
    with Store(db) as store:
        ingest_paths(store, [str(second)])
        rep = StoriesStage().catch_up(store)
        assert rep.processed == 3
        assert StoriesStage().catch_up(store).processed == 0
        n = store.conn.execute("SELECT count(*) FROM story_articles").fetchone()[0]
        assert n == 5
        groups = _groups(store)
        assert any({"000", "001", "002", "003"} <= g for g in groups)


def test_no_usable_text_gets_no_story_and_a_reason() -> None:
    store = Store(":memory:")
    from newsfold.models import Article

    with store.atomic():
        store.insert_article(Article(id="empty", text="   ", content_hash="h0"))
        store.insert_article(Article(id="short", text="Read more.", content_hash="h1"))
    StoriesStage(encoder="none").catch_up(store)
    skips = {r[0]: r[1] for r in store.conn.execute("SELECT article_id, reason FROM story_skips")}
    assert set(skips) == {"empty", "short"}
    assert skips["empty"] == "no text" and "content words" in skips["short"]
    assert store.conn.execute("SELECT count(*) FROM stories").fetchone()[0] == 0


def test_unparseable_date_is_clustered_on_content() -> None:
    from newsfold.models import Article

    store = Store(":memory:")
    texts = {p.name[:3]: p.read_text(encoding="utf-8") for p in EXAMPLES.glob("0*.txt")}
    with store.atomic():
        for k in ("000", "001"):
            store.insert_article(Article(id=k, text=texts[k], published="sometime last week", content_hash=k))
    StoriesStage().catch_up(store)
    rows = store.conn.execute("SELECT article_id, story_id FROM story_articles").fetchall()
    assert len(rows) == 2 and rows[0][1] == rows[1][1]


def test_story_cli_and_history(tmp_path: Path) -> None:
    db = str(tmp_path / "f.db")
    runner = CliRunner()
    res = runner.invoke(cli, ["fold", str(EXAMPLES), "--db", db, "--json"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["--db", db, "stories", "--json"])
    stories = json.loads(res.output)["stories"]
    assert len(stories) == 2
    big = max(stories, key=lambda s: s["size"])
    res = runner.invoke(cli, ["--db", db, "story", big["id"]])
    assert res.exit_code == 0 and "Articles" in res.output and big["headline"][:20] in res.output
    res = runner.invoke(cli, ["--db", db, "story", "nope"])
    assert res.exit_code != 0 and "newsfold stories" in res.output
    with Store(db) as store:
        view = story_detail(store.conn, big["id"])
        assert view is not None and any(e["kind"] == "created" for e in view.events)


@pytest.mark.slow
def test_every_story_headline_is_one_of_its_own_articles(tmp_path: Path, ecbplus_path: Path) -> None:
    """`fold` (online placement, then the refold that moves articles between stories) leaves no headline
    of an article that has left the story: whatever changes a story's members sets its headline from them
    (on ECB+, two stories kept a departed article's headline before)."""
    from newsfold.stories.writes import headline_of

    rows = [json.loads(line) for line in ecbplus_path.read_text(encoding="utf-8").splitlines()]
    src = tmp_path / "ecb.jsonl"
    src.write_text("".join(json.dumps({"id": r["id"], "text": r["text"]}) + "\n" for r in rows), encoding="utf-8")
    db = tmp_path / "f.db"
    r = CliRunner().invoke(cli, ["-q", "fold", str(src), "--db", str(db), "--encoder", "static", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["refold"]["articles"] > 700  # the refold ran over the whole set
    with Store(str(db)) as store:
        stories = store.conn.execute("SELECT id, headline FROM stories WHERE state != 'merged'").fetchall()
        assert len(stories) > 5
        for sid, headline in stories:
            ids = [x[0] for x in store.conn.execute("SELECT article_id FROM story_articles WHERE story_id = ?",
                                                    (sid,))]
            assert headline in {headline_of(a) for a in store.get_articles(ids)}, sid
