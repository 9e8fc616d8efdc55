"""The one text layer on real text: the fingerprint's byte splitter finds the words of ``words``; dates read one way."""

from __future__ import annotations

import datetime as dt
import json
import unicodedata

import numpy as np
import pytest
from nfpaths import ECBPLUS, EXAMPLES

from newsfold.dedup.fingerprint import Shingler
from newsfold.stories.eventdate import event_date
from newsfold.text import find_dates, find_full_date, parse_date, parse_day, words


def _real_texts() -> list[str]:
    seeds = [p.read_text(encoding="utf-8") for p in sorted(EXAMPLES.glob("*.txt"))]
    with open(ECBPLUS, encoding="utf-8") as fh:
        return seeds + [json.loads(line)["text"] for line in fh]


def _symbol(ch: str) -> bool:
    """A character that is neither a letter, a digit nor ASCII: a currency sign, a replacement character."""
    return not ch.isascii() and unicodedata.category(ch)[0] not in "LN"


def test_the_fingerprint_splitter_finds_the_words_of_words() -> None:
    """The numpy splitter of the fingerprints is kept for speed: it cuts every real text where ``words`` does.

    The one difference: a non-ASCII symbol outside the Latin-1 and general punctuation blocks (``€``, ``�``)
    stays inside the fingerprint's word (``€2m``) where ``words`` drops it (``2m``).
    """
    shingler = Shingler()
    texts = _real_texts()
    assert len(texts) > 700
    with_symbols = 0
    for text in texts:
        expected, _ = shingler.word_hashes([" ".join(words(text))])
        got, _ = shingler.word_hashes([text])
        if not np.array_equal(got, expected):
            with_symbols += 1
            got, _ = shingler.word_hashes(["".join(" " if _symbol(c) and not c.isspace() else c for c in text)])
        assert np.array_equal(got, expected), text[:80]
    assert with_symbols < len(texts) // 50  # the exception stays an exception


def test_a_date_is_read_the_same_way_everywhere() -> None:
    seed = (EXAMPLES / "002_75467a53cab7589a.txt").read_text(encoding="utf-8")
    assert find_full_date(seed) == "2018-12-30"  # what cleaning takes as the dateline's date
    assert find_dates(seed)[0][1] == dt.date(2018, 12, 30)  # what the clusterer reads in the text
    assert parse_date("December 30, 2018") == "2018-12-30" == parse_date("Sun, 30 Dec 2018 12:00:00 +0000")[:10]
    assert parse_day("2018-12-30T12:00:00+00:00") == parse_day("30th of December, 2018") == dt.date(2018, 12, 30)
    assert parse_date("Feb. 30, 2018") is None and parse_day("not a date") is None


def test_an_event_date_reads_the_weekday_against_the_articles_own_date() -> None:
    seed = (EXAMPLES / "000_72897a8d1972ae6a.txt").read_text(encoding="utf-8")  # "... the Kremlin said on Sunday"
    assert event_date(seed, dt.date(2019, 1, 2)) == (dt.date(2018, 12, 30), "'on sunday'")
    assert event_date(seed, None) == (None, "none")


def test_a_long_headline_is_cut_at_a_word_boundary() -> None:
    from newsfold.models import Article
    from newsfold.stories.writes import headline_of

    first = (EXAMPLES / "004_80ae9117d0c94e64.txt").read_text(encoding="utf-8").splitlines()[0]  # 200+ characters
    shown = headline_of(Article(id="004", text=first))
    assert len(shown) <= 120 and shown.endswith("…")
    assert first.startswith(shown[:-1]) and first[len(shown) - 1] == " "  # the cut falls between two words


def test_the_stop_list_is_scikit_learns() -> None:
    """Written out so that no stage imports scikit-learn for it; the words are scikit-learn's, and stay dropped."""
    from newsfold.text import ENGLISH_STOP_WORDS, stop_words

    assert ENGLISH_STOP_WORDS == pytest.importorskip("sklearn.feature_extraction.text").ENGLISH_STOP_WORDS
    assert {"the", "whereupon", "said"} <= stop_words()
