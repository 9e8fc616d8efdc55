"""Story briefings: a cited extractive summary, entities, additions, aligned quotes, discrepancies, timeline.

``summarize_story(articles)`` builds a :class:`Briefing`; the
:class:`SummariesStage` keeps one stored per story, refreshed when the
story's membership changes; ``load_briefing(store, story_id)`` reads it back.
"""

from __future__ import annotations

from .briefing import (AddedSentence, AlignedQuote, Briefing, Discrepancy, DiscrepantValue, Entity, OutletAdditions,
                       QuoteRendering, SummarySentence, TimelineEntry)
from .core import summarize_story
from .render import render_briefing_text
from .selection import select_summary, summary_text
from .stage import SummariesStage, load_briefing, sentence_encoder, story_version

__all__ = [
    "AddedSentence", "AlignedQuote", "Briefing", "Discrepancy", "DiscrepantValue", "Entity",
    "OutletAdditions", "QuoteRendering", "SummarySentence", "TimelineEntry", "SummariesStage",
    "load_briefing", "render_briefing_text", "select_summary", "sentence_encoder", "story_version", "summarize_story", "summary_text",
]
