"""Fit the event-split decision on ECB+ and cross-validate it across topics.

The batch clusterer's only learned part is :class:`newsfold.stories.cluster_batch.SplitModel`
(four weights and a bias: split a topic group's dendrogram node into two
events or not).  This script

1. represents ECB+ dev (``--encoder``; vectors cached under .cache/),
2. forms the level-1 topic groups and lists every candidate split with its
   evidence (names/numbers ratio, topic ratio, centred between/cohesion) and
   whether its two halves hold different gold events,
3. two-fold cross-validation across topics: fit the split model on the
   groups of half the topics, cluster, score B-cubed on the other half's
   articles (and the reverse), repeated over ``--repeats`` random halvings,
4. fits on all topics and prints the weights (the defaults in cluster.py).

Gold labels are read only to label candidate splits and to score.

    python bench/cluster_cv.py [--encoder minilm] [--repeats 5]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from newsfold.stories.cluster_batch import BatchClusterer, SplitModel, cut_threshold, split_events  # noqa: E402
from newsfold.evaluate.metrics import clustering_scores  # noqa: E402
from newsfold.models import Article  # noqa: E402
from newsfold.stories.represent import Featurizer, make_encoder  # noqa: E402


class CachedEncoder:
    """Wraps an encoder with a vector cache on disk (the bench is re-run often)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.inner = make_encoder(name)

    def encode(self, texts: list[str]) -> np.ndarray:
        key = hashlib.sha1(("\x00".join(texts) + self.name).encode()).hexdigest()[:16]
        path = ROOT / ".cache" / "bench" / f"{self.name}-{key}.npy"
        if path.exists():
            return np.load(path)
        vecs = self.inner.encode(texts)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, vecs)
        return vecs


def load(path: Path, encoder: str):  # type: ignore[no-untyped-def]
    rows = [json.loads(x) for x in path.open(encoding="utf-8")]
    arts = [Article(id=f"r{i}", text=r["text"]) for i, r in enumerate(rows)]
    feats = Featurizer(CachedEncoder(encoder)).featurize(arts)
    return feats, np.array([r["event"] for r in rows]), np.array([str(r.get("topic", r["event"])) for r in rows])


def prepare(bc: BatchClusterer, feats):  # type: ignore[no-untyped-def]
    """Level-1 groups and each group's similarities (fixed while the split rule varies)."""
    groups = bc.groups(feats)
    sims = {}
    for g in np.unique(groups):
        idx = np.where(groups == g)[0]
        if len(idx) >= 2 * bc.min_event:
            sims[int(g)] = (idx, bc.group_sims([feats[i] for i in idx], bc._s1[np.ix_(idx, idx)]))
    return groups, sims


def labels_with(model: SplitModel, bc: BatchClusterer, groups, sims) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Story labels for a split rule, reusing the prepared groups (small groups: as the clusterer does)."""
    labels = np.full(len(groups), -1)
    nxt = 0
    for g in np.unique(groups):
        idx = np.where(groups == g)[0]
        if int(g) in sims:
            local, _ = split_events(sims[int(g)][1], model, bc.min_event)
        else:
            local = cut_threshold(bc._plain[np.ix_(idx, idx)], bc.small_threshold)
        labels[idx] = local + nxt
        nxt += int(local.max()) + 1
    return labels


def rule(a: float, tau: float) -> SplitModel:
    """Split when the centred between-similarity + a * names/numbers ratio < tau."""
    return SplitModel(weights=(-a, 0.0, -1.0, 0.0), bias=tau)


GRID = [(a, t) for a in (0.0, 0.125, 0.25, 0.5) for t in np.round(np.arange(-0.04, 0.161, 0.02), 3)]


def fit_rule(bc, groups, sims, gold, mask):  # type: ignore[no-untyped-def]
    """The grid rule with the best B-cubed F1 on the articles in ``mask``."""
    best = None
    for w, t in GRID:
        lab = labels_with(rule(w, t), bc, groups, sims)
        f = clustering_scores(list(gold[mask]), list(lab[mask])).bcubed_f1
        if best is None or f > best[0]:
            best = (f, w, t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--file", default=str(ROOT / "data/ecbplus/ecbplus-dev.jsonl"))
    ap.add_argument("--encoder", default="minilm")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    feats, gold, topic = load(Path(args.file), args.encoder)
    bc = BatchClusterer.for_encoder(args.encoder)
    groups, sims = prepare(bc, feats)
    topics = sorted(set(topic))
    rng = np.random.default_rng(0)
    scores = []
    for r in range(args.repeats):
        perm = rng.permutation(topics)
        halves = [set(perm[: len(perm) // 2]), set(perm[len(perm) // 2:])]
        for fit_half, test_half in (halves, halves[::-1]):
            fit = np.array([t in fit_half for t in topic])
            f_fit, w, t = fit_rule(bc, groups, sims, gold, fit)
            lab = labels_with(rule(w, t), bc, groups, sims)
            f_test = clustering_scores(list(gold[~fit]), list(lab[~fit])).bcubed_f1
            scores.append((f_fit, f_test))
            print(f"repeat {r}: fit on {len(fit_half)} topics B3 F1 {f_fit:.4f} | held-out {len(test_half)} "
                  f"topics B3 F1 {f_test:.4f}   rule a={w} tau={t}", flush=True)
    a = np.array(scores)
    print(f"\nmean over {len(a)} halvings: fitted half {a[:, 0].mean():.4f}, held-out half {a[:, 1].mean():.4f} "
          f"(min {a[:, 1].min():.4f})")
    f_all, w, t = fit_rule(bc, groups, sims, gold, np.ones(len(gold), dtype=bool))
    lab = labels_with(rule(w, t), bc, groups, sims)
    s = clustering_scores(list(gold), list(lab))
    print(f"fit on all topics: rule a={w} tau={t} -> SplitModel(weights=({-w}, 0.0, -1.0, 0.0), bias={t})")
    print(f"  B-cubed P {s.bcubed_precision:.4f} R {s.bcubed_recall:.4f} F1 {s.bcubed_f1:.4f}; "
          f"{s.n_clusters} stories for {s.n_classes} events")
    d = BatchClusterer.for_encoder(args.encoder).fit_predict(feats)
    print(f"  with the shipped defaults: B-cubed F1 {clustering_scores(list(gold), list(d)).bcubed_f1:.4f}")


if __name__ == "__main__":
    main()
