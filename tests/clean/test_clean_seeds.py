"""The founding example: what cleaning removes from each seed, and what it keeps."""

from __future__ import annotations

import re

import pytest

SEED_IDS = ["000_72897a8d1972ae6a", "001_99501aa1479f7920", "002_75467a53cab7589a", "003_3182c1616ae321b1",
            "004_80ae9117d0c94e64"]

# every line each seed loses, with its reason: a change here is a change users see
EXPECTED_REMOVED = {
    "000_72897a8d1972ae6a": [("Moscow (AFP) –", "dateline")],
    "001_99501aa1479f7920": [("You May Also Like", "related-articles block")],
    "002_75467a53cab7589a": [
        ("By [Reuters](#)", "byline"),
        ("December 30, 2018", "date line"),
        ("**Kremlin.ru**", "photo credit (a bare site name)"),
        ("**Related article: [Kremlin Regrets U.S.-Russia Dialogue Is Not Working Out](#)**", "related-article link"),
        ("**Related article: [Russia and Britain to Start Returning Diplomats in January, Russian Embassy Says](#)**",
         "related-article link"),
        ("Original url:", "original/source URL line"),
        ("<https://www.themoscowtimes.com/2018/12/30/putin-in-new-year-letter-to-trump-says-moscow-is-open-for-"
         "dialogue-a64002>", "bare URL"),
    ],
    "003_3182c1616ae321b1": [("No comments:", "comment prompt"), ("Post a Comment", "comment prompt")],
    "004_80ae9117d0c94e64": [
        ("Source:AFP", "source line"),
        ("GMT 13:46 2018 Sunday ,09 December", "date/time stamp"),
        ("Next four-way summit on Syria not scheduled yetGMT 14:36 2018 Wednesday ,31 October",
         "related headline with timestamp"),
        ("Syria's People returning to peaceful lifeGMT 10:40 2018 Sunday ,28 October",
         "related headline with timestamp"),
        ("Assad’s future not discussed at four-way talks in IstanbulGMT 16:36 2018 Friday ,26 October",
         "related headline with timestamp"),
        ("Lavrov, Pompeo discuss for Russia-US summitGMT 11:24 2018 Thursday ,25 October",
         "related headline with timestamp"),
        ("Russia to be at very high level at conference on LibyaMaintained and developed by Arabs Today Group SAL.",
         "site credit"),
        ("All rights reserved to Arab Today Media Group 2021 ©", "copyright footer"),
        ("Maintained and developed by Arabs Today Group SAL.", "site credit"),
        ("All rights reserved to Arab Today Media Group 2021 ©", "copyright footer"),
        ("Send your comments", "comment prompt"),
        ("Your comment as a visitor", "comment prompt"),
    ],
}


@pytest.fixture()
def seeds(seed_store):
    return {i: seed_store.get_article(i) for i in SEED_IDS}


def _paragraphs(path) -> list[str]:
    return [p.strip() for p in path.read_text(encoding="utf-8").split("\n") if p.strip()]


def test_all_five_seeds_are_stored_with_their_file_stems(seeds):
    assert all(seeds[i] is not None for i in SEED_IDS)


@pytest.mark.parametrize("seed_id", SEED_IDS)
def test_removed_lines_are_exactly_the_boilerplate(seeds, seed_id):
    got = [(r.line, r.reason) for r in seeds[seed_id].removed]
    assert got == EXPECTED_REMOVED[seed_id]


@pytest.mark.parametrize("seed_id", SEED_IDS)
def test_every_news_paragraph_is_kept(seeds, examples_dir, seed_id):
    """Every source line that is neither the title nor removed appears in the text, unchanged
    but for markdown marks."""
    a = seeds[seed_id]
    removed = {r.line for r in a.removed}
    text = a.text
    for line in _paragraphs(examples_dir / f"{seed_id}.txt"):
        plain = re.sub(r"^#+\s*", "", line).replace("**", "").strip()
        if line in removed or plain == a.title:
            continue
        assert plain in text, f"news paragraph lost: {line[:80]}"


def test_reuters_copy_metadata_and_no_markdown(seeds):
    a = seeds["002_75467a53cab7589a"]
    assert a.outlet == "Reuters"
    assert a.published == "2018-12-30"
    assert a.title == "Putin, in New Year Letter to Trump, Says Moscow Is Open for Dialogue"
    assert a.url.endswith("-a64002")
    for mark in ("**", "](#)", "# ", "Original url", "http", "Kremlin.ru"):
        assert mark not in a.text
    assert a.text.startswith("President Vladimir Putin, in a New Year letter")


def test_dateline_becomes_place_and_outlet(seeds):
    a = seeds["000_72897a8d1972ae6a"]
    assert (a.place, a.outlet) == ("Moscow", "AFP")
    assert a.title == "Putin says still 'open to dialogue' with US"
    assert a.text.startswith("Russian President Vladimir Putin has reassured")


def test_first_line_is_title_only_when_it_looks_like_a_headline(seeds):
    # 004 starts with a full sentence: no title, the sentence stays in the text
    a = seeds["004_80ae9117d0c94e64"]
    assert a.title is None
    assert a.text.startswith("Russian President Vladimir Putin called for \"pragmatic cooperation\"")
    assert a.outlet == "AFP"
    assert a.text.rstrip().endswith("displaced millions more.")
    assert seeds["003_3182c1616ae321b1"].title.startswith("Putin Tells Trump")


def test_unknown_dates_say_so(seeds):
    for i in ("000_72897a8d1972ae6a", "001_99501aa1479f7920", "003_3182c1616ae321b1", "004_80ae9117d0c94e64"):
        assert seeds[i].published is None and seeds[i].published_source == "none"
    assert seeds["002_75467a53cab7589a"].published_source == "url"
