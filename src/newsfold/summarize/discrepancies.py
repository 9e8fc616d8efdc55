"""Numbers and dates that articles state differently for the same quantity of the same event.

Every number (spaCy CARDINAL, MONEY, PERCENT, QUANTITY) and full calendar
date (DATE that parses to a day) in a complete sentence is a *fact* keyed by
what it is about: the quantity the words next to it name (deaths, injured,
a magnitude, … :data:`QUANTITIES`), else the word the value attaches to
("23 diplomats" → diplomat, "estimated at $1 million" → at).  Facts are
aligned before they are compared (:func:`find_discrepancies`): two facts of
different articles are about the same thing when they have the same kind
and key, their sentences name no different year and the same people and
places, and the sentences report the same event (MiniLM, :mod:`.align`, or
shared content words).  Aligned facts conflict when their values share no
number (``$1 million`` = ``one-million dollars``; a range overlapping a
value is no conflict) and neither article states the other's value anywhere
(in its facts, or as a number anywhere in its text: only some paragraphs
are parsed, :mod:`.needs`).  Conflicts are grouped by key and shown side by side.  An article's facts
are extracted once (:func:`extract_facts`, from its spaCy doc) and stored
with its analysis (:mod:`.analysis`); a story compares the stored facts.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..models import Article
from ..text import MONTHS, parse_date, words
from .briefing import Discrepancy, DiscrepantValue
from .align import SentenceEncoder, anchors
from .nlp import coarse_pos, doc_text, sentence_span
from .records import ArticleAnalysis, Fact
from .text import content_terms, is_statement, stem

log = logging.getLogger(__name__)

NUMBER_LABELS = {"CARDINAL", "MONEY", "PERCENT", "QUANTITY"}
SENTENCE_DICE = 0.45
MAX_ENCODED = 24  # sentences of stated figures encoded per story, at most
_SMALL = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
_VAGUE_DATES = {"today", "yesterday", "tomorrow", "now", "recently", "this year", "last year", "next year",
                "this week", "last week", "next week", "annual", "daily", "weekly", "monthly"}


@dataclass
class _Fact:
    kind: str
    key: str
    value: str
    shown: str
    article_id: str
    sentence: str
    terms: set[str]
    what: str = ""
    names: frozenset[str] = frozenset()
    years: set[str] = field(default_factory=set)


_MONTHS = "(?:" + "|".join(m for m in MONTHS if len(m) == 3) + r")[a-z]*\.?"  # a month's first letters, any ending
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


def numbers_written(text: str) -> set[float]:
    """Every number a text gives, as written and with the scale word after it ("5 million": 5 and 5e6)."""
    out: set[float] = set()
    for n, sc in _NUM.findall(normalise_value(text, "number")):
        out.add(float(n))
        if sc:
            out.add(float(n) * _SCALE[sc])
    return out


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


def fact_kind(ent: Any) -> str | None:
    """What fact an entity may state, from its label and text alone: ``number`` (a count with digits, or a number
    word up to twenty), ``date`` (a day of a month), or None.  Whether it does is then read from the parse
    (:func:`extract_facts`): an entity of None needs no parse."""
    if ent.label_ in NUMBER_LABELS:
        value = normalise_value(ent.text, "number")
        return "number" if value and re.search(r"\d", value) else None
    if ent.label_ == "DATE" and ent.text.lower().strip() not in _VAGUE_DATES and _FULL_DATE.search(ent.text) \
            and normalise_value(ent.text, "date"):
        iso = parse_date(ent.text)  # a day of a month, not "1983" or "last week"
        return "date" if iso and len(iso) >= 10 else None
    return None


def extract_facts(doc: Any) -> list[Fact]:
    """The facts a spaCy doc states, in text order."""
    out = []
    for ent in doc.ents:
        kind = fact_kind(ent)
        if kind is None:
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
        value = normalise_value(ent.text, kind) if kind == "number" else str(parse_date(ent.text))[:10]
        sent_text = _sentence_in_paragraph(doc, ent)
        if not is_statement(sent_text):
            continue
        out.append(Fact(kind=kind, key=key, value=value, shown=head.text, sentence=sent_text, entity=ent.text))
    return out


def _sentence_in_paragraph(doc: Any, ent: Any) -> str:
    """The entity's sentence, cut to the paragraph (line) it sits in."""
    text = doc_text(doc)
    sent = sentence_span(doc, ent.start)
    lo = max(sent.start_char, text.rfind("\n", 0, ent.start_char) + 1)
    nl = text.find("\n", ent.end_char)
    hi = min(sent.end_char, nl if nl >= 0 else len(text))
    return text[lo:hi].strip()


# what a count is of, by the words next to it (Porter stems): the quantities a news report's readers compare
QUANTITIES = {
    "deaths": {"kill", "dead", "die", "death", "toll", "fatal", "fatality", "bodi", "perish"},
    "injured": {"injur", "wound", "hurt", "hospit", "hospitalis", "hospitaliz"},
    "missing": {"miss", "unaccount"},
    "magnitude": {"magnitud", "richter"},
    "arrested": {"arrest", "detain"},
    "evacuated": {"evacu", "displac", "homeless"},
}
# a count of one of those is a count of people (or the cue word itself is what the figure attaches to)
COUNTED = {"peopl", "person", "victim", "resid", "civilian", "soldier", "worker", "passeng", "child", "children",
           "student", "men", "women", "miner", "tourist", "migrant", "officer", "polic", "protest", "demonstr",
           "member", "patient", "inmat", "prison", "suspect", "fan", "local", "pedestrian", "famili"}
WINDOW = 4            # words either side of a figure that say what it counts
SAME_EVENT_COS = 0.6  # two sentences giving a known quantity (deaths, …) report the same event
SAME_FACT_COS = 0.7   # two sentences giving any other figure state the same fact
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")


def quantity_of(sentence: str, entity: str, head: str = "") -> str | None:
    """What the figure ``entity`` counts in ``sentence`` (a :data:`QUANTITIES` name), from the nearest telling word.

    ``head``: the stem of the word the figure attaches to; a count (deaths,
    injured, …) must count people (:data:`COUNTED`) or attach to the telling
    word itself; a magnitude is a number with a decimal point or the word
    "magnitude" next to it.
    """
    at = sentence.find(entity)
    if at < 0:
        return None
    head_counts = not head or head in COUNTED or any(head in cues for cues in QUANTITIES.values())
    before = [stem(w) for w in words(sentence[:at])][-WINDOW:]
    after = [stem(w) for w in words(sentence[at + len(entity):])][:WINDOW + 1]
    best: tuple[int, str] | None = None
    integer = not re.search(r"\d[.,]\d", entity) or re.search(r"\d,\d{3}", entity)
    for dist, w in [(len(before) - k, w) for k, w in enumerate(before)] + [(k + 1.5, w) for k, w in enumerate(after)]:
        for name, cues in QUANTITIES.items():
            if name != "magnitude" and not (integer and head_counts):
                continue
            if w in cues and (best is None or dist < best[0]):
                best = (dist, name)
    return best[1] if best else None


def _years(text: str, value: str) -> set[str]:
    """The years a sentence names besides its figure's own."""
    return set(_YEAR.findall(text)) - set(_YEAR.findall(value))


def _same_thing(f: "_Fact", g: "_Fact", cos: float | None) -> bool:
    """Whether two stated figures are about the same quantity of the same event (before comparing values)."""
    known = _same_thing_by_words(f, g)
    if known is not None:
        return known
    if f.what in QUANTITIES:  # the words fell short: the same event by meaning
        return cos is not None and cos >= SAME_EVENT_COS
    return cos is None or cos >= SAME_FACT_COS  # the words agree: the meaning must not disagree


def _same_thing_by_words(f: "_Fact", g: "_Fact") -> bool | None:
    """:func:`_same_thing` when the sentences' meaning (their MiniLM cosine) cannot change it, else None."""
    if f.what != g.what:
        return False
    if f.years != g.years:  # one sentence dates its figure to a year the other does not: another time's event
        return False
    if f.names and g.names and len(f.names & g.names) < 0.5 * min(len(f.names), len(g.names)):
        return False  # about different people, places or teams
    inter = len(f.terms & g.terms)
    dice = 2 * inter / (len(f.terms) + len(g.terms)) if f.terms and g.terms else 0.0
    if f.what in QUANTITIES:
        return True if dice >= SENTENCE_DICE else None
    return None if dice >= SENTENCE_DICE else False


def find_discrepancies(articles: Sequence[Article], analyses: Mapping[str, ArticleAnalysis], *,
                       limit: int = 10, encoder: SentenceEncoder | None = None) -> list[Discrepancy]:
    """Figures stated with different values by different articles for the same quantity of the same event.

    Facts are aligned first: the same kind of quantity (what a count is of
    by the words next to it, :func:`quantity_of`: deaths, injured, a
    magnitude, …, else the word the figure attaches to), the same years
    named (a year in one sentence only is another time's event), the same
    names, and sentences that report the same event (a known quantity: MiniLM cosine ≥
    ``SAME_EVENT_COS`` or content-word Dice ≥ ``SENTENCE_DICE``) or state
    the same fact (any other figure: both; without an ``encoder``, words alone).  Then aligned facts are compared:
    values sharing no number, neither article stating the other's value.
    """
    facts: list[_Fact] = []
    stated: dict[str, set[str]] = defaultdict(set)  # article -> all normalised values it states
    for a in articles:
        an = analyses.get(a.id)
        if an is None:
            continue
        fs = []
        for f in an.facts:
            head = f.key.split(":", 1)[-1]
            what = (f"date:{f.key}" if f.kind == "date" else quantity_of(f.sentence, f.entity, head)) or f.key
            names = anchors(f.sentence.replace(f.entity, " "))[0]
            fs.append(_Fact(kind=f.kind, key=what, value=f.value, shown=f.shown, article_id=a.id,
                            sentence=f.sentence, terms=set(content_terms(f.sentence)) - set(content_terms(f.entity)),
                            what=what, names=names, years=_years(f.sentence, f.entity)))
        facts.extend(fs)
        stated[a.id].update(f.value for f in fs)
    written = {a.id: numbers_written(a.text or "") for a in articles}
    by_key: dict[str, list[_Fact]] = defaultdict(list)
    for f in facts:
        by_key[f.key].append(f)
    pairs: list[tuple[_Fact, _Fact]] = []
    for fs in by_key.values():
        for i, f in enumerate(fs):
            for g in fs[i + 1:]:
                if f.article_id == g.article_id or f.value == g.value:
                    continue
                if f.value in stated[g.article_id] or g.value in stated[f.article_id]:
                    continue
                if f.kind == "number" and (numbers_in(f.value) <= written[g.article_id]
                                           or numbers_in(g.value) <= written[f.article_id]):
                    continue  # the other article gives the value too, in a paragraph not parsed
                if f.kind == "number" and (numbers_in(f.value) & numbers_in(g.value)
                                           or not numbers_in(f.value) or not numbers_in(g.value)):
                    continue
                pairs.append((f, g))
    vec: dict[str, np.ndarray] = {}
    asked = [p for p in pairs if _same_thing_by_words(*p) is None]  # only where the meaning decides
    if asked and encoder is not None:
        texts = list(dict.fromkeys(x.sentence for p in asked for x in p))[:MAX_ENCODED]
        vec = dict(zip(texts, encoder.vectors(texts)))
    # a discrepancy is a connected group of aligned, conflicting facts (not every fact sharing a key)
    parent: dict[int, int] = {}

    def root(x: int) -> int:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    ids = {id(f): f for p in pairs for f in p}
    order = {id(f): k for k, f in enumerate(facts)}
    for f, g in pairs:
        cos = float(vec[f.sentence] @ vec[g.sentence]) if f.sentence in vec and g.sentence in vec else None
        if _same_thing(f, g, cos):
            parent[root(id(f))] = root(id(g))
    groups: dict[int, list[_Fact]] = defaultdict(list)
    for k in parent:
        groups[root(k)].append(ids[k])
    out: list[tuple[int, Discrepancy]] = []
    for conflicting in groups.values():
        key = conflicting[0].key
        conflicting.sort(key=lambda f: order[id(f)])
        values: dict[str, DiscrepantValue] = {}
        for f in conflicting:
            v = values.setdefault(f.value, DiscrepantValue(value=f.value, article_ids=[], sentences=[]))
            if f.article_id not in v.article_ids:
                v.article_ids.append(f.article_id)
            if f.sentence not in v.sentences:
                v.sentences.append(f.sentence)
        if len(values) < 2:
            continue
        subject = key if key in QUANTITIES else conflicting[0].shown
        out.append((-sum(len(v.article_ids) for v in values.values()),
                    Discrepancy(kind=conflicting[0].kind, subject=subject, values=list(values.values()))))
    out.sort(key=lambda x: x[0])
    return [d for _, d in out[:limit]]
