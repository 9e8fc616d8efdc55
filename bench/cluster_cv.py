"""Fit the same-story model and choose every fold parameter by cross-validation; print the table.

The model (:mod:`newsfold.samestory`) is a logistic regression on pair
features.  Training examples:

- ECB+ developers' set: every pair of articles inside a topic, a sample of
  pairs across topics, and, for online placement, each article against every
  story of its topic as it stood when the article arrived (file order),
  labelled by whether the gold events agree;
- SemEval-2022 task 8 development pairs (``same_story`` true/false; read from
  ``/work/shared/data`` only here, never bundled).

Protocol (gold labels are read only to make training pairs and to score):

- **ECB+ CV**: two-fold across topics, ``--repeats`` random halvings: fit on
  half the topics (plus all SemEval pairs), fold all 772 articles in batch and
  online (file order), score B-cubed F1 on the other half's articles;
- **SemEval CV**: five folds over pairs: fit on all ECB+ and four fifths of
  the SemEval pairs, fold every SemEval text together (batch), count the
  held-out pairs that land together exactly when people say same story;
- **cross-set**: fit on ECB+ alone → SemEval pairs right; fit on SemEval
  alone → ECB+ B-cubed F1;
- ``--grid``: the SemEval weight, the regularisation and the two cuts are
  chosen by the mean of the two CV figures (ECB+ batch F1 and SemEval right);
- ``--refit``: fit on everything with the chosen settings and print the
  constants for ``samestory.py``.

    flock /tmp/newsfold-heavy.lock python bench/cluster_cv.py [--repeats 3] [--grid] [--refit]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from newsfold.cluster import BatchClusterer, OnlineClusterer, cut_threshold  # noqa: E402
from newsfold.metrics import clustering_scores  # noqa: E402
from newsfold.models import Article  # noqa: E402
from newsfold.represent import Featurizer, make_encoder  # noqa: E402
from newsfold.samestory import FEATURES, Profile, SameStoryModel, feature_matrices, story_context  # noqa: E402

ECB = ROOT / "data" / "ecbplus" / "ecbplus-dev.jsonl"
SEMEVAL = Path("/work/shared/data/semeval8/semeval8-train-en.jsonl")
CACHE = Path(os.environ.get("NEWSFOLD_BENCH_CACHE", "/tmp/newsfold-bench"))


class CachedEncoder:
    """Wraps an encoder with a vector cache on disk (the bench is re-run often)."""

    def __init__(self, name: str) -> None:
        self.inner = make_encoder(name)
        self.name = self.inner.name
        self.key = getattr(self.inner, "key", name)

    def encode(self, texts: list[str]) -> np.ndarray:
        key = hashlib.sha1(("\x00".join(texts) + self.key).encode()).hexdigest()[:16]
        path = CACHE / f"{self.key}-{key}.npy"
        if path.exists():
            return np.load(path)
        vecs = self.inner.encode(texts)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, vecs)
        return vecs


class Set:
    """One labelled development set, represented once: features, profiles, pairwise feature matrices."""

    def __init__(self, articles: list[Article], encoder: CachedEncoder) -> None:
        self.feats = Featurizer(encoder).featurize(articles)
        self.bc = BatchClusterer()
        self.profiles = self.bc.profiles(self.feats)
        self.idf = self.bc.idf(self.feats)
        self.mats = self.bc.features(self.feats)
        self.x = np.stack(self.mats, axis=-1)  # n × n × features


def load_ecb(encoder: CachedEncoder) -> tuple[Set, np.ndarray, np.ndarray]:
    rows = [json.loads(x) for x in ECB.open(encoding="utf-8")]
    s = Set([Article(id=f"r{i}", text=r["text"]) for i, r in enumerate(rows)], encoder)
    return s, np.array([r["event"] for r in rows]), np.array([str(r["topic"]) for r in rows])


def load_semeval(encoder: CachedEncoder) -> tuple[Set, np.ndarray, np.ndarray]:
    pairs = [json.loads(x) for x in SEMEVAL.open(encoding="utf-8") if x.strip()]
    pairs = [p for p in pairs if p.get("same_story") is not None]
    texts: dict[str, int] = {}
    for p in pairs:
        for k in ("text1", "text2"):
            texts.setdefault(p[k], len(texts))
    s = Set([Article(id=f"t{i}", text=t) for t, i in texts.items()], encoder)
    ij = np.array([(texts[p["text1"]], texts[p["text2"]]) for p in pairs])
    return s, ij, np.array([bool(p["same_story"]) for p in pairs])


# ------------------------------------------------------------ examples
def ecb_pairs(ecb: Set, gold: np.ndarray, topic: np.ndarray, topics: set[str],
              rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Pairs inside the ``topics`` (all) and across them (as many again, sampled)."""
    idx = np.where(np.isin(topic, list(topics)))[0]
    i, j = np.triu_indices(len(idx), 1)
    a, b = idx[i], idx[j]
    inside = topic[a] == topic[b]
    ai, bi = a[inside], b[inside]
    far = np.where(~inside)[0]
    pick = rng.choice(far, size=min(len(far), len(ai)), replace=False)
    a2 = np.concatenate([ai, a[pick]])
    b2 = np.concatenate([bi, b[pick]])
    return ecb.x[a2, b2], (gold[a2] == gold[b2]).astype(int)


def ecb_online(ecb: Set, gold: np.ndarray, topic: np.ndarray,
               topics: set[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each article against its topic's gold stories as they stood when it arrived (file order); its context:
    the nearest stories so far (as :meth:`OnlineClusterer.context` takes it among its candidates)."""
    xs, ys, ts = [], [], []
    stories: dict[str, Profile] = {}
    story_topic: dict[str, str] = {}
    for i in np.where(np.isin(topic, list(topics)))[0]:
        mine = [e for e in stories if story_topic[e] == topic[i]]
        if mine:
            names = list(stories)
            vec = ecb.profiles[i].dense.astype(np.float64)
            sums = np.vstack([stories[e].dense for e in names]).astype(np.float64)
            each = story_context(vec, sums, np.array([stories[e].size for e in names], dtype=float))
            ctx = each[[names.index(e) for e in mine]]
            m = feature_matrices([ecb.profiles[i]], [stories[e] for e in mine], ecb.idf, ctx, ctx)
            xs.append(np.stack(m, axis=-1)[0])
            ys.extend(int(e == gold[i]) for e in mine)
            ts.extend([topic[i]] * len(mine))
        stories.setdefault(gold[i], Profile(size=0)).add(ecb.profiles[i])
        story_topic[gold[i]] = topic[i]
    return (np.vstack(xs) if xs else np.zeros((0, len(FEATURES)))), np.array(ys, dtype=int), np.array(ts)


def fit(parts: list[tuple[np.ndarray, np.ndarray, float]], c: float) -> SameStoryModel:
    """A logistic regression on the stacked examples, each part weighted to ``weight`` in total."""
    from sklearn.linear_model import LogisticRegression

    x = np.vstack([p[0] for p in parts if len(p[1])])
    y = np.concatenate([p[1] for p in parts if len(p[1])])
    w = np.concatenate([np.full(len(p[1]), p[2] / len(p[1])) for p in parts if len(p[1])])
    lr = LogisticRegression(C=c, max_iter=2000)
    lr.fit(x, y, sample_weight=w * len(y) / w.sum())
    return SameStoryModel(coef=tuple(float(v) for v in lr.coef_[0]), intercept=float(lr.intercept_[0]))


# -------------------------------------------------------------- scoring
def batch_labels(s: Set, model: SameStoryModel, cut: float) -> np.ndarray:
    return cut_threshold(model.prob(s.mats), cut)


def online_labels(s: Set, model: SameStoryModel, cut: float) -> np.ndarray:
    oc = OnlineClusterer(model=model, threshold=cut)
    return np.array([oc.place(f).story for f in s.feats])


def b3(gold: np.ndarray, labels: np.ndarray, mask: np.ndarray) -> float:
    return clustering_scores(list(gold[mask]), list(labels[mask])).bcubed_f1


def pairs_right(labels: np.ndarray, ij: np.ndarray, same: np.ndarray, mask: np.ndarray) -> float:
    together = labels[ij[:, 0]] == labels[ij[:, 1]]
    return float((together == same)[mask].mean())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--encoder", default="minilm")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--semeval-weight", type=float, default=0.5, help="SemEval's share of the training weight")
    ap.add_argument("--c", type=float, default=1.0, help="inverse regularisation")
    ap.add_argument("--cut", type=float, default=None, help="batch cut (default: the shipped one)")
    ap.add_argument("--online-cut", type=float, default=None)
    ap.add_argument("--no-online", action="store_true", help="skip the online CV (slower)")
    ap.add_argument("--grid", action="store_true")
    ap.add_argument("--refit", action="store_true")
    args = ap.parse_args()
    from newsfold import samestory

    enc = CachedEncoder(args.encoder)
    ecb, gold, topic = load_ecb(enc)
    sem, ij, same = load_semeval(enc)
    sem_x = sem.x[ij[:, 0], ij[:, 1]]
    rng = np.random.default_rng(0)
    topics = sorted(set(topic))
    all_topics = set(topics)
    online_x, online_y, online_topic = ecb_online(ecb, gold, topic, all_topics)

    def run(weight: float, c: float, cut: float, ocut: float, online: bool) -> dict[str, float]:
        r = np.random.default_rng(0)
        ecb_b, ecb_o = [], []
        for rep in range(args.repeats):
            perm = r.permutation(topics)
            halves = [set(perm[: len(perm) // 2]), set(perm[len(perm) // 2:])]
            for fit_half, test_half in (halves, halves[::-1]):
                xp, yp = ecb_pairs(ecb, gold, topic, fit_half, r)
                keep = np.isin(online_topic, list(fit_half))
                xo, yo = online_x[keep], online_y[keep]
                m = fit([(xp, yp, (1 - weight) / 2), (xo, yo, (1 - weight) / 2), (sem_x, same.astype(int), weight)],
                        c)
                test = np.isin(topic, list(test_half))
                ecb_b.append(b3(gold, batch_labels(ecb, m, cut), test))
                if online:
                    ecb_o.append(b3(gold, online_labels(ecb, m, ocut), test))
        xp, yp = ecb_pairs(ecb, gold, topic, all_topics, r)
        xo, yo = online_x, online_y
        folds = np.random.default_rng(1).permutation(np.arange(len(same)) % 5)
        sem_cv = []
        for k in range(5):
            tr = folds != k
            m = fit([(xp, yp, (1 - weight) / 2), (xo, yo, (1 - weight) / 2), (sem_x[tr], same[tr].astype(int), weight)],
                    c)
            sem_cv.append(pairs_right(batch_labels(sem, m, cut), ij, same, ~tr) * (~tr).sum())
        m_ecb = fit([(xp, yp, 0.5), (xo, yo, 0.5)], c)
        m_sem = fit([(sem_x, same.astype(int), 1.0)], c)
        out = {"ecb_cv_batch": float(np.mean(ecb_b)), "ecb_cv_online": float(np.mean(ecb_o)) if ecb_o else float("nan"),
               "sem_cv": float(np.sum(sem_cv) / len(same)),
               "sem_from_ecb": pairs_right(batch_labels(sem, m_ecb, cut), ij, same, np.ones(len(same), bool)),
               "ecb_from_sem": b3(gold, batch_labels(ecb, m_sem, cut), np.ones(len(gold), bool))}
        return out

    cut = args.cut if args.cut is not None else samestory.BATCH_CUT
    ocut = args.online_cut if args.online_cut is not None else samestory.ONLINE_CUT
    if args.grid:
        best = None
        for weight in (0.2, 0.5):
            for c in (1.0,):
                for ct in (0.3, 0.35, 0.4, 0.5):
                    r = run(weight, c, ct, ocut, False)
                    score = (r["ecb_cv_batch"] + r["sem_cv"]) / 2
                    print(f"weight {weight} C {c} cut {ct}: " + "  ".join(f"{k} {v:.4f}" for k, v in r.items()),
                          flush=True)
                    if best is None or score > best[0]:
                        best = (score, weight, c, ct)
        print(f"chosen: SemEval weight {best[1]}, C {best[2]}, batch cut {best[3]}")
        return
    r = run(args.semeval_weight, args.c, cut, ocut, not args.no_online)
    print(f"\n| figure (`python bench/cluster_cv.py`, {args.repeats}×2 topic halvings) | value |")
    print("|---|---|")
    print(f"| ECB+ CV across topics, B-cubed F1, batch | {r['ecb_cv_batch']:.3f} |")
    print(f"| ECB+ CV across topics, B-cubed F1, online (file order) | {r['ecb_cv_online']:.3f} |")
    print(f"| SemEval pairs right, fit on ECB+ and 4/5 of SemEval (5-fold CV) | {r['sem_cv']:.3f} |")
    print(f"| SemEval pairs right, fit on ECB+ alone | {r['sem_from_ecb']:.3f} |")
    print(f"| ECB+ B-cubed F1 (all), fit on SemEval alone | {r['ecb_from_sem']:.3f} |")
    if args.refit:
        xp, yp = ecb_pairs(ecb, gold, topic, all_topics, rng)
        xo, yo = online_x, online_y
        w = args.semeval_weight
        m = fit([(xp, yp, (1 - w) / 2), (xo, yo, (1 - w) / 2), (sem_x, same.astype(int), w)], args.c)
        print("\n# paste into src/newsfold/samestory.py")
        print(f"COEF: tuple[float, ...] = ({', '.join(f'{v:.4f}' for v in m.coef)})")
        print(f"INTERCEPT: float = {m.intercept:.4f}")
        for name, v in zip(FEATURES, m.coef):
            print(f"#   {name:10s} {v:+.3f}")


if __name__ == "__main__":
    main()
