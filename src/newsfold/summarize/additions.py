"""What each outlet adds: its sentences and names that no other outlet of the story states.

A sentence of one outlet is stated elsewhere (:func:`stated_elsewhere`)
when a sentence of another outlet

* is similar to it (TF-IDF cosine ``NOVEL_COS``) or contains most of its
  IDF-weighted content words (``NOVEL_CONTAIN``);
* or, with the few other sentences closest to it (``TOGETHER``), states
  most of its content (``TOGETHER_CONTAIN``), or some of it
  (``NAMED_CONTAIN``) and every name and number it gives that is not the
  whole story's (named by half its articles or more): a sentence that
  joins facts others report, or reports one with other words around it,
  adds nothing (names, numbers);
* or restates it in other words (:mod:`.align`, MiniLM: a paraphrase or a
  translation): one of the ``MEANING_ASKS`` sentences of other outlets most
  similar to it, the articles' earliest sentences asked first, within
  ``MEANING_ENCODED`` more encoded sentences.

It is no addition either when it carries a quote that other articles
render too.  A name is an outlet's own when no other outlet's parsed
paragraphs name it and no other outlet's text contains it.
"""

from __future__ import annotations

import re
from functools import lru_cache
from collections.abc import Collection, Sequence

import numpy as np
from scipy import sparse

from ..models import Article
from .align import Alignment, anchors
from .briefing import AddedSentence, AlignedQuote, OutletAdditions
from .citations import _by_meaning, _containment, _norm
from .selection import Selection
from .text import SentenceUnit, TermMatrix

NOVEL_COS = 0.35         # an addition has no sentence this similar elsewhere
NOVEL_CONTAIN = 0.6      # ... and no sentence elsewhere that contains this share of its content
TOGETHER = 4             # ... nor do its this many most similar sentences elsewhere, together,
TOGETHER_CONTAIN = 0.55  # ... state this share of its content
NAMED_CONTAIN = 0.35     # ... nor do they state this share of its content and all its names and numbers
MAX_ADDITIONS_SHOWN = 8
MEANING_ASKS = 2         # a sentence is asked by meaning of the sentences of other outlets most similar to it
MEANING_ENCODED = 6      # ... encoding at most this many more of the story's sentences


def additions(articles: Sequence[Article], sel: Selection, entity_names: dict[str, set[str]] | None = None,
              shared_quotes: Sequence[AlignedQuote] = (), align: Alignment | None = None) -> list[OutletAdditions]:
    """Per outlet, its sentences (and entities) that no other outlet of the story states (see the module
    docstring); ``entity_names``: the names each article's parsed paragraphs give; ``shared_quotes``: a
    sentence carrying a quote other articles render too is no addition."""
    quoted: dict[str, list[str]] = {}
    for q in shared_quotes:
        if len({r.article_id for r in q.renderings}) > 1:
            for r in q.renderings:
                quoted.setdefault(r.article_id, []).append(_norm(r.text))
    by_id = {a.id: a for a in articles}
    outlets: dict[str, list[str]] = {}
    for a in articles:
        outlets.setdefault(a.outlet_shown, []).append(a.id)
    if len(outlets) < 2:
        return []
    units = sel.units
    unit_outlet = np.asarray([by_id[u.article_id].outlet_shown for u in units], dtype=object)
    rows, echoed = stated_elsewhere(articles, sel, align)
    lowered = [(a.outlet_shown, (a.text or "").lower()) for a in articles] if entity_names is not None else []
    result = []
    for outlet, ids in outlets.items():
        found: list[AddedSentence] = []
        seen: set[str] = set()
        for i in rows:
            u = units[i]
            if unit_outlet[i] != outlet or echoed[i]:
                continue
            key = _norm(u.text)
            if any(qt and qt in key for qt in quoted.get(u.article_id, ())):
                continue
            if key in seen:
                continue
            seen.add(key)
            found.append(AddedSentence(text=u.text, article_id=u.article_id, position=u.index))
        ents: list[str] = []
        if entity_names is not None:
            mine = set().union(*(entity_names.get(i, set()) for i in ids))
            theirs = set().union(*(entity_names.get(a.id, set()) for a in articles if a.outlet_shown != outlet))
            theirs_low = {t.lower() for t in theirs}
            ents = sorted(e for e in mine if e.lower() not in theirs_low)
            if ents:  # not named by another outlet's text either (only some paragraphs are parsed)
                others = [t for o, t in lowered if o != outlet]
                ents = [e for e in ents if not any(_named_in(e, t) for t in others)]
        if found or ents:
            result.append(OutletAdditions(outlet=by_id[ids[0]].outlet_shown, article_ids=ids,
                                          sentences=found[:MAX_ADDITIONS_SHOWN], entities=ents, n_sentences=len(found)))
    result.sort(key=lambda o: (-o.n_sentences, o.outlet))
    return result


def stated_elsewhere(articles: Sequence[Article], sel: Selection, align: Alignment | None = None,
                     ) -> tuple[list[int], np.ndarray]:
    """The units that may be an addition (eligible, three content words or more), and for every unit
    whether another outlet states it (the tests of :func:`additions`)."""
    units = sel.units
    n = len(units)
    X = sel.terms.X[:n]
    tm_units = TermMatrix(X=X, vocab=sel.terms.vocab, idf=sel.terms.idf, terms=sel.terms.terms[:n])
    outlet_of_article = {a.id: a.outlet_shown for a in articles}
    unit_outlet = np.asarray([outlet_of_article[u.article_id] for u in units], dtype=object)
    code = {o: k for k, o in enumerate(dict.fromkeys(unit_outlet.tolist()))}
    unit_code = np.asarray([code[o] for o in unit_outlet.tolist()], dtype=np.int64)
    # which eligible sentences have a near-statement in another outlet (row blocks keep memory flat)
    rows = [i for i, u in enumerate(units) if u.eligible and len(set(sel.terms.terms[i])) >= 3]
    echoed = np.zeros(n, dtype=bool)
    later: list[tuple[int, np.ndarray]] = []  # (unit, its cosines): no lexical echo, asked by meaning after
    B = (X > 0).astype(np.float64).tocsr()
    texts = [u.text for u in units]
    common = _story_anchors(articles, units)
    for b0 in range(0, len(rows), 500):
        blk = rows[b0:b0 + 500]
        cos = (X[blk] @ X.T).toarray()
        contain = _containment(tm_units, blk)
        other = unit_code[blk][:, None] != unit_code[None, :]  # the sentences of other outlets, per row
        near = (np.where(other, cos, -np.inf).max(axis=1) >= NOVEL_COS) | \
            (np.where(other, contain, -np.inf).max(axis=1) >= NOVEL_CONTAIN)
        for k, i in enumerate(blk):
            if near[k] or (other[k].any() and _stated_together(tm_units, B, i, cos[k], np.flatnonzero(other[k]),
                                                                texts, common)):
                echoed[i] = True
            elif align is not None:
                later.append((i, cos[k]))
    if align is not None:  # by meaning: the articles' earliest sentences first, within the encoder's budget
        # (``MEANING_ENCODED`` more sentences), until an outlet has as many additions as are shown
        eligible = np.flatnonzero([u.eligible for u in units])
        stop = align.encoded + MEANING_ENCODED
        kept: dict[str, int] = {}
        for i, sims in sorted(later, key=lambda x: units[x[0]].index):
            if any(unit_outlet[j] != unit_outlet[i] for j in align.restating(i)):  # citations found it restated
                echoed[i] = True
                continue
            if kept.get(unit_outlet[i], 0) >= MAX_ADDITIONS_SHOWN or not align.can_ask(i):
                continue
            if align.encoded >= stop:
                break
            pool = eligible[unit_outlet[eligible] != unit_outlet[i]]
            if _by_meaning(align, i, sims, pool, MEANING_ASKS).size:
                echoed[i] = True
            else:
                kept[unit_outlet[i]] = kept.get(unit_outlet[i], 0) + 1
    return rows, echoed


def _stated_together(tm: TermMatrix, B: sparse.csr_matrix, i: int, cos: np.ndarray, pool: np.ndarray,
                     texts: Sequence[str] | None = None, common: Collection[str] = ()) -> bool:
    """Whether the ``TOGETHER`` sentences of ``pool`` most similar to unit ``i`` state, between them,
    ``TOGETHER_CONTAIN`` of its (IDF-weighted) content words, or ``NAMED_CONTAIN`` of them and every name and
    number it gives but the story's ``common`` ones (:func:`.align.anchors`; ``texts``: the units' texts).
    A sentence that joins two facts other articles report, or reports one fact with other words around it,
    adds nothing."""
    if pool.size < 2:
        return False
    sims = cos[pool]
    if pool.size > TOGETHER:
        top = np.argpartition(-sims, TOGETHER - 1)[:TOGETHER]
        near = pool[top[np.argsort(-sims[top], kind="stable")]]
    else:
        near = pool[np.argsort(-sims, kind="stable")]
    near = near[cos[near] > 0]
    if near.size < 2:
        return False
    ind, ptr = B.indices, B.indptr
    mine = ind[ptr[i]:ptr[i + 1]]
    if not mine.size:
        return False
    have = np.zeros(B.shape[1], dtype=bool)
    for j in near:
        have[ind[ptr[j]:ptr[j + 1]]] = True
    w = tm.idf[mine]
    share = float(w[have[mine]].sum() / w.sum())
    if share >= TOGETHER_CONTAIN:
        return True
    if share < NAMED_CONTAIN or texts is None:
        return False
    # the same who, where, when and how many: the names and numbers it states that are not the whole
    # story's (named by half its articles or more) are all stated there
    names, nums = anchors(texts[i])
    if len(names | nums) < 2:
        return False
    there: set[str] = set()
    for j in near:
        n, u = anchors(texts[j])
        there |= n | u
    return (names | nums) - set(common) <= there


def _story_anchors(articles: Sequence[Article], units: Sequence[SentenceUnit]) -> set[str]:
    """The names and numbers (:func:`.align.anchors`) that half the story's articles or more state."""
    per: dict[str, set[str]] = {}
    for u in units:
        n, x = anchors(u.text)
        per.setdefault(u.article_id, set()).update(n | x)
    counts: dict[str, int] = {}
    for found in per.values():
        for x in found:
            counts[x] = counts.get(x, 0) + 1
    return {x for x, c in counts.items() if 2 * c >= max(2, len(articles))}


def _named_in(name: str, lowered_text: str) -> bool:
    """Whether ``name`` appears as whole words in a lower-cased text."""
    low = name.lower()
    return low in lowered_text and _whole_words(low).search(lowered_text) is not None


@lru_cache(maxsize=4096)
def _whole_words(lowered_name: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(lowered_name)}(?!\w)")


