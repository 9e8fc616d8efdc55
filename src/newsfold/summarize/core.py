"""Summarize one story: selection, citations, headline, timeline (additions: :mod:`.additions`).

:func:`summarize_story` builds the whole :class:`Briefing`;
:func:`select_summary` is the part ``newsfold eval summaries`` measures (the
sentence selection alone, no NER).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

from ..models import Article, Passage, outlet_label
from ..published import source_order
from .briefing import Briefing, SummarySentence, TimelineEntry
from .align import Alignment, anchors
from .sample import NLP_SAMPLE, SAMPLE_SIZE, Member, choose_sample, nlp_sample
from .select import SubmodularSelector
from .text import SentenceUnit, TermMatrix, sentence_units, term_matrix

if TYPE_CHECKING:
    from .analysis import ArticleAnalysis

log = logging.getLogger(__name__)

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
MEANING_PREFILTER = 0.2  # a pair is asked of the encoder (:mod:`.align`) only when this similar (TF-IDF cosine)
MEANING_PER_ARTICLE = 1   # ... and only the article's (outlet's) most similar sentence


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
                   selector: SubmodularSelector | None = None, distinct: bool = True) -> Selection:
    """Choose summary sentences under a word budget (see :mod:`.select` for the objective).

    ``fill=True`` appends the best next sentence past the budget (the DUC
    convention: a summary is then cut at ``max_words`` words for scoring).
    With ``distinct`` (the default), no two chosen sentences state one fact
    (the restatement test citations use, :func:`states` and :mod:`.align`):
    the later-chosen one is dropped and the selection is made again without
    it (at most ``MAX_REFITS`` times); and the event's lead (:func:`_lead`)
    comes first, in place of any chosen sentence it restates.
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
        for c, v in consensus(units, candidates).items():
            agree[index[c]] = v
    align = Alignment([u.text for u in units]) if distinct else None
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
            self._memo[key] = i != j and (self._lexical(i, j) or self._lexical(j, i) or (
                self.align is not None and bool(self.align.restates(i, [j])[0])))
        return self._memo[key]

    def _lexical(self, i: int, j: int) -> bool:
        cos = float((self.tm.X[i] @ self.tm.X[j].T).toarray()[0, 0])
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
          order: Mapping[str, tuple[str, int]], same: "Restatements", picked: Sequence[int] = ()) -> int | None:
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


def consensus(units: Sequence[SentenceUnit], candidates: Sequence[int]) -> dict[int, float]:
    """For each candidate (unit index), the share of the story's other articles that state its fact.

    Candidates are already folded (a wire copy's sentences are its
    original's), so each article counts once per fact.  Two sentences state
    the same fact when their MiniLM cosine is at least ``CONSENSUS_COS``; at
    most ``MAX_CONSENSUS`` candidates are encoded (earliest in their
    articles first), the others get 0.  Without the encoder: all 0.
    """
    from .align import vectors

    n_articles = len({u.article_id for u in units})
    chosen = sorted(candidates, key=lambda i: (units[i].index, i))[:MAX_CONSENSUS]
    if n_articles < 2 or len(chosen) < 2:
        return {}
    V = vectors([units[i].text for i in chosen])
    if V is None:
        return {}
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


def summary_text(articles: Sequence[Article], *, max_words: int = 100, fill: bool = False) -> str:
    """The summary as plain text (what ``newsfold eval summaries`` scores)."""
    sel = select_summary(articles, max_words=max_words, fill=fill)
    order = sel.chosen + ([sel.extra] if sel.extra is not None else [])
    return " ".join(sel.units[i].text for i in order)


# ---------------------------------------------------------------- support
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


def alignment(sel: Selection) -> Alignment:
    """The story's restatement-by-meaning tests over its sentence units (one per briefing, shared)."""
    return sel.align if sel.align is not None else Alignment([u.text for u in sel.units])


def _by_meaning(align: Alignment | None, i: int, sims: np.ndarray, pool: np.ndarray,
                k: int = MEANING_PER_ARTICLE) -> np.ndarray:
    """Of the units ``pool``, those that restate unit ``i`` by meaning: the ``k`` most similar, asked of ``align``.

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
    return pool[align.restates(i, pool.tolist())] if pool.size else pool


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


def outlet_of(a: Article) -> str:
    """The outlet an article is shown under: its outlet, else its site, else "unknown outlet"."""
    return outlet_label(a.outlet, a.url)


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
    entries = [TimelineEntry(published=a.published, outlet=outlet_of(a), article_id=a.id, title=a.title)
               for a in articles]
    entries.sort(key=lambda e: source_order(e.published, e.article_id))  # the sources' numbering order
    return entries


# ------------------------------------------------------------------ story
def summarize_story(articles: list[Article], *, max_words: int = 100, passages: Sequence[Passage] | None = None,
                    story_id: str | None = None, version: str = "", with_nlp: bool = True,
                    analyses: Mapping[str, ArticleAnalysis] | None = None, n_articles: int | None = None,
                    duplicates: Collection[str] = (), sample_size: int = SAMPLE_SIZE,
                    nlp_sample_size: int = NLP_SAMPLE) -> Briefing:
    """The briefing of one story (see :class:`Briefing` for what it holds).

    A story of more than ``sample_size`` articles is read from a sample
    spread over outlets and time, originals (ids not in ``duplicates``)
    first (:mod:`.sample`); ``n_articles`` is the story's size when
    ``articles`` already is the caller's sample.  ``passages`` are the dedup
    stage's re-used passages between the articles; when None, they are
    looked for here.  Entities, quotes and discrepancies read at most
    ``nlp_sample_size`` of the articles (:func:`.sample.nlp_sample`).
    ``analyses`` are the articles' analyses (:mod:`.analysis`); when one is
    missing, the story is parsed here.
    ``with_nlp=False`` skips spaCy (no entities, quotes or discrepancies).
    The work is done in two steps, :func:`draft_briefing` (what needs no
    parse) and :func:`complete_briefing`, so that a caller can parse while
    it drafts.
    """
    draft = draft_briefing(articles, max_words=max_words, passages=passages, story_id=story_id, version=version,
                           with_nlp=with_nlp, n_articles=n_articles, duplicates=duplicates,
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


def draft_briefing(articles: list[Article], *, max_words: int = 100, passages: Sequence[Passage] | None = None,
                   story_id: str | None = None, version: str = "", with_nlp: bool = True,
                   n_articles: int | None = None, duplicates: Collection[str] = (), sample_size: int = SAMPLE_SIZE,
                   nlp_sample_size: int = NLP_SAMPLE) -> Draft:
    """The first step of :func:`summarize_story`: sample, summary, citations, headline, timeline."""
    articles = [a for a in articles if a is not None]
    total = max(n_articles or 0, len(articles))
    if len(articles) > sample_size:
        keep = set(choose_sample([Member(a.id, a.outlet, a.published, a.id in duplicates) for a in articles],
                                 sample_size))
        articles = [a for a in articles if a.id in keep]
        if passages is not None:
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
    sel = draft.sel = select_summary(articles, max_words=max_words)
    if passages is None:
        passages = _find_passages(articles)
    align = draft.align = alignment(sel)
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
        brief.quotes = align_quotes(nlp_articles, found, {a.id: outlet_of(a) for a in nlp_articles})
        brief.discrepancies = find_discrepancies(nlp_articles, found)
    from .additions import additions

    brief.additions = additions(draft.articles, sel, names, brief.quotes, draft.align)
    return brief


def _find_passages(articles: Sequence[Article], max_articles: int = 30) -> list[Passage]:
    """Re-used passages between the articles (none looked for in a story of more than ``max_articles``)."""
    from ..dedup.passages import find_passages

    if len(articles) > max_articles:
        return []
    return [p for i, a in enumerate(articles) for b in articles[i + 1:] for p in find_passages(a, b)]
