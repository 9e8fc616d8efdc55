"""The Stories stage: every article lands in a story, and stories live in the store.

- :class:`StoriesStage` (``name = "stories"``) places each article that has no
  ``story_articles`` row, in ingest order, one at a time
  (:class:`~newsfold.stories.cluster_online.OnlineClusterer`).  A store's first
  corpus, where the refold follows (``batch_limit``), is folded in one batch
  instead: what the refold would make of it.  A copy found by dedup joins
  its canonical's story.  An article with no usable text gets a
  ``story_skips`` row saying why.  The online index is rebuilt from the store
  on start (story centroids, term profiles, dates), so a restart continues.
- :func:`~newsfold.stories.refold.refold` reconsiders the whole corpus in batch
  (:class:`~newsfold.stories.cluster_batch.BatchClusterer`) and may merge or split stories;
  every merge and split is written to ``story_events`` with its reason.
- States: ``active``; ``dormant`` when a story's last article is more than
  ``quiet_days`` older than the newest dated article; back to ``active``
  (a ``revived`` event) when a matching article arrives; ``merged`` when a
  refold folded it into another story.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import ChainMap, Counter
from dataclasses import asdict
from typing import Any

import numpy as np

from . import writes
from .refold import refold
from .vectors import featurize_stored, keep_vectors
from .cluster_online import OnlineClusterer
from ..models import Article
from .represent import (DEFAULT_ENCODER, ArticleFeatures, Encoder, Featurizer, make_encoder,
                        term_weights, usable_text)
from ..stages import ProgressFn, StageReport, no_progress
from ..store.db import Store
from ..text import parse_day

log = logging.getLogger(__name__)

BATCH = 64


# ------------------------------------------------------------ reading
def update_states(store: Store, quiet_days: int) -> int:
    """Mark stories dormant whose last article is ``quiet_days`` older than the newest; returns how many."""
    newest = store.conn.execute("SELECT max(published) FROM articles").fetchone()[0]
    ref = parse_day(newest)
    if ref is None:
        return 0
    cutoff = (ref - dt.timedelta(days=quiet_days)).isoformat()
    rows = store.conn.execute("SELECT id, last_published FROM stories WHERE state = 'active' "
                              "AND last_published IS NOT NULL AND substr(last_published, 1, 10) < ?",
                              (cutoff,)).fetchall()
    for r in rows:
        writes.set_state(store, r[0], "dormant")
        writes.record_event(store, r[0], "dormant",
                            reason=f"no new article since {r[1][:10]} ({quiet_days}+ quiet days)")
    return len(rows)


# -------------------------------------------------------------- stage
class StoriesStage:
    """Place every unplaced article into a story (see the module docstring)."""

    name = "stories"

    def __init__(self, encoder: str | Encoder = DEFAULT_ENCODER, quiet_days: int = 7,
                 online: dict[str, Any] | None = None, batch_limit: int = 0) -> None:
        self.encoder = make_encoder(encoder) if isinstance(encoder, str) else encoder
        self.quiet_days = quiet_days
        self.online = dict(online or {})  # OnlineClusterer parameters
        self.batch_limit = batch_limit  # a first corpus of at most this many articles is placed in one batch fold

    def _backlog(self, store: Store) -> list[str]:
        return [r[0] for r in store.conn.execute(
            "SELECT a.id FROM articles a LEFT JOIN story_articles sa ON sa.article_id = a.id "
            "LEFT JOIN story_skips sk ON sk.article_id = a.id "
            "WHERE sa.article_id IS NULL AND sk.article_id IS NULL ORDER BY a.seq")]

    def load_index(self, store: Store) -> tuple[OnlineClusterer, list[str]]:
        """Rebuild the online index from the store: IDF from placed articles, one entry per live story."""
        oc = OnlineClusterer.for_encoder(getattr(self.encoder, "name", ""), **self.online)
        placed = int(store.conn.execute("SELECT count(*) FROM story_articles").fetchone()[0])
        oc.df_.n_docs = placed
        oc.df_.df.update({r[0]: r[1] for r in store.conn.execute("SELECT term, df FROM story_df")})
        if placed and not oc.df_.df:  # a store from before story_df: count once, then keep
            for (text, title) in store.conn.execute(
                    "SELECT a.text, a.title FROM articles a JOIN story_articles sa ON sa.article_id = a.id"):
                oc.df_.df.update(set(term_weights(f"{title or ''}\n{text}")))
            with store.atomic():
                writes.count_terms(store, oc.df_.df, replace=True)
        ids: list[str] = []
        for r in store.conn.execute("SELECT id, size, centroid, meta_json, first_published, last_published "
                                    "FROM stories WHERE state != 'merged' ORDER BY id"):
            meta = json.loads(r["meta_json"] or "{}")
            dense = np.frombuffer(r["centroid"], dtype=np.float32).copy() if r["centroid"] else None
            dates = meta.get("event_dates")
            if dates is None:  # a profile saved before event-date histograms: its first and last event dates
                ends = [parse_day(meta.get(k)) for k in ("event_first", "event_last")]
                dates = dict(Counter(d.toordinal() for d in ends if d is not None))
            oc.load_story(dense, meta.get("terms", {}), int(r["size"]), parse_day(meta.get("first_date")),
                          parse_day(meta.get("last_date")), {**meta, "event_dates": dates})
            ids.append(r["id"])
        return oc, ids

    def catch_up(self, store: Store, progress: ProgressFn = no_progress) -> StageReport:
        backlog = self._backlog(store)
        report = StageReport(self.name, details={"new_stories": 0, "joined": 0, "copies": 0, "skipped": 0,
                                                 "revived": 0, "dormant": 0})
        if not backlog:
            with store.atomic():
                report.details["dormant"] = update_states(store, self.quiet_days)
            return report
        if 2 <= len(backlog) <= self.batch_limit and not store.conn.execute(
                "SELECT 1 FROM story_articles LIMIT 1").fetchone():
            return self._fold_first(store, backlog, report, progress)
        oc, ids = self.load_index(store)
        pos = {sid: i for i, sid in enumerate(ids)}
        featurizer = Featurizer(self.encoder)
        n_stories = writes.story_count(store)
        dormant = {r[0] for r in store.conn.execute("SELECT id FROM stories WHERE state = 'dormant'")}
        placed: dict[str, str] = {}  # article → story, for copies whose canonical is placed in this run
        done = 0
        progress(self.name, 0, len(backlog))
        for start in range(0, len(backlog), BATCH):
            chunk, why_not, feats = self._read(store, backlog[start:start + BATCH], featurizer)
            touched: set[str] = set()
            placed_now: set[str] = set()
            links = self._links(store, list(feats))
            rows: list[tuple[str, str, float, str]] = []
            with store.atomic():
                keep_vectors(store, featurizer)
                for a in chunk:
                    why = why_not[a.id]
                    if why is not None:
                        writes.skip(store, [(a.id, why)])
                        report.details["skipped"] += 1
                        continue
                    f = feats[a.id]
                    story_id, score, reason, is_new = self._place_one(oc, pos, ids, f, n_stories, links.get(a.id),
                                                                      placed)
                    if is_new:
                        n_stories += 1
                        ids.append(story_id)
                        pos[story_id] = len(ids) - 1
                        writes.create(store, story_id, writes.headline_of(a))
                        writes.record_event(store, story_id, "created", reason=reason, article_id=a.id)
                        report.details["new_stories"] += 1
                    else:
                        if story_id in dormant:
                            dormant.discard(story_id)
                            writes.set_state(store, story_id, "active")
                            writes.record_event(store, story_id, "revived", reason=reason, article_id=a.id)
                            report.details["revived"] += 1
                        report.details["copies" if reason.startswith("copy of") else "joined"] += 1
                    rows.append((a.id, story_id, float(score), reason))
                    placed[a.id] = story_id
                    touched.add(story_id)
                    placed_now.add(a.id)
                writes.place(store, rows)
                terms: Counter[str] = Counter()
                for a in chunk:
                    if a.id in feats and a.id in placed_now:
                        terms.update(feats[a.id].terms.keys())
                writes.count_terms(store, terms)
                for story_id in touched:
                    writes.save_profile(store, oc, pos[story_id], story_id)
                writes.refresh(store, touched)
            done += len(chunk)
            report.processed += len(chunk)
            progress(self.name, done, len(backlog))
        with store.atomic():
            report.details["dormant"] = update_states(store, self.quiet_days)
        return report

    @staticmethod
    def _read(store: Store, ids: list[str], featurizer: Featurizer) -> tuple[
            list[Article], dict[str, str | None], dict[str, ArticleFeatures]]:
        """A chunk of the backlog: its articles, why each has no story (``None``: it has usable text), and the
        features of those that have (the caller keeps ``featurizer``'s new vectors)."""
        chunk = store.get_articles(ids)
        why_not = {a.id: usable_text(a) for a in chunk}
        feats = featurize_stored(store, featurizer, [a for a in chunk if why_not[a.id] is None])
        return chunk, why_not, {f.id: f for f in feats}

    def _fold_first(self, store: Store, backlog: list[str], report: StageReport,
                    progress: ProgressFn) -> StageReport:
        """A store's first corpus, placed in one batch fold: what the refold that follows a first ``add`` would
        make of an online placement (the batch fold reconsiders every article anyway), at a fraction of the
        cost.  The fold stands as the store's refold (its marker is written), so the refold stage waits for
        the store to grow."""
        featurizer = Featurizer(self.encoder)
        new: dict[str, ArticleFeatures] = {}
        progress(self.name, 0, len(backlog))
        for start in range(0, len(backlog), BATCH):  # encode (and keep the vectors) chunk by chunk, with progress
            chunk, why_not, feats = self._read(store, backlog[start:start + BATCH], featurizer)
            with store.atomic():
                keep_vectors(store, featurizer)
                writes.skip(store, [(a.id, why) for a in chunk if (why := why_not[a.id]) is not None])
            new.update(feats)
            report.details["skipped"] += len(chunk) - len(feats)
            progress(self.name, start + len(chunk), len(backlog))
        rep = refold(store, self.encoder, new=new)
        copies = int(store.conn.execute("SELECT count(*) FROM story_articles WHERE reason LIKE 'copy of %'")
                     .fetchone()[0])
        with store.atomic():
            writes.record_event(store, "", "refold", placed=rep.articles, **asdict(rep))
            report.details["dormant"] = update_states(store, self.quiet_days)
        report.processed = len(backlog)
        report.details.update(new_stories=rep.stories, copies=copies, joined=rep.articles - rep.stories - copies,
                              batch=asdict(rep))
        return report

    @staticmethod
    def _links(store: Store, ids: list[str]) -> dict[str, tuple[str, str, str | None]]:
        """Copy → (canonical, kind, the canonical's story if placed) for the ``ids`` dedup linked."""
        out: dict[str, tuple[str, str, str | None]] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            for r in store.conn.execute(
                    "SELECT d.article_id, d.canonical_id, d.kind, sa.story_id FROM dup_links d LEFT JOIN "
                    "story_articles sa ON sa.article_id = d.canonical_id "
                    f"WHERE d.article_id IN ({','.join('?' * len(chunk))})", chunk):
                out[r[0]] = (r[1], r[2], r[3])
        return out

    def _place_one(self, oc: OnlineClusterer, pos: dict[str, int], ids: list[str], f: ArticleFeatures,
                   n_stories: int, link: tuple[str, str, str | None] | None,
                   placed: dict[str, str]) -> tuple[str, float, str, bool]:
        """Decide one article's story: ``(story id, score, reason, is new)``; a copy joins its canonical's."""
        if link is not None:
            canonical, kind, story = link
            story_of = ChainMap({canonical: story} if story else {}, placed)
            root = writes.copy_root(f.id, {f.id: canonical}, story_of)
            if root != f.id and story_of[root] in pos:
                oc.add_to_story(pos[story_of[root]], f)
                return story_of[root], 1.0, writes.copy_reason(canonical, kind), False
        p = oc.place(f)
        if p.new:
            return writes.new_story_id(n_stories), p.score, p.reason, True
        return ids[p.story], p.score, p.reason, False
