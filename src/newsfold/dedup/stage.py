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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import writes
from .config import (DEFAULT_CONTAINMENT, DEFAULT_MIN_RATIO, DEFAULT_THRESHOLD, DedupConfig, canonical_key, classify,
                     pick_sources)
from .fingerprint import (DEFAULT_NUM_PERM, DEFAULT_SEED, DEFAULT_SHINGLE_SIZE, blob_to_signature, common_counts,
                          overlap_arrays, signature_to_blob)
from .lsh import check_threshold
from ..models import Article, DupLink
from .pairs import PairBatch, PairFinder
from .passages import SentenceCache, find_passages_many
from ..stages import ProgressFn, StageReport, no_progress
from ..store.db import Store

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Info:
    seq: int
    id: str
    published: str | None
    n_shingles: int
    content_hash: str

    def canonical_key(self) -> tuple[int, str, int, int]:
        return canonical_key(self.published, self.n_shingles, self.seq)


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
