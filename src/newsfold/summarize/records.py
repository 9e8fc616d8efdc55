"""The analysis records: what spaCy finds in a paragraph and an article, as plain data.

A paragraph's :class:`ParagraphAnalysis` (entity mentions, :class:`Fact`\\ s,
:class:`Quotation`\\ s) is extracted once (:mod:`.analysis`) and stored in
``paragraph_analyses``; an article's :class:`ArticleAnalysis` is its parsed
paragraphs' put together.  The stages that read them (:mod:`.entities`,
:mod:`.quotes`, :mod:`.discrepancies`) and the one that writes them
(:mod:`.analysis`) import this module, which imports none of them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any


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
class Statement:
    """One quoted statement of an article: its words, speaker, sentence, and whether it is part of a longer quote."""

    text: str
    speaker: str | None
    sentence: str
    partial: bool


@dataclass
class Quotation:
    """One quotation of a paragraph: the speaker found for it, whether it is the whole paragraph, its statements."""

    speaker: str | None
    whole_paragraph: bool
    statements: list[Statement]

    def to_dict(self) -> dict[str, Any]:
        return {"speaker": self.speaker, "whole": self.whole_paragraph, "statements": [asdict(s) for s in self.statements]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Quotation":
        return cls(speaker=d["speaker"], whole_paragraph=d["whole"], statements=[Statement(**s) for s in d["statements"]])


@dataclass
class ParagraphAnalysis:
    """The entity mentions, facts and quotations of one paragraph."""

    entities: list[tuple[str, str]] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    quotes: list[Quotation] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps({"entities": [list(e) for e in self.entities], "facts": [asdict(f) for f in self.facts],
                           "quotes": [q.to_dict() for q in self.quotes]}, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, s: str) -> "ParagraphAnalysis":
        d = json.loads(s)
        return cls(entities=[(n, lab) for n, lab in d.get("entities", [])],
                   facts=[Fact(**f) for f in d.get("facts", [])],
                   quotes=[Quotation.from_dict(q) for q in d.get("quotes", [])])


@dataclass
class ArticleAnalysis:
    """The entity mentions, facts and quoted statements of one article."""

    article_id: str
    content_hash: str = ""
    entities: list[tuple[str, str]] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    quotes: list[Statement] = field(default_factory=list)
