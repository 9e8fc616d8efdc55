"""Which paragraphs of a story's articles the briefing's NLP parses: the ones whose parse it shows.

spaCy is the costly part of a briefing (a few milliseconds a paragraph), and
most of what it finds in a paragraph is never shown.  The briefing shows
three things that need a parse: the story's people, places and
organisations ("who and where"), quotes with their speakers aligned across
articles, and figures that articles state differently.  So a paragraph is
parsed (:func:`plan`) when it is

* an article's lead: its first ``LEAD`` paragraphs that are statements
  (the event's who and where; the names found there are then counted in
  every article's text, :func:`.entities.story_entities`);
* a quotation of four words or more (its speaker and statements need the
  parse);
* a figure that another article states in a sentence about the same thing:
  the same kind of count (:data:`.discrepancies.QUANTITIES`) or a sentence
  sharing most of its content words (``SENTENCE_DICE``), as
  :func:`.discrepancies.find_discrepancies` aligns figures.

The tests are lexical and cheap; the figures' look at the story, so a
paragraph becomes worth parsing when a new article restates it, and each
distinct paragraph is parsed once whatever story reads it (:mod:`.analysis`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..models import Article
from ..sentences import paragraphs, split_sentences
from ..text import words
from .discrepancies import QUANTITIES, SENTENCE_DICE, WINDOW
from .quotes import long_quote_spans
from .text import content_terms, is_statement, stem

LEAD = 2  # statement paragraphs at the top of each article that are always parsed
_DIGIT = re.compile(r"\d")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b")
_NUMBER_WORD = re.compile(
    r"\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen"
    r"|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundreds?"
    r"|thousands?|millions?|billions?|dozens?)\b", re.I)


@dataclass
class Paragraph:
    """One paragraph of an article, and whether the briefing parses it."""

    text: str
    parse: bool = False
    why: list[str] = field(default_factory=list)


def states_figure(sentence: str) -> bool:
    """Whether a statement gives a figure: a number (not a bare year) or a number word."""
    rest = _YEAR.sub(" ", sentence)
    return bool(_DIGIT.search(rest) or _NUMBER_WORD.search(rest))


def quantities(sentence: str) -> frozenset[str]:
    """The kinds of count (:data:`.discrepancies.QUANTITIES`) named within ``WINDOW`` words of a figure."""
    ws = words(_YEAR.sub(" ", sentence))
    near: set[str] = set()
    for i, w in enumerate(ws):
        if w[:1].isdigit() or _NUMBER_WORD.fullmatch(w):
            near.update(stem(x) for x in ws[max(0, i - WINDOW):i + WINDOW + 2])
    return frozenset(name for name, cues in QUANTITIES.items() if near & cues)


def _figures(sentence: str) -> frozenset[str]:
    """The numbers and number words a sentence states (years aside), as written (without separators)."""
    rest = _YEAR.sub(" ", sentence)
    return frozenset([n.replace(",", "") for n in _NUMBER.findall(rest)]
                     + [w.lower() for w in _NUMBER_WORD.findall(rest)])


def _dice(a: set[str], b: set[str]) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


def plan(articles: Sequence[Article]) -> dict[str, list[Paragraph]]:
    """Each article's paragraphs, in order, marked with whether (and why) the briefing parses them."""
    out: dict[str, list[Paragraph]] = {}
    figures: list[tuple[str, int, set[str], frozenset[str], frozenset[str]]] = []
    for a in articles:
        paras = [Paragraph(p) for p in paragraphs(a.text or "")]
        out[a.id] = paras
        lead = 0
        for k, p in enumerate(paras):
            if lead < LEAD and is_statement(p.text):
                p.parse, lead = True, lead + 1
                p.why.append("lead")
            if long_quote_spans(p.text):
                p.parse = True
                p.why.append("quote")
            for s in split_sentences(p.text):
                if is_statement(s) and states_figure(s):
                    terms = {t for t in content_terms(s) if not t[:1].isdigit()}
                    figures.append((a.id, k, terms, quantities(s), _figures(s)))
    for i, (aid, k, terms, kinds, values) in enumerate(figures):
        for bid, j, other, other_kinds, other_values in figures[i + 1:]:
            if aid != bid and values != other_values and (kinds & other_kinds or _dice(terms, other) >= SENTENCE_DICE):
                _mark(out, aid, k, "figure")
                _mark(out, bid, j, "figure")
    return out


def _mark(out: dict[str, list[Paragraph]], aid: str, k: int, why: str) -> None:
    p = out[aid][k]
    p.parse = True
    if why not in p.why:
        p.why.append(why)
