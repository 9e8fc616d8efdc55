"""Quoted statements, their speakers, and their alignment across articles.

A quote is a span between double quotation marks (straight, curly or
guillemets, possibly mixed) of at least four words.  Its speaker is the
subject of the nearest verb of saying outside the quote in the same
sentence ("…," the Kremlin said; Lavrov said "…"; according to TASS, "…"),
or, for a quote that is a whole paragraph, the speaker of the quote just
before it.  Long quotes are cut into statements at sentence boundaries and
at coordinated clauses ("…, and reaffirmed that …"), so that a quote
joining two statements can align with each of them.  Statements of
different articles whose content words overlap (Dice ≥ 0.4) are linked, and
each connected group is one :class:`AlignedQuote` with one rendering per
article.  Quotations are extracted once per paragraph
(:func:`extract_quotations`, from the paragraph's spaCy doc) and stored
with its analysis (:mod:`.analysis`); an article's statements are its
paragraphs' quotations put together (:func:`attribute`, which carries a
speaker to the whole-paragraph quotation after it), and a story aligns the
stored statements.
"""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..models import Article
from ..unionfind import UnionFind
from .briefing import AlignedQuote, QuoteRendering
from .nlp import coarse_pos, doc_text, sentence_span
from .records import ArticleAnalysis, Quotation, Statement
from .text import content_terms, stem

log = logging.getLogger(__name__)

MIN_QUOTE_WORDS = 4
MIN_TERMS = 3
LINK_DICE = 0.4
_OPEN = "“«„"
_CLOSE = "”»"
_BOTH = '"'
_SPEECH = {stem(w) for w in (
    "say", "said", "says", "add", "added", "tell", "told", "stress", "stressed", "confirm", "confirmed", "note",
    "noted", "write", "wrote", "state", "stated", "declare", "declared", "quote", "quoted", "reaffirm",
    "reaffirmed", "underline", "underlined", "insist", "insisted", "explain", "explained", "warn", "warned",
    "announce", "announced", "ask", "asked", "reply", "replied", "emphasize", "emphasized", "emphasised",
    "claim", "claimed", "argue", "argued", "assert", "asserted", "comment", "commented", "remark", "remarked",
    "respond", "responded", "tweet", "tweeted", "wish", "wished", "express", "expressed", "pledge", "pledged")}
_LEADING_CC = re.compile(r"^(?:and|but|or)\s+", re.I)
_PRONOUNS = {"he", "she", "they", "it", "we", "i", "you", "who", "this", "that"}


@dataclass
class _Statement:
    article_id: str
    text: str
    terms: set[str]
    speaker: str | None
    sentence: str
    partial: bool
    order: int


def quote_spans(text: str) -> list[tuple[int, int]]:
    """Character spans (without the marks) of quotations in ``text``; quotes never cross a line."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for line in text.split("\n"):
        opened: int | None = None
        for i, ch in enumerate(line):
            if opened is None and (ch in _OPEN or ch in _BOTH):
                opened = i + 1
            elif opened is not None and (ch in _CLOSE or ch in _BOTH):
                spans.append((pos + opened, pos + i))
                opened = None
        pos += len(line) + 1
    return spans


def long_quote_spans(text: str) -> list[tuple[int, int]]:
    """The spans of :func:`quote_spans` of ``MIN_QUOTE_WORDS`` words or more: the quotations the briefing reads."""
    return [(qs, qe) for qs, qe in quote_spans(text) if len(text[qs:qe].split()) >= MIN_QUOTE_WORDS]


def _speaker(doc: Any, qs: int, qe: int) -> str | None:
    span = doc.char_span(qs, qe, alignment_mode="expand")
    if span is None or len(span) == 0:
        return None
    first, last = sentence_span(doc, span.start), sentence_span(doc, span.end - 1)
    lo, hi = min(first.start, last.start), max(first.end, last.end)
    best, best_dist = None, 10**9
    for t in doc[lo:hi]:
        if span.start <= t.i < span.end:
            continue
        if t.lower_ == "according" or (stem(t.lower_) in _SPEECH and coarse_pos(t) in ("VERB", "AUX")):
            dist = span.start - t.i if t.i < span.start else t.i - span.end
            if dist < best_dist:
                best, best_dist = t, dist
    if best is None:
        return None
    subj = None
    if best.lower_ == "according":
        for c in best.children:
            if c.lower_ == "to":
                subj = next((g for g in c.children if g.dep_ == "pobj"), None)
    else:
        subj = next((c for c in best.children if c.dep_ in ("nsubj", "nsubjpass")), None)
        if subj is None and best.dep_ in ("conj", "xcomp", "advcl") and best.head.i != best.i:
            subj = next((c for c in best.head.children if c.dep_ == "nsubj"), None)
    if subj is None or (span.start <= subj.i < span.end) or subj.lower_ in _PRONOUNS:
        return None
    toks = [t for t in subj.subtree if not (span.start <= t.i < span.end)]
    if len(toks) > 8:  # a long description: keep the entity or the head noun phrase
        ents = [e for e in doc.ents if e.start >= toks[0].i and e.end <= toks[-1].i + 1
                and e.label_ in ("PERSON", "ORG", "GPE", "NORP")]
        if ents:
            return ents[0].text
        toks = [t for t in subj.lefts] + [subj]
    text = doc[toks[0].i:toks[-1].i + 1].text.strip(" ,\"“”")
    return text or None


def _segments(doc: Any, qs: int, qe: int, text: str) -> list[tuple[int, int]]:
    """Cut a quote into statements: at sentence starts and before coordinated clauses."""
    span = doc.char_span(qs, qe, alignment_mode="contract")
    cuts: set[int] = set()
    if span is not None and len(span) > 0:
        for t in span:
            if t.i > span.start and t.is_sent_start:
                cuts.add(t.idx)
            if t.dep_ == "conj" and span.start <= t.head.i < span.end and coarse_pos(t) in ("VERB", "AUX") \
                    and coarse_pos(t.head) in ("VERB", "AUX"):
                ccs = [c for c in t.head.children if c.dep_ == "cc" and t.head.i < c.i < t.i
                       and c.lower_ in ("and", "but")]
                if ccs and any(c.is_punct for c in doc[t.head.i:ccs[-1].i]):
                    cuts.add(ccs[-1].idx)
    bounds = [qs] + sorted(c for c in cuts if qs < c < qe) + [qe]
    segs = [(a, b) for a, b in zip(bounds, bounds[1:])]
    merged: list[tuple[int, int]] = []
    for a, b in segs:
        if merged and len(text[a:b].split()) < MIN_QUOTE_WORDS:
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    if len(merged) > 1 and len(text[merged[-1][0]:merged[-1][1]].split()) < MIN_QUOTE_WORDS:
        last = merged.pop()
        merged[-1] = (merged[-1][0], last[1])
    return merged


def _sentence_of(doc: Any, at: int) -> str:
    """The sentence around character ``at``, kept within its paragraph."""
    span = doc.char_span(at, at + 1, alignment_mode="expand")
    if span is None or not len(span):
        return ""
    sent = sentence_span(doc, span.start)
    text = doc_text(doc)
    lo = max(sent.start_char, text.rfind("\n", 0, at) + 1)
    nl = text.find("\n", at)
    hi = min(sent.end_char, nl if nl >= 0 else len(text))
    return text[lo:hi].strip()


def extract_quotations(text: str, doc: Any) -> list[Quotation]:
    """The quotations of one paragraph (``doc``: its spaCy doc, or None), in text order, with their statements.

    A quotation whose speaker is not found here keeps ``speaker=None``; a
    whole-paragraph quotation takes the speaker of the one before it when an
    article's quotations are put together (:func:`attribute`).
    """
    out: list[Quotation] = []
    for qs, qe in long_quote_spans(text):
        speaker = _speaker(doc, qs, qe) if doc is not None else None
        line_start = text.rfind("\n", 0, qs) + 1
        line_end = text.find("\n", qe)
        whole_para = not text[line_start:qs - 1].strip() and not text[qe + 1:line_end if line_end >= 0 else None].strip(
            " .,")
        segs = _segments(doc, qs, qe, text) if doc is not None else [(qs, qe)]
        stmts = []
        for a, b in segs:
            seg = _LEADING_CC.sub("", text[a:b].strip(" ,;"))
            terms = set(content_terms(seg))
            if len(seg.split()) < MIN_QUOTE_WORDS or len(terms) < MIN_TERMS:
                continue
            sentence = _sentence_of(doc, a) if doc is not None else ""
            stmts.append(Statement(seg, speaker, sentence, len(segs) > 1))
        out.append(Quotation(speaker=speaker, whole_paragraph=whole_para, statements=stmts))
    return out


def attribute(quotations: Iterable[Quotation]) -> list[Statement]:
    """The statements of an article's quotations (its paragraphs' in text order), each with its speaker.

    A whole-paragraph quotation with no speaker of its own is the previous
    quotation's speaker's.
    """
    out: list[Statement] = []
    prev_speaker: str | None = None
    for q in quotations:
        speaker = q.speaker
        if speaker is None and q.whole_paragraph:
            speaker = prev_speaker
        prev_speaker = speaker or prev_speaker
        out.extend(Statement(st.text, speaker, st.sentence, st.partial) for st in q.statements)
    return out


def _dice(a: set[str], b: set[str]) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


def align_quotes(articles: Sequence[Article], analyses: Mapping[str, ArticleAnalysis], outlets: dict[str, str],
                 *, limit: int = 20) -> list[AlignedQuote]:
    """Quotes of the story, the same statement across articles grouped as one (most renderings first)."""
    stmts: list[_Statement] = []
    for i, a in enumerate(articles):
        an = analyses.get(a.id)
        for st in (an.quotes if an is not None else ()):
            stmts.append(_Statement(a.id, st.text, set(content_terms(st.text)), st.speaker, st.sentence, st.partial, i))
    n = len(stmts)
    sets = UnionFind(n)
    sims: dict[tuple[int, int], float] = {}
    for i in range(n):
        for j in range(i + 1, n):
            if stmts[i].article_id == stmts[j].article_id:
                continue
            d = _dice(stmts[i].terms, stmts[j].terms)
            if d >= LINK_DICE:
                sims[(i, j)] = d
                sets.union(j, i)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(n):
        groups[sets.find(i)].append(i)
    out: list[tuple[tuple[int, int, int], AlignedQuote]] = []
    for members in groups.values():
        by_article: dict[str, list[int]] = defaultdict(list)
        for i in members:
            by_article[stmts[i].article_id].append(i)

        def centrality(i: int) -> float:
            return sum(sims.get((min(i, j), max(i, j)), 0.0) for j in members if j != i)

        chosen = [max(idx, key=lambda i: (centrality(i), len(stmts[i].terms))) for idx in by_article.values()]
        chosen.sort(key=lambda i: (stmts[i].order, i))
        renderings = []
        for i in chosen:
            s = stmts[i]
            text = ("… " if s.partial else "") + s.text
            renderings.append(QuoteRendering(text=text, article_id=s.article_id, outlet=outlets.get(s.article_id, ""),
                                             speaker=s.speaker, sentence=s.sentence))
        speakers = Counter(s.speaker for s in (stmts[i] for i in chosen) if s.speaker)
        head = max(chosen, key=lambda i: (centrality(i), -stmts[i].order))
        out.append(((-len(chosen), stmts[chosen[0]].order, min(chosen)),
                    AlignedQuote(speaker=speakers.most_common(1)[0][0] if speakers else None,
                                 text=stmts[head].text, renderings=renderings)))
    out.sort(key=lambda x: x[0])
    return [q for _, q in out[:limit]]
