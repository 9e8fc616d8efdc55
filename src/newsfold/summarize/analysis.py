"""What spaCy finds in a paragraph, extracted once and stored: entity mentions, facts, quotes (records: :mod:`.records`).

A briefing's entities, quotes and discrepancies are computed from these
records, never from spaCy docs kept around: the parse is the expensive part.
Only the paragraphs whose parse the briefing shows are parsed
(:func:`.needs.plan`: an article's lead, its quotations, and figures that
other articles of the story restate).  Each distinct paragraph is parsed once,
whatever article or story it appears in, so reprints and wire copies that
share paragraphs cost nothing.  A :class:`ParagraphAnalysis` is stored in
``paragraph_analyses`` (key: a hash of the paragraph's text; ``model``
naming the spaCy model and this extraction's version; a record of another
model is redone).  An article's :class:`ArticleAnalysis` is its paragraphs'
put together in text order (a whole-paragraph quotation without a speaker
takes the previous quotation's speaker, :func:`.quotes.attribute`); it
depends on the story (which paragraphs are parsed), so it is built for each
briefing from the stored paragraph records, which costs little.

Nothing the briefing reads holds a character offset: entity mentions are
names, facts and quotes carry their sentence's text, and a fact's or
quote's sentence never crosses a paragraph.

``paragraph_analyses.analysis_json`` (extraction version 3)::

    {"entities": [["Vladimir Putin", "PERSON"], …],            # kept mentions, text order
     "facts": [{"kind", "key", "value", "shown", "sentence", "entity"}],
     "quotes": [{"speaker", "whole", "statements": [{"text", "speaker", "sentence", "partial"}]}]}
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, MutableMapping, Sequence
from typing import Any

from ..models import Article
from ..text import text_key
from .discrepancies import extract_facts, fact_kind
from .entities import entity_mentions
from .needs import Paragraph, plan
from .nlp import model_version, parse
from .quotes import attribute, extract_quotations, long_quote_spans
from .records import ArticleAnalysis, ParagraphAnalysis

log = logging.getLogger(__name__)

EXTRACTION_VERSION = 3  # bump when what is extracted from a doc changes: stored records are then redone
BATCH_SIZE = 128  # paragraphs per spaCy batch (a paragraph is a few sentences)


def model_key() -> str:
    """The ``model`` value records written now carry."""
    return f"{model_version()}/nf{EXTRACTION_VERSION}"


def paragraph_key(text: str) -> str:
    """The key of a paragraph's analysis: a hash of its (stripped) text."""
    return text_key(text)


def combine_article(article: Article, parts: Sequence[ParagraphAnalysis]) -> ArticleAnalysis:
    """The analysis of ``article`` from its paragraphs' (in text order)."""
    return ArticleAnalysis(article_id=article.id, content_hash=article.content_hash,
                           entities=[e for p in parts for e in p.entities], facts=[f for p in parts for f in p.facts],
                           quotes=attribute(q for p in parts for q in p.quotes))


def needs_syntax(text: str, doc: Any) -> bool:
    """Whether the records of a paragraph (``doc``: its entities only) read its parse: it has a quotation
    (speakers and statements) or an entity that may state a fact (:func:`.discrepancies.fact_kind`)."""
    return bool(long_quote_spans(text)) or any(fact_kind(e) is not None for e in doc.ents)


def analyse_paragraphs(texts: Sequence[str], batch_size: int = BATCH_SIZE) -> list[ParagraphAnalysis]:
    """Parse paragraphs in one spaCy pass and keep what the briefing reads (the docs are dropped).

    Entities are found in every paragraph, tags and dependencies only where
    a record reads them (:func:`needs_syntax`).
    """
    return [ParagraphAnalysis(entities=entity_mentions(doc), facts=extract_facts(doc),
                              quotes=extract_quotations(t, doc))
            for t, doc in zip(texts, parse(list(texts), batch_size=batch_size, syntax=needs_syntax))]


def combine_story(articles: Sequence[Article], plans: Mapping[str, Sequence[Paragraph]],
                  known: Mapping[str, ParagraphAnalysis]) -> dict[str, ArticleAnalysis]:
    """The articles' analyses from their parsed paragraphs' (``known``, by :func:`paragraph_key`), in text order."""
    return {a.id: combine_article(a, [known[paragraph_key(p.text)] for p in plans[a.id] if p.parse])
            for a in articles}


def to_parse(plans: Mapping[str, Sequence[Paragraph]]) -> dict[str, str]:
    """The paragraphs the plans parse, by :func:`paragraph_key` (each distinct text once)."""
    return {paragraph_key(p.text): p.text for paras in plans.values() for p in paras if p.parse}


def analyse(articles: Sequence[Article], known: MutableMapping[str, ParagraphAnalysis] | None = None,
            batch_size: int = BATCH_SIZE) -> dict[str, ArticleAnalysis]:
    """The analyses of a story's ``articles``, parsing the paragraphs the briefing needs (:mod:`.needs`)
    that are not in ``known``.

    ``known`` maps :func:`paragraph_key` to stored paragraph analyses; the
    paragraphs parsed here are added to it (the caller stores the new keys).
    """
    known = {} if known is None else known
    plans = plan(articles)
    new = {k: t for k, t in to_parse(plans).items() if k not in known}
    if new:
        known.update(zip(new, analyse_paragraphs(list(new.values()), batch_size=batch_size)))
        log.debug("parsed %d new paragraphs for %d articles", len(new), len(articles))
    return combine_story(articles, plans, known)
