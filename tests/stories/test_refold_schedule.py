"""`add` refolds a small store on a schedule, not after every article: a few more articles are placed online."""

from __future__ import annotations

import json

from nfpaths import ECBPLUS, EXAMPLES, TEST_DATA

from newsfold.ingest import ingest_records
from newsfold.pipeline import run_pipeline, stage_options
from newsfold.store.db import Store

OPTIONS = stage_options({"encoder": "none"})


def _refold(reports) -> dict:
    return next(r for r in reports.stages if r.stage == "refold").details


def _refolds(store: Store) -> int:
    return store.conn.execute("SELECT count(*) FROM story_events WHERE story_id = '' AND kind = 'refold'").fetchone()[0]


def test_a_few_more_articles_are_placed_online_and_the_refold_waits_for_growth(tmp_path) -> None:
    store = Store(tmp_path / "s.db")
    run_pipeline(store, [str(EXAMPLES)], skip=["summaries"], options=OPTIONS)
    assert _refolds(store) == 1  # a first add is refolded at once
    follow = (TEST_DATA / "seed_followup_2018.txt").read_text(encoding="utf-8")
    ingest_records(store, [{"id": "follow-up", "text": follow}])
    rep = run_pipeline(store, [], skip=["summaries"], options=OPTIONS)
    assert _refolds(store) == 1
    assert _refold(rep)["skipped"].startswith("1 article placed since") and "next refold comes at 7" in _refold(rep)["skipped"]
    joined = store.conn.execute("SELECT reason FROM story_articles WHERE article_id = 'follow-up'").fetchone()[0]
    assert joined.startswith("joined")  # placed online, with its reason
    with ECBPLUS.open(encoding="utf-8") as f:
        ingest_records(store, [json.loads(next(f)) for _ in range(5)])  # the store grows by more than a quarter
    rep = run_pipeline(store, [], skip=["summaries"], options=OPTIONS)
    assert _refolds(store) == 2 and "skipped" not in _refold(rep)


def test_fold_into_a_store_refolds_whatever_it_has_grown(tmp_path) -> None:
    """`newsfold fold --db` promises a batch refold: the add schedule does not hold it back."""
    from click.testing import CliRunner

    from newsfold.present.cli import cli

    db = tmp_path / "s.db"
    store = Store(db)
    run_pipeline(store, [str(EXAMPLES)], skip=["summaries"], options=OPTIONS)
    store.close()
    follow = tmp_path / "follow-up.txt"
    follow.write_text((TEST_DATA / "seed_followup_2018.txt").read_text(encoding="utf-8"), encoding="utf-8")
    res = CliRunner().invoke(cli, ["fold", "--db", str(db), "--encoder", "none", "--json", str(follow)])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["refold"] and "skipped" not in out["refold"] and out["refold"]["articles"] == 6
