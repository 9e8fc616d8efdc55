"""Batch story folding by time window: the stories stage's procedure for a corpus, which both engines run.

A batch fold first stores the inputs through ``add``'s ingest
(:func:`~newsfold.read.splits.ingest`) and runs the dedup stage, so the
store holds what ``add`` would hold.  The stories stage folds a whole
corpus with one :class:`~newsfold.stories.cluster_batch.BatchClusterer`, whose
similarity is ``n × n``: fine for thousands of articles, not for millions.
A batch fold therefore cuts the corpus into time windows:

1. **Features**: each article's :class:`~newsfold.stories.represent.ArticleFeatures`
   (the stage's own :class:`~newsfold.stories.represent.Featurizer`).  Dense vectors
   are encoded one text at a time (:class:`OneByOne`), so a vector never
   depends on which other texts shared its batch: the local engine and a
   Ray actor give the same bits.
2. **Windows**: the article's ``published`` day falls into every window
   ``k`` with ``k * step <= day < k * step + days`` (days counted from
   0001-01-01, so windows do not depend on the data): with the default
   14-day windows every 7 days, each dated article is in two windows.
   **Articles without a published date all go to one extra window**
   (:data:`UNDATED`), folded together.  A date found in the text (a
   dateline) stays evidence inside the clusterer but does not route an
   article.  A corpus of at most ``whole_limit`` foldable articles (1,000,
   as the pipeline's ``refold_limit``) is one window: folded whole, as
   ``add`` refolds a store of that size.  Copies that dedup linked to a usable canonical are not folded:
   they join their canonical's story, as the stories stage places them.
3. **Fold each window**: ``BatchClusterer.for_encoder(encoder).fit`` on the
   window's articles in key order (the input order; the key is the
   article's ``seq`` in the store).
4. **Merge across windows**: two stories of consecutive windows that share
   an article are one story only when the same-story decision that joins
   groups inside a window joins them (:func:`stitch`); the connected
   components of those joins (:func:`story_roots`, a union-find) are the
   stories, and each article takes the story of its home window
   (:func:`home_window`).  A story is named after its
   smallest key; one bigger than :data:`SUSPECT_STORY_SIZE` is reported.
5. **The store left ready for ``add``** (:func:`write_stories`, through
   :mod:`~newsfold.stories.writes`): stories, memberships, skips, the
   document frequencies (``story_df``) and each story's online profile and
   centroid; then the engine runs the passages and summaries stages.  A later ``add`` places new articles into
   these stories.

Articles with no usable text (:func:`~newsfold.stories.represent.usable_text`) are
not folded; they are written as skips with the reason.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..models import Article
from ..unionfind import UnionFind
from . import writes
from .represent import ArticleFeatures, Encoder, Featurizer, NoEncoder, make_encoder, usable_text
from ..text import parse_day

if TYPE_CHECKING:  # pragma: no cover
    from ..store.db import Store

log = logging.getLogger(__name__)

UNDATED = -1  # the window of every article without a date
WHOLE = -2  # the one window of a corpus folded whole (at most ``FoldConfig.whole_limit`` articles)


class FoldError(ValueError):
    """A fold that cannot run as asked, with what to change."""


@dataclass(frozen=True)
class FoldConfig:
    """How a batch fold cuts, represents and summarizes.

    ``days``/``step``: window length and start interval in days (``step <=
    days``; overlap = ``days - step``); ``max_window``: the most articles one
    window may hold (its similarity matrix is ``n × n``);
    ``summaries``/``with_nlp``/``max_words``: the briefing per story.
    """

    encoder: str = "minilm"
    days: int = 14
    step: int = 7
    max_window: int = 20_000
    whole_limit: int = 1_000  # as the pipeline's refold_limit: a corpus this small is folded whole, as `add` does
    summaries: bool = True
    with_nlp: bool = True
    max_words: int = 100

    def __post_init__(self) -> None:
        if not 1 <= self.step <= self.days:
            raise ValueError(f"window step {self.step} must be between 1 and the window length {self.days} days")


# ------------------------------------------------------------ features
class OneByOne:
    """An encoder that encodes each text on its own (results independent of batching)."""

    def __init__(self, inner: Encoder) -> None:
        self.inner = inner
        self.name = inner.name

    def encode(self, texts: list[str]) -> np.ndarray:
        rows = [self.inner.encode([t]) for t in texts]
        if not rows:
            return self.inner.encode([])
        return np.vstack(rows).astype(np.float32)


def make_article(row: dict[str, object]) -> Article:
    """The :class:`Article` of an input record (what the local engine stores for it)."""
    return Article(id=str(row["id"]), text=str(row["text"] or ""), title=row.get("title") or None,  # type: ignore[arg-type]
                   url=row.get("url") or None, outlet=row.get("outlet") or None,  # type: ignore[arg-type]
                   published=row.get("published") or None)  # type: ignore[arg-type]


@dataclass
class Embedded:
    """Per article: why it is skipped ("" when usable), its day ordinal (``UNDATED``) and its vector."""

    skip: list[str]
    day: np.ndarray
    dense: np.ndarray  # (n, d) float32; d = 0 without an encoder


def embed(articles: Sequence[Article], encoder: Encoder) -> Embedded:
    """Skip reasons, dates and dense vectors of ``articles`` (vectors one text at a time)."""
    skip = [usable_text(a) or "" for a in articles]
    ok = [a for a, s in zip(articles, skip) if not s]
    feats = Featurizer(OneByOne(encoder)).featurize(ok)
    dim = next((f.dense.size for f in feats if f.dense is not None), 0)
    dense = np.zeros((len(articles), dim), dtype=np.float32)
    day = np.full(len(articles), UNDATED, dtype=np.int64)
    it = iter(feats)
    for i, (a, s) in enumerate(zip(articles, skip)):
        if not s:
            f = next(it)
            if f.dense is not None:
                dense[i] = f.dense
        d = parse_day(a.published)
        day[i] = d.toordinal() if d else UNDATED
    return Embedded(skip, day, dense)


def features(articles: Sequence[Article], dense: np.ndarray) -> list[ArticleFeatures]:
    """The stage's features of ``articles``, with their vectors computed earlier."""
    vectors = {a.id: dense[i] for i, a in enumerate(articles)} if dense.shape[1] else {}
    return Featurizer(NoEncoder()).featurize(list(articles), vectors)


# ------------------------------------------------------------- windows
def windows_of(day: np.ndarray, cfg: FoldConfig, whole: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``(row index, window)`` for every window each article falls in (undated: :data:`UNDATED`;
    every article in :data:`WHOLE` when the corpus is folded ``whole``)."""
    day = np.asarray(day, dtype=np.int64)
    if whole:
        return np.arange(day.size), np.full(day.size, WHOLE, dtype=np.int64)
    dated = day != UNDATED
    last = np.where(dated, day // cfg.step, UNDATED)
    first = np.where(dated, np.maximum((day - cfg.days) // cfg.step + 1, 0), UNDATED)
    count = last - first + 1
    rows = np.repeat(np.arange(day.size), count)
    offs = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    return rows, np.repeat(first, count) + offs


def window_span(window: int, cfg: FoldConfig) -> str:
    """A window as text: ``2019-03-04..2019-03-17`` or ``undated``."""
    if window == WHOLE:
        return "the whole corpus"
    if window == UNDATED:
        return "undated"
    start = dt.date.fromordinal(max(1, window * cfg.step))
    return f"{start.isoformat()}..{(start + dt.timedelta(days=cfg.days - 1)).isoformat()}"


def fold_window(keys: np.ndarray, feats: Sequence[ArticleFeatures], window: int,
                cfg: FoldConfig) -> tuple[np.ndarray, np.ndarray]:
    """Fold one window's articles (sorted by key here); ``(key, first key of its story)`` per article."""
    from ..stories.cluster_batch import BatchClusterer

    keys = np.asarray(keys, dtype=np.int64)
    if keys.size > cfg.max_window:
        raise FoldError(f"the window {window_span(window, cfg)} holds {keys.size} articles, more than "
                          f"--max-window {cfg.max_window}; use shorter windows (--window-days) or raise it.")
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    feats = [feats[i] for i in order.tolist()]
    if keys.size == 0:
        return keys, keys
    labels = BatchClusterer.for_encoder(cfg.encoder).fit(feats).labels_
    root: dict[int, int] = {}
    for k, lab in zip(keys.tolist(), labels.tolist()):
        root.setdefault(int(lab), k)  # keys ascend: the first seen is the smallest
    return keys, np.array([root[int(lab)] for lab in labels.tolist()], dtype=np.int64)


def story_id(root_key: int) -> str:
    """The id of the story whose smallest article key is ``root_key``."""
    return f"b{int(root_key):016x}"


# ---------------------------------------------------------- the corpus
@dataclass
class Corpus:
    """The stored articles a fold works on, in ``seq`` order, and dedup's copy links."""

    keys: np.ndarray  # seq of each article
    articles: list[Article]
    canonical: dict[str, str]  # copy id -> its canonical's id

    def usable(self) -> np.ndarray:
        """True for each article with text to cluster (:func:`~newsfold.stories.represent.usable_text`)."""
        return np.array([usable_text(a) is None for a in self.articles], dtype=bool)

    def followers(self) -> np.ndarray:
        """True for each usable copy whose canonical is usable: it joins the canonical's story, unfolded
        (:func:`~newsfold.stories.writes.copy_root`, as the stories stage places a copy)."""
        usable = {a.id for a, ok in zip(self.articles, self.usable().tolist()) if ok}
        return np.array([a.id in usable and writes.copy_root(a.id, self.canonical, usable) != a.id
                         for a in self.articles], dtype=bool)

    def folded(self) -> int:
        """How many articles the windows fold (usable, not followers)."""
        return int((self.usable() & ~self.followers()).sum())


def load_corpus(store: "Store") -> Corpus:
    """Every stored article and every dedup link of ``store``."""
    rows = store.conn.execute("SELECT seq, id FROM articles ORDER BY seq").fetchall()
    articles: list[Article] = []
    for i in range(0, len(rows), 500):
        articles.extend(store.get_articles([r[1] for r in rows[i:i + 500]]))
    canonical = {r[0]: r[1] for r in store.conn.execute("SELECT article_id, canonical_id FROM dup_links")}
    return Corpus(np.array([r[0] for r in rows], dtype=np.int64), articles, canonical)


# ------------------------------------------------------------ in process
@dataclass
class FoldResult:
    """A fold: every usable article's story root, the skips, and counts."""

    root: dict[int, int]  # key -> smallest key of its story
    skipped: dict[int, str]  # key -> reason
    windows: int
    edges: int


def follow_copies(corpus: Corpus, root: dict[int, int]) -> dict[int, int]:
    """``root`` with every follower (:meth:`Corpus.followers`) in its canonical's story."""
    key_of = {a.id: int(k) for k, a in zip(corpus.keys.tolist(), corpus.articles)}
    usable = {a.id for a, k in zip(corpus.articles, corpus.keys.tolist()) if int(k) in root}
    out = dict(root)
    for k, a, f in zip(corpus.keys.tolist(), corpus.articles, corpus.followers().tolist()):
        if f:
            out[int(k)] = root[key_of[writes.copy_root(a.id, corpus.canonical, usable)]]
    return out


def fold_local(corpus: Corpus, cfg: FoldConfig, encoder: Encoder | None = None) -> tuple[FoldResult, np.ndarray]:
    """The windowed fold of ``corpus`` in this process; the result and every article's vector."""
    enc = encoder or make_encoder(cfg.encoder)
    keys, articles = corpus.keys, corpus.articles
    emb = embed(articles, enc)
    ok = np.array([not s for s in emb.skip], dtype=bool)
    idx = np.flatnonzero(ok & ~corpus.followers())
    whole = corpus.folded() <= cfg.whole_limit
    rows, wins = windows_of(emb.day[idx], cfg, whole)
    by_window: dict[int, list[int]] = defaultdict(list)
    for r, w in zip(rows.tolist(), wins.tolist()):
        by_window[int(w)].append(int(idx[r]))
    folded: dict[int, tuple[np.ndarray, np.ndarray, list[ArticleFeatures]]] = {}
    home_keys, home_nodes = [], []
    for w in sorted(by_window):
        members = by_window[w]
        feats = features([articles[i] for i in members], emb.dense[members])
        order = np.argsort(keys[members], kind="stable")
        k, root = fold_window(keys[members], feats, w, cfg)
        folded[w] = (k, root, [feats[i] for i in order.tolist()])
        home = home_window(emb.day[np.array(members, dtype=np.int64)[order]], cfg, whole) == w
        home_keys.append(k[home])
        home_nodes.append(node_id(w, root[home]))
    eu, ev = [], []
    for w in sorted(folded):
        if w + 1 in folded and w >= 0:
            a, b = stitch(folded[w], folded[w + 1], cfg)
            eu.append(node_id(w, a))
            ev.append(node_id(w + 1, b))
    u = np.concatenate(eu) if eu else np.zeros(0, np.int64)
    v = np.concatenate(ev) if ev else np.zeros(0, np.int64)
    hk = np.concatenate(home_keys) if home_keys else np.zeros(0, np.int64)
    hn = np.concatenate(home_nodes) if home_nodes else np.zeros(0, np.int64)
    root = story_roots(hk, hn, u, v)
    skipped = {int(k): s for k, s in zip(keys.tolist(), emb.skip) if s}
    return FoldResult(follow_copies(corpus, root), skipped, len(by_window), int(u.size)), emb.dense


# ------------------------------------------------------- across windows
NODE_SHIFT = 40  # a window story is a node: (window + 2) << 40 | its first key (keys are seq < 2**40)


def node_id(window: int | np.ndarray, roots: np.ndarray) -> np.ndarray:
    """The graph node of each window story (window ``window``, first key ``roots``)."""
    return ((np.asarray(window, dtype=np.int64) + 2) << NODE_SHIFT) | np.asarray(roots, dtype=np.int64)


def home_window(day: np.ndarray, cfg: FoldConfig, whole: bool = False) -> np.ndarray:
    """The window an article's story is read from: the last window that holds its day (its first
    ``step`` days); :data:`UNDATED` or :data:`WHOLE` for the others."""
    day = np.asarray(day, dtype=np.int64)
    if whole:
        return np.full(day.size, WHOLE, dtype=np.int64)
    return np.where(day != UNDATED, day // cfg.step, UNDATED)


def stitch(left: tuple[np.ndarray, np.ndarray, Sequence[ArticleFeatures]],
           right: tuple[np.ndarray, np.ndarray, Sequence[ArticleFeatures]],
           cfg: FoldConfig) -> tuple[np.ndarray, np.ndarray]:
    """``(left root, right root)`` of the stories of two consecutive windows that are one story.

    Each side is a window's ``(keys, roots, features)`` (keys ascending).
    Two stories that share an article are one when the decision that
    groups articles inside a window groups them: fitted on both windows'
    articles at once, the batch clusterer puts most of one story's
    articles in the cluster that holds most of the other's.  A story
    inside the other is one with it.  Stories that share an article
    but not the event stay apart, so windows never chain unrelated events.
    """
    from ..stories.cluster_batch import BatchClusterer

    lk, lr, lf = left
    rk, rr, rf = right
    lroot, rroot = dict(zip(lk.tolist(), lr.tolist())), dict(zip(rk.tolist(), rr.tolist()))
    cands = sorted({(lroot[k], rroot[k]) for k in lroot.keys() & rroot.keys()})
    lmem: dict[int, list[int]] = defaultdict(list)
    rmem: dict[int, list[int]] = defaultdict(list)
    for i, r in enumerate(lr.tolist()):
        lmem[r].append(i)
    for i, r in enumerate(rr.tolist()):
        rmem[r].append(i)
    feats = {**dict(zip(rk.tolist(), rf)), **dict(zip(lk.tolist(), lf))}
    union = sorted(feats)
    label: dict[int, int] | None = None
    out_a, out_b = [], []
    for a, b in cands:
        ka = {int(lk[i]) for i in lmem[a]}
        kb = {int(rk[i]) for i in rmem[b]}
        if ka <= kb or kb <= ka:
            joined = True
        else:
            if label is None:  # the window clusterer's own decision, on both windows' articles at once
                fitted = BatchClusterer.for_encoder(cfg.encoder).fit([feats[k] for k in union])
                label = dict(zip(union, (int(x) for x in fitted.labels_)))
            joined = _majority(label, ka) == _majority(label, kb)
        if joined:
            out_a.append(a)
            out_b.append(b)
    return np.array(out_a, dtype=np.int64), np.array(out_b, dtype=np.int64)


def _majority(label: dict[int, int], keys: set[int]) -> int:
    """The label most of ``keys`` carry (ties: the smallest)."""
    from collections import Counter

    counts = Counter(label[k] for k in keys)
    return min(counts, key=lambda x: (-counts[x], x))


def story_roots(keys: np.ndarray, nodes: np.ndarray, u: np.ndarray, v: np.ndarray) -> dict[int, int]:
    """Each article's story, named by its smallest key: articles (``keys``) in their home window
    story (``nodes``), window stories joined by the edges ``u — v`` (:func:`stitch`)."""
    index: dict[int, int] = {}
    for n in [*nodes.tolist(), *u.tolist(), *v.tolist()]:
        index.setdefault(int(n), len(index))
    sets = UnionFind(len(index))
    for a, b in zip(u.tolist(), v.tolist()):
        sets.union(index[a], index[b])
    comp = [sets.find(index[n]) for n in nodes.tolist()]
    first: dict[int, int] = {}
    for k, c in zip(keys.tolist(), comp):
        if k < first.get(c, k + 1):
            first[c] = k
    return {int(k): first[c] for k, c in zip(keys.tolist(), comp)}


# ---------------------------------------------------------- the store
SUSPECT_STORY_SIZE = 2_000  # more articles than any real event gets: a story this big is probably a chain


def write_stories(store: "Store", corpus: Corpus, res: FoldResult, dense: np.ndarray, cfg: FoldConfig) -> dict[str, int]:
    """The fold's stories into ``store`` through the stories' writer (:mod:`~newsfold.stories.writes`), as
    the stories stage keeps them; ``{story id: size}``.

    Stories, memberships and skips; the document frequencies of the placed
    articles' terms (``story_df``) and each story's profile and centroid,
    so that online placement continues from them.
    """
    from collections import Counter

    members: dict[int, list[int]] = defaultdict(list)
    for i, k in enumerate(corpus.keys.tolist()):
        if k in res.root:
            members[res.root[k]].append(i)
    order = sorted(members)
    placed = [i for r in order for i in members[r]]
    feats = dict(zip(placed, features([corpus.articles[i] for i in placed], dense[placed]))) if placed else {}
    reason = f"batch fold ({cfg.days}-day windows every {cfg.step} days)"
    follows = corpus.followers()
    df: Counter[str] = Counter()
    for i in placed:
        df.update(feats[i].terms.keys())
    ids = [a.id for a in corpus.articles]
    with store.atomic():
        for r in order:
            writes.create(store, story_id(r))
        writes.place(store, [(ids[i], story_id(r), None, writes.copy_reason(corpus.canonical[ids[i]]) if follows[i]
                              else reason) for r in order for i in members[r]])
        writes.save_profiles(store, {story_id(r): [feats[i] for i in members[r]] for r in order})
        writes.skip(store, [(ids[i], res.skipped[k]) for i, k in enumerate(corpus.keys.tolist()) if k in res.skipped])
        writes.count_terms(store, df)
        writes.refresh(store, [story_id(r) for r in order])
    return {story_id(r): len(members[r]) for r in order}


def suspects(sizes: dict[str, int]) -> list[dict[str, object]]:
    """Stories bigger than any real event (:data:`SUSPECT_STORY_SIZE`), largest first."""
    return [{"story_id": s, "size": n} for s, n in sorted(sizes.items(), key=lambda x: -x[1])
            if n > SUSPECT_STORY_SIZE]


