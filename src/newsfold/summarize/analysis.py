"""What spaCy finds in one article, extracted once and stored: entity mentions, facts, quoted statements.

A briefing's entities, quotes and discrepancies are computed from these
per-article records, never from spaCy docs kept around: the parse is the
expensive part (tens of milliseconds per article), so each article is
parsed once, when a briefing first reads it, and its
:class:`ArticleAnalysis` is stored in ``article_entities`` (one row per
article, ``model`` naming the spaCy model and this extraction's version;
``entities_json`` as below).  A record whose model or article content hash
differs is parsed again.

``entities_json`` (version 1)::

    {"hash": "<article content hash>",
     "entities": [["Vladimir Putin", "PERSON"], …],            # kept mentions, text order
     "facts": [{"kind", "key", "value", "shown", "sentence", "entity"}],
     "quotes": [{"text", "speaker", "sentence", "partial"}]}
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from ..models import Article
from .discrepancies import Fact, extract_facts
from .entities import entity_mentions
from .nlp import model_version, parse
from .quotes import Statement, extract_statements

log = logging.getLogger(__name__)

EXTRACTION_VERSION = 1  # bump when what is extracted from a doc changes: stored records are then redone


def model_key() -> str:
    """The ``article_entities.model`` value records written now carry."""
    return f"{model_version()}/nf{EXTRACTION_VERSION}"


@dataclass
class ArticleAnalysis:
    """The entity mentions, facts and quoted statements of one article."""

    article_id: str
    content_hash: str = ""
    entities: list[tuple[str, str]] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    quotes: list[Statement] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps({"hash": self.content_hash, "entities": [list(e) for e in self.entities],
                           "facts": [asdict(f) for f in self.facts], "quotes": [asdict(q) for q in self.quotes]},
                          ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, article_id: str, s: str) -> "ArticleAnalysis":
        d = json.loads(s)
        return cls(article_id=article_id, content_hash=d.get("hash", ""),
                   entities=[(n, lab) for n, lab in d.get("entities", [])],
                   facts=[Fact(**f) for f in d.get("facts", [])],
                   quotes=[Statement(**q) for q in d.get("quotes", [])])


def analyse(articles: Sequence[Article], batch_size: int = 32) -> dict[str, ArticleAnalysis]:
    """Parse ``articles`` in one spaCy pass and keep what the briefing reads (the docs are dropped)."""
    out: dict[str, ArticleAnalysis] = {}
    if not articles:
        return out
    for a, doc in zip(articles, parse([a.text or "" for a in articles], batch_size=batch_size)):
        out[a.id] = ArticleAnalysis(article_id=a.id, content_hash=a.content_hash, entities=entity_mentions(doc),
                                    facts=extract_facts(doc), quotes=extract_statements(a, doc))
    return out
