"""`newsfold add` end to end on the seeds: stored, deduplicated, folded, summarized."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from nfpaths import EXAMPLES

SEEDS_STORY = {"000_72897a8d1972ae6a", "001_99501aa1479f7920", "002_75467a53cab7589a", "003_3182c1616ae321b1"}


def _nf(db, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "newsfold", "--db", str(db), *args], capture_output=True, text=True,
                          timeout=600)


@pytest.mark.slow
def test_add_gives_the_two_events_with_briefings_and_rerun_changes_nothing(tmp_path):
    db = tmp_path / "p.db"
    out = _nf(db, "add", "--json", str(EXAMPLES))
    assert out.returncode == 0, out.stderr
    rep = json.loads(out.stdout)
    assert rep["accepted"] == 5
    assert [s["stage"] for s in rep["stages"]] == ["dedup", "stories", "refold", "passages", "summaries"]
    stories = json.loads(_nf(db, "stories", "--json").stdout)["stories"]
    groups = sorted((set(s["article_ids"]) for s in stories), key=len)
    assert groups == [{"004_80ae9117d0c94e64"}, SEEDS_STORY]
    [main] = [s for s in stories if set(s["article_ids"]) == SEEDS_STORY]
    story = json.loads(_nf(db, "story", main["id"], "--json").stdout)
    summary = story["briefing"]["summary"]
    assert summary and all(s["article_ids"] for s in summary)
    assert sum(len(s["text"].split()) for s in summary) <= 100
    # re-running the same command adds nothing and refolds nothing
    again = json.loads(_nf(db, "add", "--json", str(EXAMPLES)).stdout)
    assert (again["accepted"], again["duplicate"]) == (0, 5)
    assert all(s["processed"] == 0 for s in again["stages"])
    assert json.loads(_nf(db, "stories", "--json").stdout)["stories"] == stories
