"""The one sentence layer: every stage that needs sentences uses it (words: :mod:`newsfold.text`).

:func:`sentences` splits a text into paragraphs (its non-blank lines) and
sentences, each a :class:`Sentence` with its character offsets, so dedup's
passages, the summarizer, the citations of a briefing and the anchors of
the article page (``#s-N``) all number one text the same way: a summary
sentence is cited as the whole sentence the article page shows.

Sentences break at line ends and after ``.``, ``!`` or ``?`` (optionally
followed by closing quotes or brackets) when the next word starts like a
sentence, except after common abbreviations ("Mr.", "U.S."), initials and
decimal numbers.  It is about two orders of magnitude faster than pysbd on
news articles with the same boundaries on the ECB+ sentence-per-line text
(``bench/dedup.py --sentences`` measures both).

:func:`locate` finds the sentence of a text that states a given sentence
(exactly, else by shared words, :func:`newsfold.text.words`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .text import MONTHS, words

__all__ = ["Sentence", "locate", "paragraphs", "sentences", "split_sentences"]

# abbreviations that end with a period but rarely end a sentence in news text
_ABBREV = {
    "mr", "mrs", "ms", "dr", "prof", "sen", "rep", "gov", "gen", "lt", "col", "capt", "sgt", "cpl", "adm",
    "st", "jr", "sr", "inc", "corp", "co", "ltd", "no", "nos", "vs", "etc", "fig", "approx", "dept", "est",
    "mt", "ft", "pres", "rev", "hon", "atty", "supt", "det", "insp", "univ", "assn", "bros", "messrs",
    "ave", "blvd", "rd", "e.g", "i.e", "u.s", "u.k", "u.n", "a.m", "p.m",
} | ({m for m in MONTHS if len(m) <= 4} - {"may", "june", "july"})  # month abbreviations ("in May." ends one)

# a candidate boundary: terminal punctuation, optional closers, whitespace,
# then something that can open a sentence
_BOUNDARY = re.compile(r"""([.!?…]+["'”’)\]]*)(\s+)(?=["'“‘(\[]?[A-Z0-9À-ÖØ-Þ])""")
_ABBREV_TAIL = re.compile(r"([A-Za-z][A-Za-z.]*)\.$")


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence of a text: ``text[start:end]``, in paragraph ``paragraph`` (its non-blank line).

    ``index`` is its position among the text's sentences (the article page's
    anchor ``s-N``); ``text`` is the sentence itself (stripped).
    """

    start: int
    end: int
    paragraph: int
    index: int
    text: str


def _ends_with_abbrev(chunk: str) -> bool:
    """True when the text before a period is an abbreviation or an initial."""
    m = _ABBREV_TAIL.search(chunk)
    if not m:
        return False
    word = m.group(1).lower()
    if word in _ABBREV:
        return True
    # single initials ("J. Smith") and dotted acronyms ("U.S.") do not end sentences
    return len(word) == 1 or (len(word) <= 4 and "." in word)


def _line_spans(line: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence of one line (no newline in it), stripped, in order."""
    out: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY.finditer(line):
        end = m.end(1)
        if m.group(1) == "." and _ends_with_abbrev(line[start:end]):
            continue
        out.append((start, end))
        start = m.end(2)
    out.append((start, len(line)))
    spans = []
    for a, b in out:
        seg = line[a:b]
        stripped = seg.strip()
        if stripped:
            a += len(seg) - len(seg.lstrip())
            spans.append((a, a + len(stripped)))
    return spans


def sentences(text: str) -> list[Sentence]:
    """The sentences of ``text`` with their offsets; paragraphs (lines) never merge."""
    out: list[Sentence] = []
    pos = 0
    para = 0
    for line in text.split("\n"):
        base = pos
        pos += len(line) + 1
        if not line.strip():
            continue
        for a, b in _line_spans(line):
            out.append(Sentence(base + a, base + b, para, len(out), line[a:b]))
        para += 1
    return out


def split_sentences(text: str) -> list[str]:
    """The texts of :func:`sentences`, stripped, in order; empty strings never appear."""
    return [line[a:b] for line in text.split("\n") if line.strip() for a, b in _line_spans(line)]


def paragraphs(text: str) -> list[str]:
    """The paragraphs of ``text``: its non-blank lines, stripped, in order (what :func:`sentences` numbers)."""
    return [p for p in (line.strip() for line in text.split("\n")) if p]


def locate(text: str, sents: Sequence[Sentence], needle: str, min_overlap: float = 0.5) -> int | None:
    """Index of the sentence of ``text`` that states ``needle`` (exact, else by word overlap)."""
    needle = needle.strip()
    if not needle or not sents:
        return None
    at = text.find(needle)
    if at < 0:
        at = text.find(needle[: max(20, len(needle) // 2)])
    if at >= 0:
        for s in sents:
            if s.start <= at < s.end or at < s.start:
                return s.index
    want = set(words(needle))
    if not want:
        return None
    best, best_score = None, 0.0
    for s in sents:
        got = set(words(s.text))
        if not got:
            continue
        score = len(want & got) / max(1, min(len(want), len(got))) * (len(want & got) / max(len(want | got), 1)) ** 0.25
        if score > best_score:
            best, best_score = s.index, score
    return best if best_score >= min_overlap else None
