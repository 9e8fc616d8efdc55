"""The batch refold: reconsider every placed article at once, merge and split stories, say why.

:func:`refold` runs the :class:`~newsfold.stories.cluster_batch.BatchClusterer` over
the whole store (vectors read back, never re-encoded) and records each merge
and split in ``story_events``; :class:`RefoldStage` runs it after each ``add``
while the store is small enough (``limit``).
"""

from __future__ import annotations

import json
import logging
import math
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import asdict, dataclass

from ..stages import ProgressFn, StageReport, no_progress
from ..store.db import Store
from ..text import plural
from . import writes
from .cluster_batch import BatchClusterer
from .represent import DEFAULT_ENCODER, ArticleFeatures, Encoder, Featurizer, make_encoder
from .vectors import featurize_stored, keep_vectors

log = logging.getLogger(__name__)


@dataclass
class RefoldReport:
    """What a batch refold changed."""

    articles: int = 0
    stories: int = 0
    merged: int = 0
    split: int = 0
    created: int = 0


def refold(store: Store, encoder: str | Encoder = DEFAULT_ENCODER, clusterer: BatchClusterer | None = None,
           progress: ProgressFn = no_progress, new: Mapping[str, ArticleFeatures] | None = None) -> RefoldReport:
    """Reconsider every placed article in batch; merge and split stories, recording why.

    Copies (dedup links) follow their canonical article.  Story ids are kept
    where a new cluster mostly holds an old story's articles.  ``new``: unplaced
    articles (by id, with their features, in ingest order) placed by the same
    fold (the stories stage's first placement of a corpus).
    """
    enc = make_encoder(encoder) if isinstance(encoder, str) else encoder
    new = new or {}
    rows = store.conn.execute("SELECT a.id FROM articles a JOIN story_articles sa ON sa.article_id = a.id "
                              "ORDER BY a.seq").fetchall()
    all_ids = [r[0] for r in rows] + list(new)
    canon = {r[0]: r[1] for r in store.conn.execute("SELECT article_id, canonical_id FROM dup_links")}
    placed = set(all_ids)
    roots = [i for i in all_ids if canon.get(i) not in placed]
    stored = [i for i in roots if i not in new]
    articles = store.get_articles(stored)
    progress("refold", 0, len(roots))
    featurizer = Featurizer(enc)
    by_id = {f.id: f for f in featurize_stored(store, featurizer, articles)}
    if featurizer.encoded_:
        with store.atomic():
            keep_vectors(store, featurizer)
    feats = [by_id[i] if i in by_id else new[i] for i in roots]
    bc = (clusterer or BatchClusterer.for_encoder(enc.name)).fit(feats)
    progress("refold", len(roots), len(roots))
    label = {f.id: int(l) for f, l in zip(feats, bc.labels_)}
    why = "refold" if len(new) < len(all_ids) else "batch fold"

    root = {i: writes.copy_root(i, canon, placed) for i in all_ids}
    new_of = {i: label[root[i]] for i in all_ids}
    old_of = {r[0]: r[1] for r in store.conn.execute("SELECT article_id, story_id FROM story_articles")}
    rep = RefoldReport(articles=len(all_ids))
    clusters: dict[int, list[str]] = defaultdict(list)
    for i in all_ids:
        clusters[new_of[i]].append(i)
    # give each new cluster the old story id that holds most of it (largest clusters choose first)
    claimed: dict[str, int] = {}
    story_of: dict[int, str] = {}
    n_stories = writes.story_count(store)
    for c, members in sorted(clusters.items(), key=lambda x: -len(x[1])):
        for old, _ in Counter(old_of[i] for i in members if i in old_of).most_common():
            if old not in claimed:
                claimed[old] = c
                story_of[c] = old
                break
    with store.atomic():
        for c, members in sorted(clusters.items()):
            if c not in story_of:
                sid = writes.new_story_id(n_stories)
                n_stories += 1
                story_of[c] = sid
                writes.create(store, sid)
                writes.record_event(store, sid, "created", reason=f"{why}: {bc.reasons_[c]}")
                rep.created += 1
        for c, members in clusters.items():
            sid = story_of[c]
            olds = Counter(old_of[i] for i in members if i in old_of)
            absorbed = [o for o in olds if o != sid]
            if absorbed and any(o not in claimed for o in absorbed):
                gone = [o for o in absorbed if o not in claimed]
                writes.record_event(store, sid, "merged", reason=f"refold: {bc.reasons_[c]}", absorbed=gone)
                for o in gone:
                    writes.set_state(store, o, "merged", merged_into=sid)
                    writes.record_event(store, o, "merged_into", reason=f"refold folded it into {sid}", into=sid)
                    rep.merged += 1
            reasons = [(i, sid, writes.copy_reason(canon[i]) if root[i] != i
                        else f"{why}: {bc.reasons_[c]}") for i in members]
            writes.move(store, [r for r in reasons if r[0] in old_of])
            writes.place(store, [(i, s_, None, r) for i, s_, r in reasons if i not in old_of])
        if new:  # what the stories stage counts for each article it places
            writes.count_terms(store, Counter(t for f in new.values() for t in f.terms))
        # an old story whose articles now sit in several stories was split
        spread: dict[str, set[str]] = defaultdict(set)
        for i in old_of:
            spread[old_of[i]].add(story_of[new_of[i]])
        for old, targets in spread.items():
            if len(targets) > 1:
                writes.record_event(store, old, "split", reason="refold: its articles report different events",
                                    into=sorted(targets))
                rep.split += 1
        live = {story_of[c] for c in clusters}
        for r in store.conn.execute("SELECT id FROM stories WHERE state != 'merged'").fetchall():
            if r[0] not in live:
                writes.set_state(store, r[0], "merged", empty=True)
        changed = {story_of[new_of[i]] for i in all_ids if old_of.get(i) != story_of[new_of[i]]}
        changed |= {old_of[i] for i in old_of if old_of[i] != story_of[new_of[i]]} & live
        writes.refresh(store, live - changed, members_changed=False)
        writes.refresh(store, changed)
        # the online index must see the new stories: rebuild their profiles from the batch features
        fidx = {f.id: f for f in feats}
        writes.save_profiles(store, {story_of[c]: [fidx[i] for i in clusters[c] if i in fidx]
                                     for c in sorted(clusters)})
    rep.stories = len(clusters)
    return rep


class RefoldStage:
    """Now and then, refold a small store in batch, so that ``add`` gives what ``fold`` gives.

    Online placement (the stories stage) and the batch fold take the same
    decision, one article at a time or all at once; they agree closely but
    not exactly.  While the store holds at most ``limit`` placed articles, a
    run ends with a batch refold when the store has grown by at least
    ``growth`` (a share) since the last one, or was never refolded, so the
    refold's cost is spread over the adds: adding a few articles to a store
    of hundreds leaves the refold to a later add (their online placement
    stands meanwhile), and a first ``add`` of a corpus is refolded at once.
    Merges and splits are recorded in the stories' history.  Above the
    limit the online placement stands and ``newsfold fold`` refolds on
    request.  The number of placed articles at the last refold is kept as a
    ``refold`` event, so a crash between the refold and its marker only
    repeats the (idempotent) refold.
    """

    name = "refold"

    def __init__(self, encoder: str | Encoder = DEFAULT_ENCODER, limit: int = 1000, growth: float = 0.25) -> None:
        self.encoder = encoder
        self.limit = limit
        self.growth = growth

    def catch_up(self, store: Store, progress: ProgressFn = no_progress) -> StageReport:
        report = StageReport(self.name)
        placed = int(store.conn.execute("SELECT count(*) FROM story_articles").fetchone()[0])
        last = store.conn.execute("SELECT detail_json FROM story_events WHERE story_id = '' AND kind = 'refold' "
                                  "ORDER BY seq DESC LIMIT 1").fetchone()
        done_at = json.loads(last[0]).get("placed", -1) if last else -1
        if placed == 0 or placed == done_at:
            return report
        if done_at > 0 and placed < done_at * (1 + self.growth):
            report.details["skipped"] = f"{plural(placed - done_at, 'article')} placed since the last refold of {done_at}; " \
                                        f"the next refold comes at {math.ceil(done_at * (1 + self.growth))} " \
                                        "(or run `newsfold fold`)"
            return report
        if placed > self.limit:
            report.details["skipped"] = f"{placed} placed articles is over the automatic refold limit of " \
                                        f"{self.limit}; run `newsfold fold` to refold"
            return report
        rep = refold(store, encoder=self.encoder, progress=progress)
        with store.atomic():
            writes.record_event(store, "", "refold", placed=placed, **asdict(rep))
        report.processed = rep.articles
        report.details.update({"stories": rep.stories, "merged": rep.merged, "split": rep.split,
                               "created": rep.created})
        return report
