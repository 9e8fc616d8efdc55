"""Which articles state each summary sentence: lexically close, re-used (dedup's passages), or by meaning."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from ..models import Passage
from .align import Alignment, SentenceEncoder, anchors
from .selection import Selection, states
from .text import SentenceUnit, TermMatrix

MEANING_PREFILTER = 0.2  # a pair is asked of the encoder (:mod:`.align`) only when this similar (TF-IDF cosine)
MEANING_PER_ARTICLE = 1   # ... and only the article's (outlet's) most similar sentence


def _containment(tm: TermMatrix, rows: Sequence[int] | None = None) -> np.ndarray:
    """C[i, j]: share of sentence i's IDF-weighted content words that sentence j also has (i in ``rows``)."""
    B = (tm.X > 0).astype(np.float64).tocsr()
    Br = B if rows is None else B[list(rows)]
    Bw = Br.multiply(tm.idf[None, :]).tocsr()
    num = (Bw @ B.T).toarray()
    den = np.asarray(Bw.sum(axis=1)).ravel()
    den[den == 0] = 1.0
    return num / den[:, None]


def _norm(s: str) -> str:
    return re.sub(r"\W+", " ", s.lower()).strip()


def alignment(sel: Selection, encoder: SentenceEncoder | None) -> Alignment:
    """The story's restatement-by-meaning tests over its sentence units (one per briefing, shared)."""
    return sel.align if sel.align is not None else Alignment([u.text for u in sel.units], encoder)


def _by_meaning(align: Alignment | None, i: int, sims: np.ndarray, pool: np.ndarray,
                k: int = MEANING_PER_ARTICLE) -> np.ndarray:
    """Of the units ``pool``, the first that restates unit ``i`` by meaning (none: empty): the ``k`` most similar,
    asked of ``align`` one at a time.

    A sentence that names people, places or numbers is asked only of sentences naming one of them
    (:func:`.align.anchors`): the encoder is not asked what the names already answer.
    """
    if align is None or pool.size == 0:
        return pool[:0]
    pool = pool[sims[pool] >= MEANING_PREFILTER]
    pool = pool[np.argsort(-sims[pool], kind="stable")][:k]
    names, nums = anchors(align.texts[i])
    if pool.size and (names or nums):
        pool = pool[[bool((names | nums) & (lambda n, u: n | u)(*anchors(align.texts[j]))) for j in pool]]
    for k, j in enumerate(pool.tolist()):  # one at a time: the first that restates it answers
        if align.restates(i, [j])[0]:
            return pool[k:k + 1]
    return pool[:0]


def citations(sel: Selection, passages: Sequence[Passage] = (), align: Alignment | None = None,
              ) -> dict[int, list[str]]:
    """For each chosen unit, the ids of every article stating it (its own article first).

    An article states a sentence when one of its sentences is lexically
    close to it (the ``CITE_*`` tests), when dedup found it re-used there
    (``passages``), or, with ``align``, when one of its sentences restates it
    in other words (:mod:`.align`).
    """
    units = sel.units
    n = len(units)
    if not sel.chosen:
        return {}
    X = sel.terms.X[:n]
    cos = (X[sel.chosen] @ X.T).toarray()
    tm_units = TermMatrix(X=X, vocab=sel.terms.vocab, idf=sel.terms.idf, terms=sel.terms.terms[:n])
    contain = _containment(tm_units, sel.chosen)
    by_text: dict[tuple[str, str], list[str]] = {}
    for p in passages:
        by_text.setdefault((p.article_id, _norm(p.sentence)), []).append(p.source_id)
        by_text.setdefault((p.source_id, _norm(p.source_sentence)), []).append(p.article_id)
    out: dict[int, list[str]] = {}
    for row, i in enumerate(sel.chosen):
        own = units[i].article_id
        cited = [own]
        strong = len(set(sel.terms.terms[i])) >= 4
        for j in range(n):
            aid = units[j].article_id
            if aid in cited:
                continue
            if states(cos[row, j], contain[row, j], strong):
                cited.append(aid)
        for aid in by_text.get((own, _norm(units[i].text)), []):
            if aid not in cited:
                cited.append(aid)
        if align is not None:
            for aid, pool in _units_by_article(units).items():
                if aid not in cited and _by_meaning(align, i, cos[row], pool).size:
                    cited.append(aid)
        out[i] = cited
    return out


def _units_by_article(units: Sequence[SentenceUnit]) -> dict[str, np.ndarray]:
    """Each article's units that state something (indices), in article order."""
    out: dict[str, list[int]] = {}
    for j, u in enumerate(units):
        if u.eligible or u.statement:
            out.setdefault(u.article_id, []).append(j)
    return {a: np.asarray(js, dtype=np.int64) for a, js in out.items()}
