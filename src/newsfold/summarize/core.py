"""Assemble one story's briefing: sample, summary (:mod:`.selection`), citations (:mod:`.citations`),
headline, timeline, then what the parse gives and the additions (:mod:`.additions`).

:func:`summarize_story` builds the whole :class:`Briefing` from what the
caller gives it: the articles, the re-used passages the dedup stage found
between them, the sentence encoder (:class:`.align.SentenceEncoder`) and the
articles' analyses; it imports no other stage.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..models import Article, Passage
from ..published import source_order
from .align import Alignment, SentenceEncoder
from .briefing import Briefing, SummarySentence, TimelineEntry
from .citations import alignment, citations
from .records import ArticleAnalysis
from .sample import NLP_SAMPLE, SAMPLE_SIZE, Member, choose_sample, nlp_sample
from .selection import Selection, select_summary


# --------------------------------------------------------------- headline
_ATTRIBUTION = re.compile(r",?\s+(?:[\w.'’-]+\s+){0,5}(?:said|says|reported|added|announced)(?:\s+on\s+\w+)?\.?$")


def headline(articles: Sequence[Article], sel: Selection) -> str:
    """The title closest to the story's content, else the first-chosen summary sentence, shortened."""
    titles = [(a.title or "").strip() for a in articles]
    titles = [t.lstrip("#* ").strip() for t in titles if t]
    n = len(sel.units)
    if titles and n:
        centroid = np.asarray(sel.terms.X[:n].mean(axis=0)).ravel()
        tm = sel.terms
        scores = []
        for k, t in enumerate(titles):
            row = tm.X[n + k] if tm.X.shape[0] > n + k else None
            scores.append(float(np.asarray(row @ centroid).ravel()[0]) if row is not None else 0.0)
        return titles[int(np.argmax(scores))]
    if titles:
        return titles[0]
    if not sel.gain_order:
        return ""
    s = sel.units[sel.gain_order[0]].text.strip()
    s = _ATTRIBUTION.sub("", s).rstrip(".,; ")
    words = s.split()
    return " ".join(words[:16]) + (" …" if len(words) > 16 else "")


def timeline(articles: Sequence[Article]) -> list[TimelineEntry]:
    entries = [TimelineEntry(published=a.published, outlet=a.outlet_shown, article_id=a.id, title=a.title)
               for a in articles]
    entries.sort(key=lambda e: source_order(e.published, e.article_id))  # the sources' numbering order
    return entries


# ------------------------------------------------------------------ story
def summarize_story(articles: list[Article], *, max_words: int = 100, passages: Sequence[Passage] = (),
                    encoder: SentenceEncoder | None = None, story_id: str | None = None, version: str = "",
                    with_nlp: bool = True,
                    analyses: Mapping[str, ArticleAnalysis] | None = None, n_articles: int | None = None,
                    duplicates: Collection[str] = (), sample_size: int = SAMPLE_SIZE,
                    nlp_sample_size: int = NLP_SAMPLE) -> Briefing:
    """The briefing of one story (see :class:`Briefing` for what it holds).

    A story of more than ``sample_size`` articles is read from a sample
    spread over outlets and time, originals (ids not in ``duplicates``)
    first (:mod:`.sample`); ``n_articles`` is the story's size when
    ``articles`` already is the caller's sample.  ``passages`` are the dedup
    stage's re-used passages between the articles (cited as restatements);
    ``encoder`` gives the restatement tests their meaning (without one they
    are lexical only).  Entities, quotes and discrepancies read at most
    ``nlp_sample_size`` of the articles (:func:`.sample.nlp_sample`).
    ``analyses`` are the articles' analyses (:mod:`.analysis`); when one is
    missing, the story is parsed here.
    ``with_nlp=False`` skips spaCy (no entities, quotes or discrepancies).
    The work is done in two steps, :func:`draft_briefing` (what needs no
    parse) and :func:`complete_briefing`, so that a caller can parse while
    it drafts.
    """
    draft = draft_briefing(articles, max_words=max_words, passages=passages, encoder=encoder, story_id=story_id,
                           version=version, with_nlp=with_nlp, n_articles=n_articles, duplicates=duplicates,
                           sample_size=sample_size, nlp_sample_size=nlp_sample_size)
    return complete_briefing(draft, analyses)


@dataclass
class Draft:
    """A briefing without what the parse gives (entities, quotes, discrepancies) and without additions."""

    brief: Briefing
    articles: list[Article]
    nlp_articles: list[Article]
    sel: Selection | None = None
    align: Alignment | None = None
    with_nlp: bool = True


def draft_briefing(articles: list[Article], *, max_words: int = 100, passages: Sequence[Passage] = (),
                   encoder: SentenceEncoder | None = None, story_id: str | None = None, version: str = "",
                   with_nlp: bool = True,
                   n_articles: int | None = None, duplicates: Collection[str] = (), sample_size: int = SAMPLE_SIZE,
                   nlp_sample_size: int = NLP_SAMPLE) -> Draft:
    """The first step of :func:`summarize_story`: sample, summary, citations, headline, timeline."""
    articles = [a for a in articles if a is not None]
    total = max(n_articles or 0, len(articles))
    if len(articles) > sample_size:
        keep = set(choose_sample([Member(a.id, a.outlet, a.published, a.id in duplicates) for a in articles],
                                 sample_size))
        articles = [a for a in articles if a.id in keep]
        passages = [p for p in passages if p.article_id in keep and p.source_id in keep]
    articles.sort(key=lambda a: source_order(a.published, a.id))
    brief = Briefing(headline="", summary=[], story_id=story_id, version=version, n_articles=total,
                     max_words=max_words, timeline=timeline(articles))
    nlp_articles = nlp_sample(articles, duplicates, nlp_sample_size) if with_nlp else articles
    if total > len(articles) or len(nlp_articles) < len(articles):
        brief.sampled = {"used": len(articles), "of": total}
        if len(nlp_articles) < len(articles):
            brief.sampled["nlp_used"] = len(nlp_articles)
    draft = Draft(brief=brief, articles=articles, nlp_articles=nlp_articles, with_nlp=with_nlp)
    if not articles:
        brief.reason = "the story has no articles"
        return draft
    sel = draft.sel = select_summary(articles, max_words=max_words, encoder=encoder)
    align = draft.align = alignment(sel, encoder)
    cites = citations(sel, passages, align)
    rank = {a.id: k for k, a in enumerate(articles)}  # citations in the sources' numbering order
    brief.summary = [SummarySentence(text=sel.units[i].text,
                                     article_ids=sorted(cites.get(i, [sel.units[i].article_id]), key=rank.__getitem__),
                                     source_id=sel.units[i].article_id, position=sel.units[i].index,
                                     words=sel.units[i].words) for i in sel.chosen]
    brief.n_words = sum(s.words for s in brief.summary)
    if not brief.summary:
        if not any(u.text.strip() for u in sel.units):
            brief.reason = "the story's articles have no text"
        else:
            brief.reason = (f"none of the story's {len(sel.units)} sentences is a complete sentence of "
                            f"6–70 words that fits in {max_words} words")
    brief.headline = headline(articles, sel)
    return draft


def complete_briefing(draft: Draft, analyses: Mapping[str, ArticleAnalysis] | None = None) -> Briefing:
    """The second step of :func:`summarize_story`: entities, quotes, discrepancies (from ``analyses``), additions."""
    brief, sel, nlp_articles = draft.brief, draft.sel, draft.nlp_articles
    if sel is None:
        return brief
    names = None
    if draft.with_nlp and any(u.text.strip() for u in sel.units):
        from .analysis import analyse
        from .discrepancies import find_discrepancies
        from .entities import entity_names_by_article, story_entities
        from .quotes import align_quotes

        found = dict(analyses or {})
        if any(a.id not in found for a in nlp_articles):  # what the story needs parsed depends on all its articles
            found = analyse(nlp_articles)
        brief.entities = story_entities(nlp_articles, found)
        names = entity_names_by_article(nlp_articles, found)
        brief.quotes = align_quotes(nlp_articles, found, {a.id: a.outlet_shown for a in nlp_articles})
        brief.discrepancies = find_discrepancies(nlp_articles, found,
                                                 encoder=draft.align.encoder if draft.align is not None else None)
    from .additions import additions

    brief.additions = additions(draft.articles, sel, names, brief.quotes, draft.align)
    return brief
