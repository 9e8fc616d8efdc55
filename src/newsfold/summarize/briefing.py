"""The briefing of one story: the dataclasses and their stable JSON shape.

A :class:`Briefing` is what the Summaries stage stores in
``summaries.briefing_json`` and what the CLI, the web pages and the reports
render.  ``Briefing.to_dict()`` gives the JSON shape; ``Briefing.from_dict``
reads it back.  Fields are only ever added (with defaults), never renamed, so
stored briefings stay readable; ``schema`` says which shape wrote them.

JSON shape (schema 1)::

    {
      "schema": 1,
      "story_id": "s-…" | null,
      "version": "…",                      # story_version: hash of the sorted article ids
      "headline": "…",
      "summary": [{"text", "article_ids", "source_id", "position", "words"}],
      "reason": null | "…",                # why the summary is empty
      "n_articles": 4, "n_words": 97, "max_words": 100,
      "sampled": null | {"used": 40, "of": 5000, "nlp_used": 12},  # a big story is read from a sample of its
                                                 # articles; entities, quotes and discrepancies from nlp_used of them
      "entities": [{"name", "label", "count", "article_ids"}],   # label: the kind in words ("place")
      "additions": [{"outlet", "article_ids", "sentences": [{"text", "article_id", "position"}],
                     "entities": ["…"], "n_sentences"}],
      "quotes": [{"speaker", "text", "renderings": [{"text", "article_id", "outlet", "speaker", "sentence"}]}],
      "discrepancies": [{"kind", "subject", "values": [{"value", "article_ids", "sentences"}]}],
      "timeline": [{"published", "outlet", "article_id", "title",     # the articles read (the sample, if any);
                    "updated_at", "versions"}]                       # an updated one: when, and how many texts
    }
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

SCHEMA = 1


@dataclass
class SummarySentence:
    """One summary sentence, verbatim from ``source_id``.

    ``article_ids`` lists every article of the story that states it (the
    source first), near-paraphrases included; ``position`` is the sentence's
    index in its source article.
    """

    text: str
    article_ids: list[str]
    source_id: str
    position: int = 0
    words: int = 0


# what kind of thing an entity is, in words, for each spaCy label kept
KINDS = {"PERSON": "person", "ORG": "organisation", "GPE": "place", "LOC": "place", "FAC": "place",
         "NORP": "group", "EVENT": "event", "PRODUCT": "product", "WORK_OF_ART": "work", "LAW": "law",
         "DATE": "date"}


def entity_kind(label: str) -> str:
    """An entity's kind in words ("place"), from a spaCy label ("GPE") or a kind already in words."""
    return KINDS.get(label, label)


@dataclass
class Entity:
    """A named entity, its kind in words (person, place, organisation, group, event, …), its mentions
    and the articles naming it.  A briefing stored with spaCy labels (``GPE``) reads back in words."""

    name: str
    label: str
    count: int
    article_ids: list[str]

    def __post_init__(self) -> None:
        self.label = entity_kind(self.label)


@dataclass
class AddedSentence:
    """A sentence whose content no other outlet of the story reports."""

    text: str
    article_id: str
    position: int = 0


@dataclass
class OutletAdditions:
    """What one outlet adds: its sentences and entities found in no other outlet's articles.

    ``sentences`` is capped for display; ``n_sentences`` counts them all.
    """

    outlet: str
    article_ids: list[str]
    sentences: list[AddedSentence] = field(default_factory=list)
    entities: list[str] = field(default_factory=list)
    n_sentences: int = 0


@dataclass
class QuoteRendering:
    """One article's wording of a quoted statement, with its speaker when the text names one."""

    text: str
    article_id: str
    outlet: str
    speaker: str | None = None
    sentence: str = ""


@dataclass
class AlignedQuote:
    """One statement as rendered by several articles (one rendering per article)."""

    speaker: str | None
    text: str
    renderings: list[QuoteRendering]


@dataclass
class DiscrepantValue:
    """One value stated for a fact, with the articles and sentences that state it."""

    value: str
    article_ids: list[str]
    sentences: list[str]


@dataclass
class Discrepancy:
    """A fact (``subject``) that articles state with different values, side by side.

    ``kind`` is ``number`` (counts, sums, percentages, quantities) or ``date``.
    """

    kind: str
    subject: str
    values: list[DiscrepantValue]


@dataclass
class TimelineEntry:
    """When an outlet published an article of the story (``published`` is ISO 8601 or null)."""

    published: str | None
    outlet: str
    article_id: str
    title: str | None = None
    updated_at: str | None = None  # when the article's current text replaced an earlier one (None: never)
    versions: int = 1  # how many texts it has had


@dataclass
class Briefing:
    """Everything a reader needs about one story (see the module docstring for the JSON)."""

    headline: str
    summary: list[SummarySentence]
    entities: list[Entity] = field(default_factory=list)
    additions: list[OutletAdditions] = field(default_factory=list)
    quotes: list[AlignedQuote] = field(default_factory=list)
    discrepancies: list[Discrepancy] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    reason: str | None = None
    story_id: str | None = None
    version: str = ""
    n_articles: int = 0
    n_words: int = 0
    max_words: int = 100
    schema: int = SCHEMA
    sampled: dict[str, int] | None = None  # {"used": n, "of": total[, "nlp_used": k]}: the articles read, of the
    #                                        story's (and how many of them entities, quotes and discrepancies read)

    @property
    def summary_text(self) -> str:
        """The summary as one paragraph."""
        return " ".join(s.text for s in self.summary)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Briefing":
        """Read a stored briefing; unknown keys (from a newer writer) are ignored."""

        def build(klass: type, obj: dict[str, Any]) -> Any:
            known = klass.__dataclass_fields__
            return klass(**{k: v for k, v in obj.items() if k in known})

        d = dict(d)
        d["summary"] = [build(SummarySentence, s) for s in d.get("summary") or []]
        d["entities"] = [build(Entity, e) for e in d.get("entities") or []]
        adds = []
        for a in d.get("additions") or []:
            a = dict(a)
            a["sentences"] = [build(AddedSentence, s) for s in a.get("sentences") or []]
            adds.append(build(OutletAdditions, a))
        d["additions"] = adds
        quotes = []
        for q in d.get("quotes") or []:
            q = dict(q)
            q["renderings"] = [build(QuoteRendering, r) for r in q.get("renderings") or []]
            quotes.append(build(AlignedQuote, q))
        d["quotes"] = quotes
        discs = []
        for x in d.get("discrepancies") or []:
            x = dict(x)
            x["values"] = [build(DiscrepantValue, v) for v in x.get("values") or []]
            discs.append(build(Discrepancy, x))
        d["discrepancies"] = discs
        d["timeline"] = [build(TimelineEntry, t) for t in d.get("timeline") or []]
        return build(cls, d)
