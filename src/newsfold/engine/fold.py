"""Batch story folding by time window: the procedure both engines run, and its pure steps.

The stories stage folds a whole corpus with one :class:`~newsfold.cluster.BatchClusterer`,
whose similarity is ``n × n``: fine for thousands of articles, not for
millions.  A batch fold therefore cuts the corpus into time windows:

1. **Features**: each article's :class:`~newsfold.represent.ArticleFeatures`
   (the stage's own :class:`~newsfold.represent.Featurizer`).  Dense vectors
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
   article: the first date in a text is often another event's (on ECB+,
   routing by datelines scattered 772 articles over 106 windows and cut
   B-cubed F1 from 0.90 to 0.77).  ECB+ has no published dates: it is one
   window, folded exactly as ``newsfold eval`` folds it.
3. **Fold each window**: ``BatchClusterer.for_encoder(encoder).fit`` on the
   window's articles in key order (the input order).
4. **Merge across windows**: a window's story links each member to its
   first member (smallest key); stories that share an article across two
   windows are thereby one story: the connected components of those links
   (:func:`~newsfold.engine.kernels.large_star` /
   :func:`~newsfold.engine.kernels.small_star`, the dedup engine's
   components step).  A story is named after its smallest key.
5. **Summaries**: :func:`~newsfold.summarize.summarize_story` per story.

Articles with no usable text (:func:`~newsfold.represent.usable_text`) are
not folded; they are written as skips with the reason.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..models import Article
from ..represent import ArticleFeatures, Encoder, Featurizer, NoEncoder, make_encoder, parse_date, usable_text
from . import kernels

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

    from .base import Output

log = logging.getLogger(__name__)

UNDATED = -1  # the window of every article without a date
MAX_CC_ROUNDS = 64


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
        d = parse_date(a.published)
        day[i] = d.toordinal() if d else UNDATED
    return Embedded(skip, day, dense)


def features(articles: Sequence[Article], dense: np.ndarray) -> list[ArticleFeatures]:
    """The stage's features of ``articles``, with their vectors computed earlier."""
    vectors = {a.id: dense[i] for i, a in enumerate(articles)} if dense.shape[1] else {}
    return Featurizer(NoEncoder()).featurize(list(articles), vectors)


# ------------------------------------------------------------- windows
def windows_of(day: np.ndarray, cfg: FoldConfig) -> tuple[np.ndarray, np.ndarray]:
    """``(row index, window)`` for every window each article falls in (undated: :data:`UNDATED`)."""
    day = np.asarray(day, dtype=np.int64)
    dated = day != UNDATED
    last = np.where(dated, day // cfg.step, UNDATED)
    first = np.where(dated, np.maximum((day - cfg.days) // cfg.step + 1, 0), UNDATED)
    count = last - first + 1
    rows = np.repeat(np.arange(day.size), count)
    offs = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    return rows, np.repeat(first, count) + offs


def window_span(window: int, cfg: FoldConfig) -> str:
    """A window as text: ``2019-03-04..2019-03-17`` or ``undated``."""
    if window == UNDATED:
        return "undated"
    start = dt.date.fromordinal(max(1, window * cfg.step))
    return f"{start.isoformat()}..{(start + dt.timedelta(days=cfg.days - 1)).isoformat()}"


def fold_window(keys: np.ndarray, feats: Sequence[ArticleFeatures], window: int,
                cfg: FoldConfig) -> tuple[np.ndarray, np.ndarray]:
    """Fold one window's articles (sorted by key here); ``(key, first key of its story)`` per article."""
    from ..cluster import BatchClusterer

    keys = np.asarray(keys, dtype=np.int64)
    if keys.size > cfg.max_window:
        from .base import EngineError

        raise EngineError(f"the window {window_span(window, cfg)} holds {keys.size} articles, more than "
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


# ------------------------------------------------------- across windows
def components(u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Star edges ``(member, smallest key of its component)`` of the graph ``u — v``, in one process.

    The same large-star / small-star rounds the Ray engine runs on partitions.
    """
    keep = u != v
    a, b = kernels.unique_pairs(np.maximum(u[keep], v[keep]), np.minimum(u[keep], v[keep]))
    last = None
    for _ in range(MAX_CC_ROUNDS):
        la, lb = kernels.large_star(np.concatenate([a, b]), np.concatenate([b, a]))
        a, b = kernels.small_star(np.maximum(la, lb), np.minimum(la, lb))
        digest = (a.size, kernels.edge_digest(a, b))
        if digest == last:
            return a, b
        last = digest
    from .base import EngineError

    raise EngineError(f"connected components did not converge in {MAX_CC_ROUNDS} rounds")


def story_id(root_key: int) -> str:
    """The id of the story whose smallest article key is ``root_key``."""
    return f"b{int(root_key):016x}"


# ------------------------------------------------------------ summaries
@dataclass
class StoryRow:
    """One folded story, as written out."""

    story_id: str
    headline: str
    size: int
    first_published: str | None
    last_published: str | None
    version: str
    summary: str
    briefing_json: str


def summarize(sid: str, articles: list[Article], cfg: FoldConfig) -> StoryRow:
    """The story row (headline, dates, briefing) of one story's articles."""
    from ..summarize.stage import story_version

    ids = sorted(a.id for a in articles)
    dates = sorted(a.published for a in articles if a.published)
    version = story_version(ids)
    headline, summary, brief = "", "", "{}"
    if cfg.summaries:
        from ..summarize import summarize_story

        b = summarize_story(list(articles), max_words=cfg.max_words, passages=None, story_id=sid, version=version,
                            with_nlp=cfg.with_nlp)
        headline, summary, brief = b.headline, b.summary_text, json.dumps(b.to_dict(), ensure_ascii=False)
    if not headline:
        first = min(articles, key=lambda a: (a.published is None, a.published or "", a.id))
        headline = (first.title or next((ln.strip() for ln in first.text.splitlines() if ln.strip()), ""))[:200]
    return StoryRow(sid, headline, len(articles), dates[0] if dates else None, dates[-1] if dates else None,
                    version, summary, brief)


# ------------------------------------------------------------ in process
@dataclass
class FoldResult:
    """The local fold: every usable article's story root, the skips, and counts."""

    root: dict[int, int]  # key -> smallest key of its story
    skipped: dict[int, str]  # key -> reason
    windows: int
    edges: int


def fold_local(keys: np.ndarray, articles: Sequence[Article], cfg: FoldConfig,
               encoder: Encoder | None = None) -> tuple[FoldResult, Embedded]:
    """The windowed fold of ``articles`` (with input ``keys``) in this process."""
    enc = encoder or make_encoder(cfg.encoder)
    keys = np.asarray(keys, dtype=np.int64)
    emb = embed(articles, enc)
    ok = np.array([not s for s in emb.skip], dtype=bool)
    idx = np.flatnonzero(ok)
    rows, wins = windows_of(emb.day[idx], cfg)
    by_window: dict[int, list[int]] = defaultdict(list)
    for r, w in zip(rows.tolist(), wins.tolist()):
        by_window[int(w)].append(int(idx[r]))
    us, vs = [], []
    for w in sorted(by_window):
        members = by_window[w]
        feats = features([articles[i] for i in members], emb.dense[members])
        k, root = fold_window(keys[members], feats, w, cfg)
        us.append(k)
        vs.append(root)
    u = np.concatenate(us) if us else np.zeros(0, np.int64)
    v = np.concatenate(vs) if vs else np.zeros(0, np.int64)
    a, b = components(u, v)
    root = {int(k): int(k) for k in keys[ok].tolist()}
    root.update(zip(a.tolist(), b.tolist()))
    skipped = {int(k): s for k, s in zip(keys.tolist(), emb.skip) if s}
    return FoldResult(root, skipped, len(by_window), int((u != v).sum())), emb


# --------------------------------------------------------------- output
ARTICLE_COLUMNS = ("key", "id", "published", "story_id", "skip_reason")
STORY_COLUMNS = ("story_id", "headline", "size", "first_published", "last_published", "version", "summary",
                 "briefing_json")


def fold_schemas() -> dict[str, "pa.Schema"]:
    """The Parquet tables a fold writes: ``articles``, ``stories``, ``links`` (story membership)."""
    import pyarrow as pa

    s = pa.string()
    return {"articles": pa.schema([("key", pa.int64()), ("id", s), ("published", s), ("story_id", s),
                                   ("skip_reason", s)]),
            "stories": pa.schema([("story_id", s), ("headline", s), ("size", pa.int64()), ("first_published", s),
                                  ("last_published", s), ("version", s), ("summary", s), ("briefing_json", s)]),
            "links": pa.schema([("article_id", s), ("story_id", s)])}


def check_store(path: str) -> None:
    """A fold writes a new store's stories: refuse one that already has stories."""
    from ..store import Store
    from .base import EngineError

    with Store(path) as store:
        if int(store.conn.execute("SELECT count(*) FROM stories").fetchone()[0]):
            raise EngineError(f"{path} already holds stories; a batch fold writes a new store. Use "
                              "`newsfold stories` (incremental) on it, or choose a new --db.")


def write_store(path: str, tables: "Sequence[pa.Table] | object", links: list[tuple[str, str]],
                skips: list[tuple[str, str]], stories: list[StoryRow], cfg: FoldConfig) -> None:
    """Articles, stories, memberships, skips and briefings into the store, in one transaction."""
    from ..store import Store
    from .inputs import ReadStats
    from .local import insert_tables

    with Store(path) as store, store.atomic():
        insert_tables(store, tables, ReadStats())  # type: ignore[arg-type]
        store.conn.executemany(
            "INSERT INTO stories (id, headline, state, size, first_published, last_published) "
            "VALUES (?, ?, 'active', ?, ?, ?)",
            [(s.story_id, s.headline, s.size, s.first_published, s.last_published) for s in stories])
        reason = f"batch fold ({cfg.days}-day windows every {cfg.step} days)"
        store.conn.executemany("INSERT INTO story_articles (article_id, story_id, score, reason) VALUES (?,?,NULL,?)",
                               [(a, s, reason) for a, s in links])
        store.conn.executemany("INSERT OR REPLACE INTO story_skips (article_id, reason) VALUES (?,?)", skips)
        if cfg.summaries:
            store.conn.executemany(
                "INSERT INTO summaries (story_id, briefing_json, story_version) VALUES (?,?,?)",
                [(s.story_id, s.briefing_json, s.version) for s in stories])
            store.conn.executemany("INSERT INTO stories_fts (story_id, headline, summary) VALUES (?,?,?)",
                                   [(s.story_id, s.headline, s.summary) for s in stories])


def read_partition(output: "Output") -> dict[str, frozenset[str]]:
    """``{story id: article ids}`` of a fold's output (store or Parquet)."""
    from pathlib import Path

    from ..store import Store

    rows: list[tuple[str, str]]
    if output.kind == "store":
        with Store(output.path) as store:
            rows = [(r[0], r[1]) for r in store.conn.execute("SELECT story_id, article_id FROM story_articles")]
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        files = sorted((Path(output.path) / "links").glob("*.parquet"))
        t = pa.concat_tables([pq.read_table(f) for f in files]) if files else fold_schemas()["links"].empty_table()
        rows = list(zip(t.column("story_id").to_pylist(), t.column("article_id").to_pylist()))
    out: dict[str, set[str]] = defaultdict(set)
    for s, a in rows:
        out[s].add(a)
    return {k: frozenset(v) for k, v in out.items()}
