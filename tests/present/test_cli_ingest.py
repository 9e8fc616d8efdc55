"""The foundation's must-show, through the command line a user types."""

from __future__ import annotations

import json
import subprocess
import sys

from nfpaths import EXAMPLES


def _nf(db, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "newsfold", "--db", str(db), *args], capture_output=True, text=True,
                          timeout=300)


def test_add_examples_then_article_json(tmp_path):
    db = tmp_path / "n.db"
    out = _nf(db, "add", "--no-dedup", str(EXAMPLES))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "5 accepted, 0 duplicates, 0 rejected"
    a = json.loads(_nf(db, "article", "002_75467a53cab7589a", "--json").stdout)
    assert set(a) >= {"id", "title", "outlet", "url", "published", "published_source", "language", "text", "removed"}
    assert (a["outlet"], a["published"]) == ("Reuters", "2018-12-30")
    for junk in ("**", "](#)", "Original url", "https://", "Kremlin.ru"):
        assert junk not in a["text"]
    assert {"line": "**Kremlin.ru**", "reason": "photo credit (a bare site name)"} in a["removed"]
    listing = json.loads(_nf(db, "articles", "--json").stdout)
    assert [r["id"] for r in listing] == sorted(r["id"] for r in listing)
    assert len(listing) == 5
    again = _nf(db, "add", "--no-dedup", str(EXAMPLES))
    assert again.stdout.strip() == "0 accepted, 5 duplicates, 0 rejected"
    ledger = json.loads(_nf(db, "ledger", "--json").stdout)
    assert [r["outcome"] for r in ledger] == ["accepted"] * 5 + ["duplicate"] * 5


def test_unknown_article_is_a_clear_error(tmp_path):
    from newsfold.store.db import Store

    Store(tmp_path / "e.db").close()
    out = _nf(tmp_path / "e.db", "article", "nope")
    assert out.returncode == 1
    assert "no article 'nope'" in out.stderr and "newsfold articles" in out.stderr
    assert "Traceback" not in out.stderr


def test_not_a_database_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_text("this is not sqlite " * 100)
    out = _nf(bad, "articles")
    assert out.returncode == 1
    assert "cannot open" in out.stderr and "--db" in out.stderr
    assert "Traceback" not in out.stderr


def test_story_listing_counts_known_outlets_and_unknown_ones_apart(tmp_path):
    """The seeds' 2018 story comes from AFP, Reuters and two articles of unknown outlet: the listing and the
    story say so, not "4 outlets"; a story whose articles name no outlet says "outlet unknown"."""
    from newsfold.models import outlets_in_words

    db = tmp_path / "n.db"
    assert _nf(db, "add", str(EXAMPLES)).returncode == 0
    lines = _nf(db, "stories").stdout.splitlines()
    letter = next(ln for ln in lines if "4 articles" in ln)
    assert "2 outlets, 2 unknown" in letter
    sid = letter.split()[0]
    assert "4 articles, 2 outlets, 2 unknown," in _nf(db, "story", sid).stdout
    assert outlets_in_words(["unknown outlet (article a)", "unknown outlet (article b)"]) == "outlet unknown"
    assert outlets_in_words(["AFP"]) == "1 outlet"
