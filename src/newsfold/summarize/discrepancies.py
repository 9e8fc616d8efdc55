"""Numbers and dates that articles state differently for the same fact.

Every number (spaCy CARDINAL, MONEY, PERCENT, QUANTITY) and full calendar
date (DATE that parses to a day) in a complete sentence is a *fact* keyed by
what it is about: the word the value attaches to ("23 diplomats" →
diplomat, "estimated at $1 million" → at).  Two facts of different articles
conflict when they have the same kind and key, sentences that say the same
thing otherwise (content-word Dice ≥ 0.45), values that share no number
(``$1 million`` = ``one-million dollars``; a range overlapping a value is no
conflict), and neither article states the other's value anywhere.
Conflicts are grouped by key and shown side by side.  An article's facts
are extracted once (:func:`extract_facts`, from its spaCy doc) and stored
with its analysis (:mod:`.analysis`); a story compares the stored facts.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..clean.dates import parse_date
from ..models import Article
from .briefing import Discrepancy, DiscrepantValue
from .nlp import coarse_pos, doc_text, sentence_span
from .text import content_terms, stem

if TYPE_CHECKING:
    from .analysis import ArticleAnalysis

log = logging.getLogger(__name__)

NUMBER_LABELS = {"CARDINAL", "MONEY", "PERCENT", "QUANTITY"}
SENTENCE_DICE = 0.45
_SMALL = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
_VAGUE_DATES = {"today", "yesterday", "tomorrow", "now", "recently", "this year", "last year", "next year",
                "this week", "last week", "next week", "annual", "daily", "weekly", "monthly"}


@dataclass
class Fact:
    """A stated number or date of one article: what it is about (``key``), its value, and its sentence.

    ``entity`` is the value as written; the fact's terms are its sentence's
    content words without the value's own.
    """

    kind: str
    key: str
    value: str
    shown: str
    sentence: str
    entity: str


@dataclass
class _Fact:
    kind: str
    key: str
    value: str
    shown: str
    article_id: str
    sentence: str
    terms: set[str]


_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_FULL_DATE = re.compile(rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTHS}|\b{_MONTHS}\s+\d{{1,2}}\b|\d{{4}}-\d{{2}}-\d{{2}}", re.I)
_SCALE = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "k": 1e3, "m": 1e6, "bn": 1e9}
_NUM = re.compile(r"(\d+(?:\.\d+)?)\s*(thousand|million|billion|trillion|bn|k|m)?\b")


def numbers_in(text: str) -> set[float]:
    """The numeric values a stated figure holds ("$140-150 million" → {140e6, 150e6})."""
    s = normalise_value(text, "number")
    found = [(float(n), (sc or "")) for n, sc in _NUM.findall(s)]
    if not found:
        return set()
    # a scale word after the last number applies to the bare numbers before it ("140-150 million")
    last_scale = next((sc for _, sc in reversed(found) if sc), "")
    return {v * _SCALE.get(sc or last_scale, 1.0) for v, sc in found}


def normalise_value(text: str, kind: str) -> str:
    """A comparable form of a stated value: digits without separators, words for small numbers as digits."""
    s = text.lower().strip()
    s = re.sub(r"^(about|around|some|nearly|almost|more than|over|at least|up to|roughly|the|on|in)\s+", "", s)
    s = s.replace(",", "")
    if kind == "number":
        s = re.sub(r"\$\s*us|us\$|\$|€|£|dollars?|euros?|pounds?|usd|eur", " ", s)
        words = re.split(r"[\s-]+", s)
        words = [str(_SMALL[w]) if w in _SMALL else w for w in words]
        s = " ".join(words)
    return s.strip(" .")


def extract_facts(doc: Any) -> list[Fact]:
    """The facts a spaCy doc states, in text order."""
    out = []
    for ent in doc.ents:
        if ent.label_ in NUMBER_LABELS:
            kind = "number"
        elif ent.label_ == "DATE":
            kind = "date"
        else:
            continue
        if kind == "date" and ent.text.lower().strip() in _VAGUE_DATES:
            continue
        root = ent.root
        head = root.head
        if kind == "number" and ent.label_ == "CARDINAL" and root.dep_ not in ("nummod", "quantmod", "npadvmod", "dobj",
                                                                                 "nsubj", "pobj", "appos"):
            continue
        if head.i == root.i or head.is_punct:
            continue
        if kind == "number" and ent.label_ == "CARDINAL" and coarse_pos(head) not in ("NOUN", "PROPN"):
            continue
        key = f"{ent.label_ if kind == 'number' else 'DATE'}:{stem(head.lower_)}"
        value = normalise_value(ent.text, kind)
        if not value or (kind == "number" and not re.search(r"\d", value)):
            continue
        if kind == "date":
            if not _FULL_DATE.search(ent.text):  # a day of a month, not "1983" or "last week"
                continue
            iso = parse_date(ent.text)
            if not iso or len(iso) < 10:
                continue
            value = iso[:10]
        sent_text = _sentence_in_paragraph(doc, ent)
        if not _is_statement(sent_text):
            continue
        shown_subject = head.text if kind == "number" else head.text
        out.append(Fact(kind=kind, key=key, value=value, shown=shown_subject, sentence=sent_text, entity=ent.text))
    return out


def _sentence_in_paragraph(doc: Any, ent: Any) -> str:
    """The entity's sentence, cut to the paragraph (line) it sits in."""
    text = doc_text(doc)
    sent = sentence_span(doc, ent.start)
    lo = max(sent.start_char, text.rfind("\n", 0, ent.start_char) + 1)
    nl = text.find("\n", ent.end_char)
    hi = min(sent.end_char, nl if nl >= 0 else len(text))
    return text[lo:hi].strip()


def _is_statement(text: str) -> bool:
    """A sentence of running text: one paragraph, 5–120 words, ending like a sentence (not a header line)."""
    return "\n" not in text and 5 <= len(text.split()) <= 120 and text.rstrip("\"'”’)").endswith((".", "!", "?"))


def find_discrepancies(articles: Sequence[Article], analyses: Mapping[str, "ArticleAnalysis"], *,
                       limit: int = 10) -> list[Discrepancy]:
    """Facts stated with different values by different articles, grouped by what they are about."""
    facts: list[_Fact] = []
    stated: dict[str, set[str]] = defaultdict(set)  # article -> all normalised values it states
    for a in articles:
        an = analyses.get(a.id)
        if an is None:
            continue
        fs = [_Fact(kind=f.kind, key=f.key, value=f.value, shown=f.shown, article_id=a.id, sentence=f.sentence,
                    terms=set(content_terms(f.sentence)) - set(content_terms(f.entity))) for f in an.facts]
        facts.extend(fs)
        stated[a.id].update(f.value for f in fs)
    by_key: dict[str, list[_Fact]] = defaultdict(list)
    for f in facts:
        by_key[f.key].append(f)
    out: list[tuple[int, Discrepancy]] = []
    for key, fs in by_key.items():
        conflicting: list[_Fact] = []
        for i, f in enumerate(fs):
            for g in fs[i + 1:]:
                if f.article_id == g.article_id or f.value == g.value:
                    continue
                if f.value in stated[g.article_id] or g.value in stated[f.article_id]:
                    continue
                if f.kind == "number" and (numbers_in(f.value) & numbers_in(g.value)
                                           or not numbers_in(f.value) or not numbers_in(g.value)):
                    continue
                inter = len(f.terms & g.terms)
                dice = 2 * inter / (len(f.terms) + len(g.terms)) if f.terms and g.terms else 0.0
                if dice >= SENTENCE_DICE:
                    conflicting.extend(x for x in (f, g) if x not in conflicting)
        if not conflicting:
            continue
        values: dict[str, DiscrepantValue] = {}
        for f in conflicting:
            v = values.setdefault(f.value, DiscrepantValue(value=f.value, article_ids=[], sentences=[]))
            if f.article_id not in v.article_ids:
                v.article_ids.append(f.article_id)
            if f.sentence not in v.sentences:
                v.sentences.append(f.sentence)
        if len(values) < 2:
            continue
        subject = conflicting[0].shown
        out.append((-sum(len(v.article_ids) for v in values.values()),
                    Discrepancy(kind=conflicting[0].kind, subject=subject, values=list(values.values()))))
    out.sort(key=lambda x: x[0])
    return [d for _, d in out[:limit]]
