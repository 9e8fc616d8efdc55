"""The dedup stage: exact copies, near-duplicates, reprints and re-used passages.

For every article without a ``fingerprints`` row, in ingest order and in
batches (one transaction each):

1. fingerprint it (:mod:`newsfold.dedup.fingerprint`): normalized-content hash,
   word-shingle MinHash signature;
2. exact copies come from the content hash; other candidates from the LSH
   index (:mod:`newsfold.dedup.lsh`), whose banding is chosen so that a reprint
   keeping at least ``min_ratio`` of the longer text is found with
   probability ≥ 0.995;
3. every candidate is verified against the exact shingle sets: ``exact``
   (same normalized text), ``near-duplicate`` (Jaccard ≥ ``threshold``),
   ``reprint`` (containment of the smaller set in the larger ≥
   ``containment``);
4. groups merge incrementally: an article joins the groups of the articles
   it matches; the canonical of a group is the earliest published, else the
   longest, else the first ingested; when that changes, the group's links
   are re-pointed (and re-scored) against the new canonical;
5. re-used sentences between the article and its closest matches go to
   ``passages`` (:func:`newsfold.dedup.passages.find_passages`).

The LSH index lives in memory and is rebuilt from ``fingerprints.minhash``
when a stage object first meets a store.  Shingle sets are never stored:
verification re-shingles the texts, which is fast, and keeps the recent
ones in a bounded cache.  A batch reads the ``dup_links`` it may touch in a
few queries, merges groups in memory, and writes each changed link once.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .fingerprint import (DEFAULT_NUM_PERM, DEFAULT_SEED, DEFAULT_SHINGLE_SIZE, Fingerprinter, Fingerprints,
                          blob_to_signature, common_counts, overlap_arrays, signature_to_blob)
from .lsh import LSHIndex, LSHParams, candidate_jaccard, check_threshold
from ..models import Article, DupGroup, DupKind, DupLink, Passage
from . import writes
from .passages import SentenceCache, find_passages_many
from ..stages import ProgressFn, StageReport, no_progress
from ..store.db import Store

log = logging.getLogger(__name__)

DEFAULT_THRESHOLD = 0.8
DEFAULT_CONTAINMENT = 0.8
DEFAULT_MIN_RATIO = 0.5


@dataclass
class DedupConfig:
    """What counts as a copy, and how fingerprints are made.

    ``threshold``: Jaccard for ``near-duplicate``; ``containment``: share of
    the smaller article's shingles found in the larger for ``reprint``;
    ``min_ratio``: the smallest size ratio (smaller / larger) at which a
    reprint is still found with probability ≥ 0.995 (sets the LSH banding);
    ``passage_containment``: candidate pairs with at least this share of the
    smaller article inside the other get their re-used sentences recorded
    (0.3: a substantial share re-used; two reports that share a few quotes
    do not get passages here — callers such as the summaries use
    :func:`newsfold.dedup.passages.find_passages` on any pair they like).
    """

    threshold: float = DEFAULT_THRESHOLD
    containment: float = DEFAULT_CONTAINMENT
    min_ratio: float = DEFAULT_MIN_RATIO
    shingle_size: int = DEFAULT_SHINGLE_SIZE
    num_perm: int = DEFAULT_NUM_PERM
    seed: int = DEFAULT_SEED
    passage_containment: float = 0.3
    max_passage_sources: int = 3
    batch_size: int = 2000

    def __post_init__(self) -> None:
        self.threshold = check_threshold("threshold", self.threshold)
        self.containment = check_threshold("containment", self.containment)
        self.min_ratio = check_threshold("min_ratio", self.min_ratio)
        self.passage_containment = check_threshold("passage_containment", self.passage_containment)
        if int(self.shingle_size) < 1:
            raise ValueError(f"shingle_size must be at least 1, got {self.shingle_size}")
        if int(self.batch_size) < 1:
            raise ValueError(f"batch_size must be at least 1, got {self.batch_size}")

    def lsh_params(self) -> LSHParams:
        return LSHParams.for_threshold(candidate_jaccard(self.threshold, self.containment, self.min_ratio),
                                       self.num_perm)


@dataclass(slots=True)
class Relation:
    """How two articles relate, measured on their exact shingle sets."""

    kind: DupKind | None
    similarity: float
    jaccard: float
    containment: float


def classify(jac: float, cont: float, same_content: bool, config: DedupConfig) -> Relation:
    """The relation for a pair, or ``kind=None`` when it is not a copy."""
    if same_content:
        return Relation("exact", 1.0, 1.0, 1.0)
    if jac >= config.threshold:
        return Relation("near-duplicate", round(jac, 4), jac, cont)
    if cont >= config.containment:
        return Relation("reprint", round(cont, 4), jac, cont)
    return Relation(None, round(max(jac, cont), 4), jac, cont)


@dataclass(slots=True)
class _Info:
    seq: int
    id: str
    published: str | None
    n_shingles: int
    content_hash: str

    def canonical_key(self) -> tuple[int, str, int, int]:
        return canonical_key(self.published, self.n_shingles, self.seq)


def canonical_key(published: str | None, n_shingles: int, key: int) -> tuple[int, str, int, int]:
    """The canonical of a group is the member with the smallest key: the earliest published, else the one
    with most shingles, else the first stored."""
    return (0 if published else 1, published or "", -int(n_shingles), int(key))


def pick_sources(found: Iterable[tuple[int, float]], n: int) -> list[int]:
    """The older keys whose passages are recorded, of ``(older key, containment)`` matches: the ``n`` most
    contained (ties: the older key first)."""
    return [k for k, _ in sorted(found, key=lambda m: (-m[1], m[0]))[:n]]


@dataclass
class PairBatch:
    """What :meth:`PairFinder.add` learned about one batch.

    ``matches[key]`` lists ``(older key, relation)`` for every verified pair
    (a copy, or at least ``passage_containment`` contained); ``sets`` and
    ``hashes`` hold the shingle sets and content hashes it looked at.
    """

    fingerprints: Fingerprints
    matches: dict[int, list[tuple[int, Relation]]]
    sets: dict[int, np.ndarray]
    hashes: dict[int, str]
    n_candidates: int
    rows: dict[int, int] = field(default_factory=dict)  # key → its row in ``fingerprints``


class PairFinder:
    """Incremental pair finding: content hash, LSH candidates, exact verification.

    Keys are increasing integers (the store's ``seq``).  ``fetch`` returns
    ``{key: text}`` for older keys a batch's candidates point to.  The
    shingle sets it computes stay in a cache of at most ``cache_shingles``
    hashes (least recently used out), so an article that is a candidate of
    many later ones is fetched and shingled once; a finder that may have
    seen a rolled-back batch is dropped whole.
    """

    def __init__(self, config: DedupConfig, cache_shingles: int = 1 << 24) -> None:
        self.config = config
        self.fingerprinter = Fingerprinter(config.shingle_size, config.num_perm, config.seed)
        self.index = LSHIndex(config.lsh_params())
        self.hashes: dict[str, int] = {}
        self.cache_shingles = int(cache_shingles)
        self._sets: OrderedDict[int, tuple[np.ndarray, str]] = OrderedDict()
        self._held = 0

    def load(self, keys: Sequence[int], content_hashes: Sequence[str], signatures: Sequence[np.ndarray | None]) -> None:
        """Re-index stored fingerprints (in key order), e.g. in a new process."""
        ks, sigs = [], []
        for k, h, sig in zip(keys, content_hashes, signatures):
            if h and self.hashes.setdefault(h, k) != k:
                continue  # an exact copy: its original stands for it
            if sig is not None and len(sig) == self.config.num_perm:
                ks.append(k)
                sigs.append(sig)
        if ks:
            self.index.add(np.array(ks, dtype=np.int64), np.vstack(sigs))

    def add(self, keys: Sequence[int], texts: Sequence[str],
            fetch: Callable[[list[int]], dict[int, tuple[str, str]]]) -> PairBatch:
        """Fingerprint and index a batch; return its verified pairs with older keys.

        ``fetch(keys)`` gives ``{key: (text, content hash)}`` for stored keys.
        """
        cfg = self.config
        seqs = np.asarray(keys, dtype=np.int64)
        fps = self.fingerprinter.fingerprint(texts, keep_shingles=True)
        assert fps.shingles is not None
        hashes = {int(s): fps.content_hashes[i] for i, s in enumerate(seqs)}
        exact: dict[int, int] = {}
        lsh_rows = []
        for i, s in enumerate(seqs.tolist()):
            h = fps.content_hashes[i]
            if h and h in self.hashes:
                exact[s] = self.hashes[h]
                continue
            if h:
                self.hashes[h] = s
            if fps.has_signature[i]:
                lsh_rows.append(i)
        rows = np.array(lsh_rows, dtype=np.int64)
        cands = self.index.add_and_query(seqs[rows], fps.signatures[rows])
        batch = PairBatch(fps, {}, {}, hashes, len(cands), {int(s): i for i, s in enumerate(seqs.tolist())})
        # shingle sets only for the articles a pair involves (most have none)
        self.sets_for({*cands.query.tolist(), *cands.key.tolist()}, batch, fetch)
        sets = batch.sets
        matches = batch.matches
        for new, old in exact.items():
            matches.setdefault(new, []).append((old, Relation("exact", 1.0, 1.0, 1.0)))
        # exact overlap of every candidate pair: one pass per new article over its candidates' sets
        query, key = cands.query.tolist(), cands.key.tolist()
        inter = np.zeros(len(query), dtype=np.int64)
        na = np.zeros(len(query), dtype=np.int64)
        nb = np.array([sets[k].size for k in key], dtype=np.int64)
        q = cands.query
        runs = np.flatnonzero(np.r_[True, q[1:] != q[:-1], True]).tolist() if q.size else [0]
        for lo, hi in zip(runs[:-1], runs[1:]):
            mine = sets[query[lo]]
            inter[lo:hi] = common_counts(mine, [sets[k] for k in key[lo:hi]])
            na[lo:hi] = mine.size
        jac, cont = overlap_arrays(inter, na, nb)
        keep = (jac >= cfg.threshold) | (cont >= cfg.containment) | (cont >= cfg.passage_containment)
        idx = np.flatnonzero(keep)
        for i, j, c in zip(idx.tolist(), jac[idx].tolist(), cont[idx].tolist()):
            matches.setdefault(query[i], []).append((key[i], classify(j, c, False, cfg)))
        return batch

    def sets_for(self, keys: Iterable[int], batch: PairBatch,
                 fetch: Callable[[list[int]], dict[int, tuple[str, str]]]) -> None:
        """Fill ``batch.sets`` for ``keys``: the batch's own from its shingles, older ones cached or fetched."""
        shingles = batch.fingerprints.shingles
        assert shingles is not None
        older = []
        for k in keys:
            if k in batch.sets:
                continue
            i = batch.rows.get(k)
            if i is None:
                older.append(k)
                continue
            batch.sets[k] = sh = shingles.shingles(i)
            self._keep(k, sh, batch.hashes[k])
        self.fetch_sets(older, batch.sets, batch.hashes, fetch)

    def fetch_sets(self, keys: Iterable[int], sets: dict[int, np.ndarray], hashes: dict[int, str],
                   fetch: Callable[[list[int]], dict[int, tuple[str, str]]]) -> None:
        """Fill ``sets``/``hashes`` for ``keys`` not in them yet: cached, else re-shingled from stored texts."""
        missing = []
        for k in sorted(set(keys) - sets.keys()):
            hit = self._sets.get(k)
            if hit is None:
                missing.append(k)
            else:
                self._sets.move_to_end(k)
                sets[k], hashes[k] = hit
        if not missing:
            return
        got = fetch(missing)
        ks = list(got)
        for k, sh in zip(ks, self.fingerprinter.shingle_sets([got[k][0] for k in ks])):
            sets[k] = sh
            hashes[k] = got[k][1]
            self._keep(k, sh, hashes[k])

    def _keep(self, key: int, shingles: np.ndarray, content_hash: str) -> None:
        if key in self._sets or shingles.size > self.cache_shingles:
            return
        self._sets[key] = (shingles, content_hash)
        self._held += shingles.size
        while self._held > self.cache_shingles:
            _, (old, _) = self._sets.popitem(last=False)
            self._held -= old.size


class DedupStage:
    """The post-ingest dedup stage (see the module docstring)."""

    name = "dedup"

    def __init__(self, threshold: float | None = None, containment: float | None = None,
                 config: DedupConfig | None = None, **options: object) -> None:
        self._explicit = config is not None or threshold is not None or containment is not None or bool(options)
        base = config or DedupConfig(**options)  # type: ignore[arg-type]
        if threshold is not None:
            base.threshold = check_threshold("threshold", threshold)
        if containment is not None:
            base.containment = check_threshold("containment", containment)
        self.config = base
        self._store_key: tuple[int, str] | None = None
        self._sentences = SentenceCache()  # split texts depend on nothing but the text: kept across batches
        self._reset()

    def _reset(self) -> None:
        self._finder: PairFinder | None = None
        self._loaded_upto = 0
        self._facts = _Facts()

    # ------------------------------------------------------- settings
    def _sync_settings(self, store: Store) -> None:
        """Use the thresholds the store was built with, unless told otherwise."""
        rows = {r["name"]: r["value"] for r in store.conn.execute("SELECT name, value FROM dedup_settings")}
        differs = any(rows.get(k) != str(getattr(self.config, k)) for k in ("threshold", "containment"))
        if self._explicit and rows and differs:
            log.warning("this store's duplicate links were built with threshold=%s containment=%s; new articles"
                        " use %s/%s (rebuild to make them consistent)", rows.get("threshold"),
                        rows.get("containment"), self.config.threshold, self.config.containment)
        if not self._explicit and rows:
            stored = DedupConfig(threshold=float(rows.get("threshold", DEFAULT_THRESHOLD)),
                                 containment=float(rows.get("containment", DEFAULT_CONTAINMENT)),
                                 min_ratio=float(rows.get("min_ratio", DEFAULT_MIN_RATIO)),
                                 shingle_size=int(rows.get("shingle_size", DEFAULT_SHINGLE_SIZE)),
                                 num_perm=int(rows.get("num_perm", DEFAULT_NUM_PERM)),
                                 seed=int(rows.get("seed", DEFAULT_SEED)))
            if stored != self.config:
                self.config = stored
                self._reset()
        elif not rows:
            with store.atomic():
                writes.settings(store, self.config)

    def rebuild(self, store: Store, progress: ProgressFn = no_progress) -> StageReport:
        """Forget every fingerprint, link and passage, and recompute with this config."""
        with store.atomic():
            writes.forget(store)
            writes.settings(store, self.config)
        self._explicit = True
        self._reset()
        self._store_key = None
        return self.catch_up(store, progress)

    # ------------------------------------------------------- the index
    def _load(self, store: Store) -> None:
        """Bring the in-memory index up to date with the stored signatures."""
        key = (id(store), store.path)
        if self._store_key != key:
            self._reset()
            self._store_key = key
        if self._finder is None:
            self._finder = PairFinder(self.config)
        last = self._loaded_upto
        while True:
            rows = store.conn.execute(
                "SELECT a.seq, f.content_hash, f.minhash FROM fingerprints f JOIN articles a ON a.id = f.article_id"
                " WHERE a.seq > ? ORDER BY a.seq LIMIT 50000", (last,)).fetchall()
            if not rows:
                break
            self._finder.load([r["seq"] for r in rows], [r["content_hash"] for r in rows],
                              [blob_to_signature(r["minhash"]) if r["minhash"] is not None else None for r in rows])
            last = rows[-1]["seq"]
        self._loaded_upto = last

    # -------------------------------------------------------- catch up
    def catch_up(self, store: Store, progress: ProgressFn = no_progress) -> StageReport:
        self._sync_settings(store)
        self._load(store)
        total = int(store.conn.execute(
            "SELECT count(*) FROM articles a WHERE NOT EXISTS"
            " (SELECT 1 FROM fingerprints f WHERE f.article_id = a.id)").fetchone()[0])
        report = StageReport(self.name, details={"exact": 0, "near-duplicate": 0, "reprint": 0, "passages": 0,
                                                 "candidates": 0})
        progress(self.name, 0, total)
        after = 0  # every article up to here has its fingerprint (seq only grows: AUTOINCREMENT)
        while True:
            rows = store.conn.execute(
                "SELECT a.seq, a.id, a.text, a.published FROM articles a WHERE a.seq > ? AND NOT EXISTS"
                " (SELECT 1 FROM fingerprints f WHERE f.article_id = a.id) ORDER BY a.seq LIMIT ?",
                (after, self.config.batch_size)).fetchall()
            if not rows:
                break
            after = int(rows[-1]["seq"])
            try:
                with store.atomic():
                    self._process(store, rows, report)
            except BaseException:
                self._reset()  # the finder and the facts may hold entries of the rolled-back batch
                raise
            report.processed += len(rows)
            progress(self.name, report.processed, total)
        return report

    def _process(self, store: Store, rows: Sequence[Any], report: StageReport) -> None:
        assert self._finder is not None
        cfg = self.config
        seqs = [int(r["seq"]) for r in rows]
        fetch = lambda ks: _fetch_texts(store, ks)  # noqa: E731
        batch = self._finder.add(seqs, [r["text"] or "" for r in rows], fetch)
        fps = batch.fingerprints
        report.details["candidates"] += batch.n_candidates
        self._loaded_upto = max(self._loaded_upto, seqs[-1])
        writes.fingerprints(store, [(r["id"], fps.content_hashes[i], int(fps.n_shingles[i]),
                  signature_to_blob(fps.signatures[i]) if fps.has_signature[i] else None)
                 for i, r in enumerate(rows)])
        copies: dict[int, list[int]] = {}
        sources: dict[int, list[int]] = {}
        for s in seqs:
            found = batch.matches.get(s, [])
            olds = [o for o, r in found if r.kind is not None]
            if olds:
                copies[s] = olds
            near = pick_sources([(o, r.containment) for o, r in found if r.kind != "exact"], cfg.max_passage_sources)
            if near:
                sources[s] = near
        if copies:
            mine = {s: _Info(s, r["id"], r["published"], int(fps.n_shingles[i]), fps.content_hashes[i])
                    for i, (s, r) in enumerate(zip(seqs, rows))}
            self._join_groups(store, copies, mine, batch, report)
        if sources:
            report.details["passages"] += self._record_passages(store, sources, rows)

    # ---------------------------------------------------------- groups
    def _join_groups(self, store: Store, copies: dict[int, list[int]], mine: dict[int, _Info], batch: PairBatch,
                     report: StageReport) -> None:
        """Merge each new article (in order) with the groups of the older articles it copies.

        The canonical of a group is its best contender (:meth:`_Info.canonical_key`);
        everyone whose canonical changes is re-linked, scored against their
        final canonical once at the end of the batch (a link depends only on
        the article and its canonical).  The counts in ``report`` are each new
        article's kind against the canonical it joined.
        """
        groups = _Groups.load(store, mine, {o for olds in copies.values() for o in olds}, self._facts)
        joined: list[tuple[int, int]] = []  # (new article, the canonical it joined)
        for new, olds in copies.items():
            best = groups.join(new, olds)
            if best != new:
                joined.append((new, best))
        pairs = [(groups.seq(a), groups.seq(c)) for a, c in groups.changed()]
        same = {p: groups.same_content(*p) for p in (*joined, *pairs)}
        assert self._finder is not None
        self._finder.sets_for({k for p, eq in same.items() if not eq for k in p}, batch,
                              lambda ks: _fetch_texts(store, ks))
        rels = {p: classify(1.0, 1.0, True, self.config) for p, eq in same.items() if eq}
        scored = sorted((c, a) for (a, c), eq in same.items() if not eq)  # by canonical
        sets = batch.sets
        inter = np.zeros(len(scored), dtype=np.int64)
        lo = 0
        while lo < len(scored):
            c, hi = scored[lo][0], lo + 1
            while hi < len(scored) and scored[hi][0] == c:
                hi += 1
            inter[lo:hi] = common_counts(sets[c], [sets[a] for _, a in scored[lo:hi]])
            lo = hi
        jac, cont = overlap_arrays(inter, [sets[c].size for c, _ in scored], [sets[a].size for _, a in scored])
        for (c, a), j, k in zip(scored, jac.tolist(), cont.tolist()):
            rels[(a, c)] = classify(j, k, False, self.config)
        for p in joined:
            report.details[rels[p].kind or "reprint"] += 1
        writes.links(store, [DupLink(groups.info[a].id, groups.info[c].id, rels[(a, c)].kind or "reprint",
                                     rels[(a, c)].similarity) for a, c in pairs])

    def _record_passages(self, store: Store, sources: dict[int, list[int]], rows: Sequence[Any]) -> int:
        """Re-used sentences of each new article and its closest matches (in batch order)."""
        arts = {int(r["seq"]): Article(id=r["id"], text=r["text"], published=r["published"]) for r in rows}
        older = sorted({o for olds in sources.values() for o in olds} - arts.keys())
        for i in range(0, len(older), 500):
            chunk = older[i:i + 500]
            for r in store.conn.execute(
                    "SELECT seq, id, text, title, published FROM articles"
                    f" WHERE seq IN ({','.join('?' * len(chunk))})", chunk):
                arts[r["seq"]] = Article(id=r["id"], text=r["text"], title=r["title"], published=r["published"])
        found = find_passages_many([(arts[new], arts[o]) for new, olds in sources.items() for o in olds],
                                   cache=self._sentences)
        return writes.passages(store, [p for ps in found for p in ps])


@dataclass
class _Facts:
    """What never changes about a fingerprinted article (``seq``, id, date, size, content hash), by ``seq``
    and by id: kept across batches so a group's members are not read again each time its canonical moves."""

    info: dict[int, _Info] = field(default_factory=dict)
    seq_of: dict[str, int] = field(default_factory=dict)
    limit: int = 500_000

    def add(self, i: _Info) -> None:
        self.info[i.seq] = i
        self.seq_of[i.id] = i.seq

    def read(self, store: Store, column: str, keys: Iterable[Any]) -> None:
        """Read the facts of the articles whose ``column`` (``seq`` or ``id``) is in ``keys``."""
        for chunk in _chunks(sorted(keys)):
            for r in store.conn.execute(
                    "SELECT a.seq, a.id, a.published, f.n_shingles, f.content_hash FROM articles a"
                    f" JOIN fingerprints f ON f.article_id = a.id WHERE a.{column} IN ({','.join('?' * len(chunk))})",
                    chunk):
                self.add(_Info(r[0], r[1], r[2], r[3], r[4]))

    def trim(self) -> None:
        if len(self.info) > self.limit:
            self.info.clear()
            self.seq_of.clear()


@dataclass
class _Groups:
    """``dup_links`` as one batch sees them: read as needed, then kept in step with the batch's own changes.

    At the start it reads the links of the batch's articles and of the older
    ones they copy; the members of a group are read when its canonical loses
    its place (rare: an earlier article joined).  Nothing is written until
    the batch ends, so what the store holds is the state before the batch.
    """

    store: Store
    facts: _Facts
    canonical: dict[str, str]  # article id → canonical id, for the linked articles met so far
    members: dict[str, set[str]] = field(default_factory=dict)  # canonical id → ids linked to it (see ``read``)
    read: set[str] = field(default_factory=set)  # canonicals whose stored members are in ``members``
    moved: dict[str, None] = field(default_factory=dict)  # ids re-linked in this batch, in order

    @classmethod
    def load(cls, store: Store, mine: dict[int, _Info], olds: set[int], facts: _Facts) -> "_Groups":
        facts.trim()
        for i in mine.values():
            facts.add(i)
        facts.read(store, "seq", olds - facts.info.keys())
        canonical: dict[str, str] = {}
        for chunk in _chunks([facts.info[s].id for s in sorted(olds | mine.keys())]):
            canonical.update(store.conn.execute(
                f"SELECT article_id, canonical_id FROM dup_links WHERE article_id IN ({','.join('?' * len(chunk))})",
                chunk).fetchall())
        facts.read(store, "id", set(canonical.values()) - facts.seq_of.keys())
        return cls(store, facts, canonical)

    @property
    def info(self) -> dict[int, _Info]:
        return self.facts.info

    def seq(self, article_id: str) -> int:
        return self.facts.seq_of[article_id]

    def _members(self, head: str) -> set[str]:
        """The ids linked to ``head`` now: the stored links not changed in this batch, and this batch's."""
        got = self.members.setdefault(head, set())
        if head not in self.read:
            self.read.add(head)
            stored = [r[0] for r in self.store.conn.execute(
                "SELECT article_id FROM dup_links WHERE canonical_id = ?", (head,))]
            self.facts.read(self.store, "id", {a for a in stored if a not in self.facts.seq_of})
            for aid in stored:
                if aid in self.moved:
                    continue  # re-linked in this batch: ``canonical`` knows where to
                if aid not in self.facts.seq_of:  # no fingerprint yet: what the store says now
                    r = self.store.conn.execute("SELECT seq, published FROM articles WHERE id = ?", (aid,)).fetchone()
                    self.facts.info[r[0]] = _Info(r[0], aid, r[1], 0, "")
                    self.facts.seq_of[aid] = r[0]
                self.canonical[aid] = head
                got.add(aid)
        return got

    def join(self, new: int, olds: list[int]) -> int:
        """Merge ``new`` and the groups of ``olds``; return the canonical's ``seq``."""
        info, seq_of = self.facts.info, self.facts.seq_of
        me = info[new]
        heads = {self.canonical.get(info[o].id, info[o].id) for o in olds}
        best = min([me] + [info[seq_of[c]] for c in heads], key=_Info.canonical_key)
        # everyone whose canonical is not ``best`` now: old canonicals, their members, the new article
        moved = {c for c in heads if c != best.id}
        for c in list(moved):
            moved.update(self._members(c))
        if me.id != best.id:
            moved.add(me.id)
        moved.discard(best.id)
        for aid in sorted(moved, key=seq_of.__getitem__):
            was = self.canonical.get(aid)
            if was is not None and was in self.members:
                self.members[was].discard(aid)
            self.canonical[aid] = best.id
            self.members.setdefault(best.id, set()).add(aid)
            self.moved.pop(aid, None)
            self.moved[aid] = None
        return best.seq

    def changed(self) -> list[tuple[str, str]]:
        """``(article id, canonical id)`` of every article re-linked in this batch, in order of last change."""
        return [(aid, self.canonical[aid]) for aid in self.moved]

    def same_content(self, a: int, b: int) -> bool:
        ha, hb = self.info[a].content_hash, self.info[b].content_hash
        return bool(ha) and ha == hb


def _chunks(items: list[Any], size: int = 500) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _fetch_texts(store: Store, seqs: list[int]) -> dict[int, tuple[str, str]]:
    """``{seq: (text, content hash)}`` of stored articles."""
    out: dict[int, tuple[str, str]] = {}
    for i in range(0, len(seqs), 500):
        chunk = seqs[i:i + 500]
        for r in store.conn.execute(
                "SELECT a.seq, a.text, f.content_hash FROM articles a LEFT JOIN fingerprints f ON f.article_id = a.id"
                f" WHERE a.seq IN ({','.join('?' * len(chunk))})", chunk):
            out[r["seq"]] = (r["text"] or "", r["content_hash"] or "")
    return out


# ------------------------------------------------------------- reading
def canonical_of(store: Store, article_id: str) -> str:
    """The canonical article of ``article_id``'s group (itself when it has no copies)."""
    row = store.conn.execute("SELECT canonical_id FROM dup_links WHERE article_id = ?", (article_id,)).fetchone()
    return row["canonical_id"] if row else article_id


def links_for(store: Store, article_id: str) -> list[DupLink]:
    """Every link of ``article_id``'s duplicate group (empty when it has no copies)."""
    canon = canonical_of(store, article_id)
    rows = store.conn.execute(
        "SELECT article_id, canonical_id, kind, similarity FROM dup_links WHERE canonical_id = ?"
        " ORDER BY similarity DESC, article_id", (canon,))
    return [DupLink(r["article_id"], r["canonical_id"], r["kind"], r["similarity"]) for r in rows]


def passages_for(store: Store, article_id: str) -> list[Passage]:
    """Re-used sentences where ``article_id`` is the copier or the source."""
    rows = store.conn.execute(
        "SELECT article_id, source_id, sentence, source_sentence, similarity, direction FROM passages"
        " WHERE article_id = ? OR source_id = ? ORDER BY rowid", (article_id, article_id))
    return [Passage(r["article_id"], r["source_id"], r["sentence"], r["source_sentence"], r["similarity"],
                    r["direction"]) for r in rows]


def list_groups(store: Store, *, threshold: float | None = None, containment: float | None = None,
                kinds: Iterable[str] | None = None, limit: int | None = None) -> list[DupGroup]:
    """Duplicate groups, largest first.

    ``threshold``/``containment`` keep only the near-duplicate/reprint links
    scoring at least that much (they can only tighten what the store holds).
    """
    if threshold is not None:
        threshold = check_threshold("threshold", threshold)
    if containment is not None:
        containment = check_threshold("containment", containment)
    kinds = set(kinds) if kinds else None
    groups: dict[str, DupGroup] = {}
    for r in store.conn.execute("SELECT article_id, canonical_id, kind, similarity FROM dup_links"
                                " ORDER BY canonical_id, similarity DESC, article_id"):
        link = DupLink(r["article_id"], r["canonical_id"], r["kind"], r["similarity"])
        if kinds and link.kind not in kinds:
            continue
        if threshold is not None and link.kind == "near-duplicate" and link.similarity < threshold:
            continue
        if containment is not None and link.kind == "reprint" and link.similarity < containment:
            continue
        groups.setdefault(link.canonical_id, DupGroup(link.canonical_id)).links.append(link)
    out = sorted(groups.values(), key=lambda g: (-g.size, g.canonical_id))
    return out[:limit] if limit else out


def stored_settings(store: Store) -> dict[str, str]:
    """The dedup settings a store's links were built with (empty before the first run)."""
    return {r["name"]: r["value"] for r in store.conn.execute("SELECT name, value FROM dedup_settings")}
