"""Choose a story's summary sentences: coverage under a word budget, no fact stated twice, the event's lead first.

:func:`select_summary` is the part ``newsfold eval summaries`` measures (the
sentence selection alone, no NER); :func:`states` is the lexical
restatement test that the summary's redundancy check, its citations
(:mod:`.citations`) and the additions (:mod:`.additions`) share.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from ..models import Article
from .align import Alignment, SentenceEncoder
from .select import SubmodularSelector
from .text import SentenceUnit, TermMatrix, sentence_units, term_matrix

DUPLICATE_COS = 0.7      # candidates this similar are one candidate
CITE_COS = 0.5           # a sentence this similar states the same thing
CITE_CONTAIN = 0.75      # ... or one that contains this share of its (idf-weighted) content words
CITE_BOTH = (0.38, 0.5)  # ... or one moderately similar that contains half of its content words
MAX_GROUND = 2500        # sentences used as coverage targets (sampled beyond this)
MAX_CANDIDATES = 1500    # candidate sentences (the earliest in their articles first, beyond this)
SIMILARITY = "cosine"
SELF_SIMILARITY = 0.0    # a sentence does not cover itself: no reward for merely adding sentences
MAX_REFITS = 2           # selections made again after dropping a sentence that restates another
CONSENSUS_COS = 0.7      # two sentences of different articles state the same fact, for consensus (MiniLM cosine)
MAX_CONSENSUS = 48        # candidates encoded for consensus, at most (their articles' earliest first)
REDUNDANT_PREFILTER = 0.1  # two summary sentences are asked of the encoder only when this similar (TF-IDF cosine)


@dataclass
class Selection:
    """The outcome of sentence selection over a story's articles."""

    units: list[SentenceUnit]
    terms: TermMatrix
    chosen: list[int]                     # unit indices, in display order
    gain_order: list[int] = field(default_factory=list)  # the same, in the order the greedy chose them
    objective: float = 0.0
    extra: int | None = None              # with fill=True: the sentence past the budget (shown last)
    align: Alignment | None = None        # the restatement-by-meaning tests over ``units`` (shared by the briefing)


def _order_key(articles: Sequence[Article]) -> dict[str, tuple[str, int]]:
    return {a.id: (a.published or "9999", i) for i, a in enumerate(articles)}


def select_summary(articles: Sequence[Article], *, max_words: int = 100, fill: bool = False,
                   selector: SubmodularSelector | None = None, distinct: bool = True,
                   encoder: SentenceEncoder | None = None) -> Selection:
    """Choose summary sentences under a word budget (see :mod:`.select` for the objective).

    ``fill=True`` appends the best next sentence past the budget (the DUC
    convention: a summary is then cut at ``max_words`` words for scoring).
    With ``distinct`` (the default), no two chosen sentences state one fact
    (the restatement test citations use, :func:`states` and :mod:`.align`):
    the later-chosen one is dropped and the selection is made again without
    it (at most ``MAX_REFITS`` times); and the event's lead (:func:`_lead`)
    comes first, in place of any chosen sentence it restates.  ``encoder``
    gives the restatement test its meaning (:mod:`.align`); without one it
    is lexical only.
    """
    units = sentence_units(articles)
    titles = [a.title for a in articles if a.title and a.title.strip()]
    tm = term_matrix([u.text for u in units] + titles)
    n_units = len(units)
    ground = [i for i in range(n_units) if len(tm.terms[i]) >= 2] + list(range(n_units, n_units + len(titles)))
    if len(ground) > MAX_GROUND:
        step = len(ground) / MAX_GROUND
        ground = [ground[int(k * step)] for k in range(MAX_GROUND)]
    order = _order_key(articles)
    eligible = [i for i in range(n_units) if units[i].eligible and tm.terms[i]]
    eligible.sort(key=lambda i: (order[units[i].article_id], units[i].index))
    if not eligible:
        return Selection(units=units, terms=tm, chosen=[])
    if len(eligible) > 2 * MAX_CANDIDATES:  # a huge story: the earliest sentences of every article first
        eligible = sorted(eligible, key=lambda i: (units[i].index, order[units[i].article_id]))[:2 * MAX_CANDIDATES]
        eligible.sort(key=lambda i: (order[units[i].article_id], units[i].index))
    # fold near-identical candidates (wire copies, reprints) into their first occurrence
    Xc = tm.X[eligible]
    cc = (Xc @ Xc.T).toarray()
    kept = np.zeros(len(eligible), dtype=bool)
    for a_pos in range(len(eligible)):
        if not (cc[a_pos, kept] >= DUPLICATE_COS).any():
            kept[a_pos] = True
    candidates = [eligible[p] for p in np.flatnonzero(kept)]
    if len(candidates) > MAX_CANDIDATES:
        candidates = sorted(candidates, key=lambda i: (units[i].index, order[units[i].article_id]))[:MAX_CANDIDATES]
        candidates.sort()
    # ground set rows + candidate columns share one index space: ground ∪ candidates
    space = sorted(set(ground) | set(candidates))
    index = {g: k for k, g in enumerate(space)}
    Xs = tm.X[space]
    if SIMILARITY == "containment":
        # W[i, j]: the share of target i's (tf-idf weighted) content that sentence j states
        Bs = (Xs > 0).astype(np.float64)
        W = (Xs @ Bs.T).toarray()
        tot = np.asarray(Xs.sum(axis=1)).ravel()
        tot[tot == 0] = 1.0
        W = W / tot[:, None]
    else:
        W = (Xs @ Xs.T).toarray()
    np.fill_diagonal(W, SELF_SIMILARITY)
    in_ground = np.zeros(len(space), dtype=bool)
    in_ground[[index[g] for g in ground]] = True
    W[~in_ground, :] = 0.0  # only ground sentences are coverage targets
    positions = [units[g].index if g < n_units else 0 for g in space]
    costs = [units[g].words if g < n_units else 10**6 for g in space]
    sel = selector or SubmodularSelector(max_words=max_words)
    sel.max_words = max_words
    concepts, cweights = _concepts(units, tm, space, n_units)
    agree = None
    if sel.consensus_weight > 0:
        agree = np.zeros(len(space))
        for c, v in consensus(units, candidates, encoder).items():
            agree[index[c]] = v
    align = Alignment([u.text for u in units], encoder) if distinct else None
    same = Restatements(units, tm, align)
    banned: set[int] = set()
    for _ in range(MAX_REFITS + 1):  # no two summary sentences state one fact: drop the later one, choose again
        allowed = [index[c] for c in candidates if c not in banned]
        sel.fit(W, costs, allowed, positions=positions, X=Xs, concepts=concepts, concept_weights=cweights,
                consensus=agree, parts=sel.parts_ if banned else None)
        picked = [space[k] for k in sel.selected_]
        restated = {j for n, j in enumerate(picked) if any(same(i, j) for i in picked[:n])} if distinct else set()
        if not restated:
            break
        banned |= restated
    picked = [i for i in picked if i not in banned]
    lead = _lead(units, tm, candidates, order, same, picked) if distinct else None
    if lead is not None and lead not in picked:  # the event's lead first: in place of what it restates
        picked = [i for i in picked if not same(lead, i)]
        while picked and units[lead].words + sum(units[i].words for i in picked) > max_words:
            picked.pop()
        picked.insert(0, lead)
    extra_unit = None
    if fill:
        taken = [index[i] for i in picked]
        extra = _best_extra(sel, W, costs, [index[c] for c in candidates if c not in banned], taken)
        extra_unit = space[extra] if extra is not None else None
        if extra_unit is not None and distinct and any(same(i, extra_unit) for i in picked):
            extra_unit = None
    shown = sorted(picked, key=lambda i: (i != lead, order[units[i].article_id][0],
                                          units[i].index / max(1, units[i].n_in_article),
                                          order[units[i].article_id][1], units[i].index))
    return Selection(units=units, terms=tm, chosen=shown, gain_order=picked, objective=sel.objective_,
                     extra=extra_unit, align=align)


class Restatements:
    """Whether unit j states unit i's fact (or i j's): the test citations use, lexical then by meaning."""

    def __init__(self, units: Sequence[SentenceUnit], tm: TermMatrix, align: Alignment | None) -> None:
        self.units, self.tm, self.align = units, tm, align
        self._memo: dict[tuple[int, int], bool] = {}

    def __call__(self, i: int, j: int) -> bool:
        key = (min(i, j), max(i, j))
        if key not in self._memo:
            cos = self._cos(i, j)
            self._memo[key] = i != j and (self._lexical(i, j, cos) or self._lexical(j, i, cos) or (
                self.align is not None and cos >= REDUNDANT_PREFILTER and bool(self.align.restates(i, [j])[0])))
        return self._memo[key]

    def _cos(self, i: int, j: int) -> float:
        """The TF-IDF cosine of units i and j: their common terms' products, added in term order (as a sparse
        product adds them)."""
        X = self.tm.X
        a, b = slice(X.indptr[i], X.indptr[i + 1]), slice(X.indptr[j], X.indptr[j + 1])
        _, pa, pb = np.intersect1d(X.indices[a], X.indices[b], assume_unique=True, return_indices=True)
        return float(np.cumsum(X.data[a][pa] * X.data[b][pb])[-1]) if pa.size else 0.0

    def _lexical(self, i: int, j: int, cos: float) -> bool:
        return states(cos, _contained(self.tm, i, j), strong=len(set(self.tm.terms[i])) >= 4)


def _contained(tm: TermMatrix, i: int, j: int) -> float:
    """The share of sentence i's IDF-weighted content words that sentence j has."""
    mine = {tm.vocab[t] for t in tm.terms[i]}
    if not mine:
        return 0.0
    theirs = {tm.vocab[t] for t in tm.terms[j]}
    total = sum(tm.idf[k] for k in mine)
    return float(sum(tm.idf[k] for k in mine & theirs) / total)


def states(cos: float, contain: float, strong: bool) -> bool:
    """The lexical restatement test (citations, redundancy): similar enough, or containing enough of it.

    ``cos``: TF-IDF cosine; ``contain``: the share of the first sentence's
    IDF-weighted content the other has; ``strong``: the first sentence has
    four content words or more (containment means little for fewer).
    """
    return cos >= CITE_COS or (strong and contain >= CITE_CONTAIN) or \
        (strong and cos >= CITE_BOTH[0] and contain >= CITE_BOTH[1])


def _lead(units: Sequence[SentenceUnit], tm: TermMatrix, candidates: Sequence[int],
          order: Mapping[str, tuple[str, int]], same: Restatements, picked: Sequence[int] = ()) -> int | None:
    """The event's lead: of the articles' first candidate sentences, the one most other articles state
    (lexically), the earliest article's on a tie; of those already ``picked``, when there are."""
    first: dict[str, int] = {}
    for c in sorted(candidates, key=lambda i: units[i].index):
        first.setdefault(units[c].article_id, c)
    if not first:
        return None
    chosen = [i for i in first.values() if i in picked]
    leads = sorted(chosen or first.values(), key=lambda i: order[units[i].article_id])
    if len(leads) == 1:
        return leads[0]
    n = len(units)
    X = tm.X[:n]
    cos = (X[leads] @ X.T).toarray()
    art = np.asarray([u.article_id for u in units], dtype=object)
    best, best_n = leads[0], -1
    for k, i in enumerate(leads):
        hit = set(art[(cos[k] >= CITE_COS) & (art != units[i].article_id)])
        if len(hit) > best_n:
            best, best_n = i, len(hit)
    return best


def consensus(units: Sequence[SentenceUnit], candidates: Sequence[int],
              encoder: SentenceEncoder | None) -> dict[int, float]:
    """For each candidate (unit index), the share of the story's other articles that state its fact.

    Candidates are already folded (a wire copy's sentences are its
    original's), so each article counts once per fact.  Two sentences state
    the same fact when their MiniLM cosine is at least ``CONSENSUS_COS``; at
    most ``MAX_CONSENSUS`` candidates are encoded (earliest in their
    articles first), the others get 0.  Without the encoder: all 0.
    """
    n_articles = len({u.article_id for u in units})
    chosen = sorted(candidates, key=lambda i: (units[i].index, i))[:MAX_CONSENSUS]
    if n_articles < 2 or len(chosen) < 2 or encoder is None:
        return {}
    V = encoder.vectors([units[i].text for i in chosen])
    S = V @ V.T
    art = np.asarray([units[i].article_id for i in chosen], dtype=object)
    out = {}
    for k, i in enumerate(chosen):
        hit = (S[k] >= CONSENSUS_COS) & (art != art[k])
        out[i] = len(set(art[hit])) / (n_articles - 1)
    return out


def _concepts(units: Sequence[SentenceUnit], tm: TermMatrix, space: Sequence[int], n_units: int,
              ) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Content-word bigrams stated by at least two articles (or two sentences of a lone article).

    Returns the space×concept incidence matrix and each concept's weight:
    the number of articles (sentences) stating it.
    """
    grams: list[set[tuple[str, str]]] = []
    for g in space:
        t = tm.terms[g] if g < n_units else []
        grams.append(set(zip(t, t[1:])))
    n_articles = len({u.article_id for u in units})
    support: dict[tuple[str, str], set[str]] = {}
    for k, g in enumerate(space):
        if g >= n_units:
            continue
        owner = units[g].article_id if n_articles > 1 else str(g)
        for b in grams[k]:
            support.setdefault(b, set()).add(owner)
    vocab = {b: i for i, b in enumerate(b for b, who in support.items() if len(who) >= 2)}
    rows, cols = [], []
    for k, gs in enumerate(grams):
        for b in gs:
            j = vocab.get(b)
            if j is not None:
                rows.append(k)
                cols.append(j)
    M = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(space), len(vocab)))
    weights = np.zeros(len(vocab))
    for b, j in vocab.items():
        weights[j] = len(support[b])
    return M, weights


def _best_extra(sel: SubmodularSelector, W: np.ndarray, costs: Sequence[int], cands: Sequence[int],
                chosen: Sequence[int]) -> int | None:
    taken = set(chosen)
    rest = np.asarray([c for c in cands if c not in taken])
    if rest.size == 0:
        return None
    C = W[:, list(chosen)].sum(axis=1) if chosen else np.zeros(W.shape[0])
    ps = np.zeros(int(sel.parts_.max()) + 1)
    for j in chosen:
        ps[sel.parts_[j]] += sel.r_[j]
    gains = sel._gains(W, C, ps, rest)
    return int(rest[int(np.argmax(gains))])


def summary_text(articles: Sequence[Article], *, max_words: int = 100, fill: bool = False,
                 encoder: SentenceEncoder | None = None) -> str:
    """The summary as plain text (what ``newsfold eval summaries`` scores)."""
    sel = select_summary(articles, max_words=max_words, fill=fill, encoder=encoder)
    order = sel.chosen + ([sel.extra] if sel.extra is not None else [])
    return " ".join(sel.units[i].text for i in order)
