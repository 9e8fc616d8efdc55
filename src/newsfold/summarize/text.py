"""Sentence units and the lexical representation the summarizer works on.

Articles are split into paragraphs (lines) and sentences by
:func:`newsfold.sentences.sentences`, the one splitter dedup, citations and the
article page use too.
Each sentence becomes a :class:`SentenceUnit`; ``eligible`` says whether it
may appear in a summary (a complete sentence of reasonable length, not a
heading, headline, the article's title, a link or a fragment); ``statement``
says whether it states something an article can be cited for (headlines
and titles included).  Words (:func:`newsfold.text.words`, the one
tokenizer) are Porter-stemmed, as ROUGE does, stop words dropped, and weighted
by TF-IDF over the story's sentences.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import sparse

from ..models import Article
from ..porter import porter_stem
from ..sentences import sentences
from ..text import cased_words, stop_words, visible_words, words

log = logging.getLogger(__name__)

MIN_WORDS = 6
MAX_WORDS = 70
_TERMINAL = re.compile(r"[.!?][\"'”’)\]]*$|[\"”’]$")
_LINKISH = re.compile(r"https?://|www\.|\]\(|\[[^\]]*\]|<[a-z]+://|@\w+\.\w+")
# "… can be found here." / "Click here to …": a pointer to a link, not content
_POINTER = re.compile(r"\b(?:click|tap|found|read|see|watch|listen|available|go|sign up)\b[^.!?]{0,40}\bhere\b", re.I)


@dataclass
class SentenceUnit:
    """One sentence of one article, with where it sits."""

    article_id: str
    index: int
    text: str
    start: int
    words: int
    eligible: bool
    n_in_article: int = 0
    statement: bool = False  # a complete sentence, a headline or the title included: it states something


def is_statement(text: str) -> bool:
    """Running text of one paragraph: 5–120 words ending like a sentence (not a header line).

    Looser than :func:`is_complete`: a stated figure or a lead paragraph need
    only be a statement, not a summary sentence.
    """
    return "\n" not in text and 5 <= len(text.split()) <= 120 and text.rstrip("\"'”’)").endswith((".", "!", "?"))


def is_summary_worthy(sentence: str) -> bool:
    """A complete sentence of 6–70 words, not a heading, headline, list item, link or fragment."""
    return is_complete(sentence) and not is_headline_style(sentence)


def is_complete(sentence: str) -> bool:
    """A complete sentence of 6–70 words, not a heading, list item, link or fragment (a headline may be one)."""
    s = sentence.strip()
    n = visible_words(s)
    if n < MIN_WORDS or n > MAX_WORDS:
        return False
    if not _TERMINAL.search(s) or s.endswith(":"):
        return False
    if _LINKISH.search(s) or _POINTER.search(s) or s.startswith(("#", "*", "-", "|", ">")):
        return False
    if (s.count('"') + s.count("“") + s.count("”")) % 2:  # a piece of a multi-sentence quote
        return False
    first = s.lstrip("\"'“‘(")[:1]
    if not first or first.islower():
        return False
    if s.isascii():  # the common case, counted in C: an ASCII upper-case character is a letter
        n_letters, n_upper = sum(map(str.isalpha, s)), sum(map(str.isupper, s))
    else:
        letters = [c for c in s if c.isalpha()]
        n_letters, n_upper = len(letters), sum(c.isupper() for c in letters)
    return bool(n_letters) and n_upper <= 0.6 * n_letters


# short words a sentence writes in lower case and a headline capitalises ("Checks Out Of Rehab")
_MINOR = frozenset("a an and as at by for from in into is of on or out over to up with".split())
_QUOTED = re.compile(r"\"[^\"]*\"|“[^”]*”|(?<!\w)'[^']*'(?!\w)|‘[^’]*’")


def is_headline_style(sentence: str) -> bool:
    """A headline, not a sentence: a minor word capitalised inside it, or (nearly) every word capitalised."""
    ws = cased_words(sentence)
    if len(ws) < 4:
        return False
    unquoted = cased_words(_QUOTED.sub(" ", sentence))  # a quoted title keeps its capitals ('On Parties')
    if any(w.lower() in _MINOR and w[:1].isupper() and w[1:].islower() for w in unquoted[1:]):
        return True
    caps = sum(w[:1].isupper() for w in ws)
    return caps == len(ws) or caps >= 0.8 * len(ws)


def sentence_units(articles: Sequence[Article]) -> list[SentenceUnit]:
    """All sentences of ``articles``, in article order."""
    units: list[SentenceUnit] = []
    for a in articles:
        sents = sentences(a.text or "")
        first = len(units)
        title = _bare(a.title or "")
        for s in sents:
            complete = is_complete(s.text)
            units.append(SentenceUnit(article_id=a.id, index=s.index, text=s.text, start=s.start,
                                      words=visible_words(s.text),
                                      eligible=complete and not is_headline_style(s.text) and _bare(s.text) != title,
                                      statement=complete))
        for u in units[first:]:
            u.n_in_article = len(sents)
    return units


def _bare(text: str) -> str:
    """A text's words only, lower-cased: a sentence that is its article's title, bare, is no summary sentence."""
    return " ".join(words(text))


def word_count(text: str) -> int:
    return visible_words(text)


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """A word's Porter stem (NLTK's, :mod:`newsfold.porter`); words of three letters or fewer as they are (ROUGE's rule)."""
    return porter_stem(word) if len(word) > 3 else word


def content_terms(text: str) -> list[str]:
    """Lower-cased, stemmed words (:func:`newsfold.text.words`) without stop words."""
    return list(_content_terms(text))


@lru_cache(maxsize=100_000)
def _content_terms(text: str) -> tuple[str, ...]:
    """:func:`content_terms`, kept by text: a story's sentences are read by selection, citations and
    :mod:`.needs` alike, and wire copies repeat them across stories."""
    stops = stop_words()
    return tuple(stem(w) for w in words(text) if w not in stops)


@dataclass
class TermMatrix:
    """TF-IDF rows (L2-normalised) for a list of texts, plus the vocabulary and IDF."""

    X: sparse.csr_matrix
    vocab: dict[str, int]
    idf: np.ndarray
    terms: list[list[str]]

    def cosine(self) -> np.ndarray:
        """Dense cosine-similarity matrix between all rows."""
        return (self.X @ self.X.T).toarray()


@lru_cache(maxsize=1024)
def _sublinear_tf(count: int) -> float:
    return 1.0 + np.log(count)


def term_matrix(texts: Sequence[str], *, sublinear: bool = True) -> TermMatrix:
    """TF-IDF over ``texts`` treated as the documents (smoothed IDF, as scikit-learn's)."""
    terms = [content_terms(t) for t in texts]
    vocab: dict[str, int] = {}
    rows, cols, vals = [], [], []
    for r, ts in enumerate(terms):
        counts: dict[int, int] = {}
        for t in ts:
            j = vocab.setdefault(t, len(vocab))
            counts[j] = counts.get(j, 0) + 1
        for j, c in counts.items():
            rows.append(r)
            cols.append(j)
            vals.append(_sublinear_tf(c) if sublinear else float(c))
    n, v = len(texts), len(vocab)
    tf = sparse.csr_matrix((vals, (rows, cols)), shape=(n, v), dtype=np.float64)
    df = np.bincount(np.asarray(cols, dtype=np.int64), minlength=v) if cols else np.zeros(v)
    idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
    X = tf @ sparse.diags(idf)
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    X = sparse.diags(1.0 / norms) @ X
    return TermMatrix(X=sparse.csr_matrix(X), vocab=vocab, idf=idf, terms=terms)
