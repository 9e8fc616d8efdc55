"""Story briefings: a cited extractive summary, entities, additions, aligned quotes, discrepancies, timeline.

``summarize_story(articles)`` builds a :class:`Briefing`; the
:class:`SummariesStage` keeps one stored per story, refreshed when the
story's membership changes; ``load_briefing(store, story_id)`` reads it back.
"""

from __future__ import annotations

from typing import Any

from .briefing import (AddedSentence, AlignedQuote, Briefing, Discrepancy, DiscrepantValue, EntityCount,
                       OutletAdditions, QuoteRendering, SummarySentence, TimelineEntry)
from .core import select_summary, summarize_story, summary_text

__all__ = [
    "AddedSentence", "AlignedQuote", "Briefing", "Discrepancy", "DiscrepantValue", "EntityCount",
    "OutletAdditions", "QuoteRendering", "SummarySentence", "TimelineEntry", "SummariesStage",
    "load_briefing", "render_briefing_text", "select_summary", "summarize_story", "summary_text",
]


def __getattr__(name: str) -> Any:  # the stage and renderer import the store and CLI helpers lazily
    if name in ("SummariesStage", "load_briefing", "story_version"):
        from . import stage

        return getattr(stage, name)
    if name == "render_briefing_text":
        from .render import render_briefing_text

        return render_briefing_text
    raise AttributeError(name)
