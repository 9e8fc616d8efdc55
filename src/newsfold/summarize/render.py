"""Plain-text rendering of a briefing (``newsfold story ID``)."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping

from ..published import shown, source_order
from ..text import plural
from .briefing import Briefing


def number_sources(articles: Iterable[tuple[str, str | None]]) -> dict[str, int]:
    """Article id → its number among a story's sources ``(id, published)``: 1, 2, … first published first,
    then by id (:func:`newsfold.published.source_order`).  The CLI, the web pages, the JSON and the
    reports all number a story's sources with this, over the story's articles."""
    ordered = sorted(dict(articles).items(), key=lambda x: source_order(x[1], x[0]))
    return {aid: k + 1 for k, (aid, _) in enumerate(ordered)}


def source_numbers(b: Briefing) -> dict[str, int]:
    """The numbers of a briefing's sources when the story's article list is not at hand: the articles it
    read (its timeline), then any other it cites."""
    known = {t.article_id: t.published for t in b.timeline}
    nums = number_sources(known.items())
    for s in b.summary:
        for aid in s.article_ids:
            nums.setdefault(aid, len(nums) + 1)
    return nums


def cite_order(ids: Iterable[str], nums: Mapping[str, int]) -> list[str]:
    """``ids`` in the order of their source numbers (unnumbered ones last, as given)."""
    return sorted(ids, key=lambda i: nums.get(i, 1 << 30))


def _cite(ids: list[str], nums: Mapping[str, int]) -> str:
    return "[" + ",".join(str(nums[i]) for i in cite_order(ids, nums) if i in nums) + "]"


def render_briefing_text(b: Briefing, *, width: int = 100, max_entities: int = 15,
                         numbers: Mapping[str, int] | None = None) -> str:
    """The briefing as text: summary with numbered citations, entities, additions, quotes, discrepancies, sources.

    ``numbers``: the story's source numbers (:func:`number_sources` over its articles); by default the
    briefing's own (:func:`source_numbers`).
    """
    nums = dict(numbers) if numbers is not None else source_numbers(b)
    wrap = lambda s, ind="  ": textwrap.fill(s, width=width, initial_indent=ind,  # noqa: E731
                                             subsequent_indent=ind + "  ")
    out = [b.headline or "(no headline)", ""]
    read = f"{b.n_articles} articles"
    if b.sampled:
        read = f"{b.sampled['of']} articles"
        if b.sampled["used"] < b.sampled["of"]:
            read = (f"read from {b.sampled['used']} of {b.sampled['of']} articles, "
                    "a sample spread over outlets and time")
        if b.sampled.get("nlp_used") is not None:
            read += f"; entities, quotes and figures from {b.sampled['nlp_used']} of them"
    if b.summary:
        out.append(f"Summary ({b.n_words} words, {read}; [n] = sources below)")
        for s in b.summary:
            out.append(wrap(f"{s.text} {_cite(s.article_ids, nums)}"))
    else:
        out.append(f"No summary: {b.reason or 'nothing to summarize'}")
    if b.entities:
        out += ["", "Who and where"]
        out.append(wrap("; ".join(f"{e.name} ({e.label}, {e.count}× in {len(e.article_ids)})"
                                  for e in b.entities[:max_entities])))
    if b.additions:
        out += ["", "What each outlet adds"]
        for a in b.additions:
            out.append(f"  {a.outlet} {_cite(a.article_ids, nums)}: {plural(a.n_sentences, 'sentence')} no other outlet has")
            for s in a.sentences[:3]:
                out.append(wrap("- " + s.text, "    "))
            if a.entities:
                out.append(wrap("only here: " + ", ".join(a.entities[:12]), "    "))
    multi = [q for q in b.quotes if len(q.renderings) > 1]
    if multi:
        out += ["", "Quotes across outlets"]
        for q in multi:
            out.append(f"  {q.speaker or 'unattributed'}:")
            for r in q.renderings:
                out.append(wrap(f"“{r.text}” — {r.outlet} {_cite([r.article_id], nums)}", "    "))
    if b.discrepancies:
        out += ["", "Stated differently"]
        for d in b.discrepancies:
            vals = "  vs  ".join(f"{v.value} {_cite(v.article_ids, nums)}" for v in d.values)
            out.append(wrap(f"{d.subject} ({d.kind}): {vals}"))
    sampled = b.sampled and b.sampled["used"] < b.sampled["of"]
    out += ["", "Sources" + (f" (the {b.sampled['used']} articles read)" if sampled else "")]
    for t in sorted(b.timeline, key=lambda t: nums.get(t.article_id, 1 << 30)):
        upd = f"  (updated {t.updated_at}, {t.versions} versions)" if t.updated_at else ""
        out.append(wrap(f"[{nums.get(t.article_id, '?')}] {shown(t.published, 'date unknown')}  {t.outlet}  "
                        f"{t.article_id}  {t.title or ''}".rstrip() + upd))
    return "\n".join(out)
