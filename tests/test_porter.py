"""The Porter stemmer the summarizer uses gives NLTK's stems on real text, without importing NLTK."""

from __future__ import annotations

import json

import pytest
from nfpaths import ECBPLUS, EXAMPLES

from newsfold.porter import porter_stem
from newsfold.text import words


def test_every_word_of_the_seeds_and_ecbplus_stems_as_nltk_stems_it() -> None:
    porter = pytest.importorskip("nltk.stem.porter").PorterStemmer()
    texts = [p.read_text(encoding="utf-8") for p in sorted(EXAMPLES.glob("*.txt"))]
    with open(ECBPLUS, encoding="utf-8") as fh:
        texts += [json.loads(line)["text"] for line in fh]
    vocab = {w for t in texts for w in words(t)}
    assert len(vocab) > 10_000
    differ = sorted(w for w in vocab if porter_stem(w) != porter.stem(w))
    assert differ == []
    # what the summarizer relies on: inflections meet, other words stay apart
    assert porter_stem("reported") == porter_stem("reports") == porter_stem("reporting")
    assert porter_stem("news") != porter_stem("new")

