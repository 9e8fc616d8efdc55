"""Issue 10, item 6: text from articles never acts on the terminal.

A title holding Rich markup (``[/bold]``) used to crash ``newsfold
articles`` with ``rich.errors.MarkupError``; ESC, BEL, OSC sequences, C1
controls and bidi overrides in titles, outlets and file names were printed
raw.  The store here is filled through the library (so the hostile text is
surely in it, whatever ingest strips), and the real CLI prints it.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from nfpaths import EXAMPLES

# an OSC title change ended by BEL, a CSI colour, an 8-bit CSI (U+009B), a right-to-left override
TITLE = "Putin [/bold] still [bold red]open[/] to dialogue \x1b]0;owned\x07 \u202eevil\u202c"
OUTLET = "\x1b[31mAFP\x1b[0m\x9b2J\u2066wire\u2069"
REF = "uploads/\x1b[2Jstory\u202e\x07.txt"
# what must never reach the terminal
FORBIDDEN = ["\x1b", "\x07", "\x9b", "\u202e", "\u202c", "\u2066", "\u2069", "\x00"]


def _nf(db, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "newsfold", "--db", str(db), *args], capture_output=True,
                          text=True, encoding="utf-8", timeout=300)


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory):
    """Two real seed articles under a markup-and-escape title and outlet, folded into stories, with a ledger entry."""
    from newsfold.dedup.stage import DedupStage
    from newsfold.models import Article, LedgerEntry
    from newsfold.store.db import Store
    from newsfold.stories.stage import StoriesStage

    db = tmp_path_factory.mktemp("hostile") / "out.db"
    texts = [p.read_text(encoding="utf-8") for p in sorted(EXAMPLES.glob("*.txt"))[:2]]
    with Store(db) as store:
        with store.atomic():
            store.insert_articles([
                Article(id="a1", text=texts[0], title=TITLE, outlet=OUTLET, published="2019-01-01"),
                Article(id="a2", text=texts[1], title="Plain title", outlet="\x07Reuters\x1b[5m",
                        published="2019-01-02"),
            ])
            store.add_ledger_entries("run1", [LedgerEntry(REF, "rejected", "bad \x1b]8;;http://x\x07link"),
                                              LedgerEntry("ok.txt", "accepted", "", "a1")])
        DedupStage().catch_up(store)
        StoriesStage(encoder="none").catch_up(store)
        story_id = store.conn.execute("SELECT story_id FROM story_articles WHERE article_id = 'a1'").fetchone()[0]
        assert TITLE in store.conn.execute("SELECT headline FROM stories WHERE id = ?", (story_id,)).fetchone()[0]
    return db, story_id


def _assert_safe(out: subprocess.CompletedProcess) -> None:
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr and "MarkupError" not in out.stderr
    for stream in (out.stdout, out.stderr):
        bad = [hex(ord(c)) for c in FORBIDDEN if c in stream]
        assert not bad, f"{bad} reached the terminal: {stream!r}"


@pytest.mark.parametrize("command", [["articles"], ["article", "a1"], ["stories"], ["story", "STORY"],
                                     ["ledger"], ["ledger", "--rejected"]])
def test_listings_print_markup_literally_and_drop_control_characters(hostile_db, command):
    db, story_id = hostile_db
    out = _nf(db, *[story_id if c == "STORY" else c for c in command])
    _assert_safe(out)
    if command[0] == "ledger":
        assert "uploads/[2Jstory.txt" in out.stdout and "bad ]8;;http://xlink" in out.stdout
        return
    # the markup is shown as the text it is, the visible letters of the outlet survive
    assert "[/bold]" in out.stdout and "[bold red]open[/]" in out.stdout
    assert "evil" in out.stdout
    if command[0] != "stories":
        assert "AFP" in out.stdout and "wire" in out.stdout


@pytest.mark.parametrize("command", [["articles", "--json"], ["article", "a1", "--json"], ["stories", "--json"],
                                     ["ledger", "--json"]])
def test_json_listings_are_exact_json_without_raw_control_characters(hostile_db, command):
    db, _ = hostile_db
    out = _nf(db, *command)
    _assert_safe(out)  # C0 escaped by json.dumps, C1 and bidi controls as \u escapes
    data = json.loads(out.stdout)
    if command[0] == "ledger":
        assert REF in {r["ref"] for r in data}
    elif command[0] == "stories":
        assert TITLE in {s["headline"] for s in data["stories"]}
    else:  # the very title and outlet stored, character for character
        rows = data if isinstance(data, list) else [data]
        assert (TITLE, OUTLET) in {(r["title"], r["outlet"]) for r in rows}
