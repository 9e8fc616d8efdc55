"""Candidate sentence pairs for hand-labelling "does sentence B restate sentence A?".

How ``tests/data/restatement_pairs.jsonl`` was made: this script lists, for
the seed story (examples/000–003, plus 004, the previous year's look-alike
letter, as a source of hard negatives) and for the first articles of a few
ECB+ events (``--events``, picked by the sorted event name, never by
content), every cross-article pair of summary-worthy sentences whose MiniLM
cosine is at least ``--min-cos`` or that share a figure, the best few per
sentence.  A person then read each pair and wrote ``label``: 1 when B
states A's fact (a restatement, a paraphrase or a translation of it, or a
sentence that contains it), 0 otherwise (a different fact, a different
figure for the same thing, another year's event).  The labels were written
by hand, pair by pair; no threshold or score decided them.

    .venv/bin/python bench/summary_pairs.py > /tmp/candidates.jsonl

``--score`` reads the labelled pairs back and prints the precision and
recall of :mod:`newsfold.summarize.align`'s test on the seed pairs and on
the ECB+ pairs, and the settings (name weight, number clash, threshold) a
grid search would choose on the seed pairs alone (best F1), scored on the
ECB+ pairs: the check that the shipped settings were not fitted to the
pairs they are reported on.

    .venv/bin/python bench/summary_pairs.py --score
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from newsfold.stories.represent import MiniLMEncoder  # noqa: E402
from newsfold.sentences import split_sentences  # noqa: E402
from newsfold.summarize.stage import sentence_encoder  # noqa: E402
from newsfold.summarize.text import is_summary_worthy  # noqa: E402


def groups(ecb: Path, n_events: int, per_event: int) -> list[tuple[str, list[tuple[str, str]]]]:


    out = []
    seeds = sorted((ROOT / "examples").glob("0*.txt"))
    out.append(("seeds", [(p.name[:3], p.read_text(encoding="utf-8")) for p in seeds]))
    rows = [json.loads(line) for line in open(ecb, encoding="utf-8")]
    by_event: dict[str, list[dict]] = {}
    for r in rows:
        by_event.setdefault(r["event"], []).append(r)
    for ev in sorted(by_event)[:n_events]:
        out.append((ev, [(r["id"], r["text"]) for r in by_event[ev][:per_event]]))
    return out


def score_pairs(path: Path) -> None:
    from newsfold.summarize import align

    rows = [json.loads(line) for line in open(path, encoding="utf-8")]
    enc = sentence_encoder()
    va = enc.vectors([r["a"] for r in rows])
    vb = enc.vectors([r["b"] for r in rows])
    cos = (va * vb).sum(axis=1)
    y = np.asarray([r["label"] for r in rows])
    seeds = np.asarray([r["group"] == "seeds" for r in rows])
    feats = []
    for r in rows:
        na, ua = align.anchors(r["a"])
        nb, ub = align.anchors(r["b"])
        sa, sb = na | ua, nb | ub
        feats.append((len(sa & sb) / max(1, min(len(sa), len(sb))), float(bool(ua and ub and not ua & ub))))
    F = np.asarray(feats)

    def pr(w: float, pen: float, t: float, m: np.ndarray) -> tuple[float, float, float]:
        said = (cos + w * F[:, 0] - pen * F[:, 1] >= t) & m
        tp = int((said & (y == 1)).sum())
        p, r = tp / max(1, int(said.sum())), tp / max(1, int(((y == 1) & m).sum()))
        return p, r, 2 * p * r / max(p + r, 1e-9)

    shipped = (align.NAME_WEIGHT, align.NUMBER_CLASH, align.RESTATE)
    grid = [(w, pen, round(float(t), 3)) for w in (0.0, 0.05, 0.1, 0.15, 0.2, 0.3) for pen in (0.0, 0.05, 0.1, 0.2)
            for t in np.arange(0.55, 1.0, 0.01)]
    on_seeds = max(grid, key=lambda g: pr(*g, seeds)[2])
    print(f"{len(rows)} pairs ({int(y.sum())} restatements): seeds {int(seeds.sum())}, ECB+ {int((~seeds).sum())}")
    for name, g in (("shipped", shipped), ("chosen on seeds", on_seeds), ("dense only, 0.75", (0.0, 0.0, 0.75))):
        ps, rs, _ = pr(*g, seeds)
        pe, re_, _ = pr(*g, ~seeds)
        print(f"{name:18s} w={g[0]:.2f} clash={g[1]:.2f} t={g[2]:.2f}  seeds P {ps:.3f} R {rs:.3f}"
              f"  ECB+ P {pe:.3f} R {re_:.3f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ecb", default="/work/shared/data/ecbplus/ecbplus-dev.jsonl")
    ap.add_argument("--events", type=int, default=4)
    ap.add_argument("--per-event", type=int, default=4)
    ap.add_argument("--min-cos", type=float, default=0.45)
    ap.add_argument("--best", type=int, default=2)
    ap.add_argument("--score", nargs="?", const=str(ROOT / "tests" / "data" / "restatement_pairs.jsonl"))
    args = ap.parse_args()
    if args.score:
        score_pairs(Path(args.score))
        return
    enc = MiniLMEncoder(max_tokens=128)
    for name, docs in groups(Path(args.ecb), args.events, args.per_event):
        sents = [(d, s) for d, text in docs for s in split_sentences(text) if is_summary_worthy(s)]
        V = enc.encode([s for _, s in sents])
        S = V @ V.T
        for i, (da, a) in enumerate(sents):
            cands = [j for j in np.argsort(-S[i]) if sents[j][0] != da][: args.best * 3]
            took = 0
            for j in cands:
                if S[i, j] < args.min_cos or took >= args.best:
                    break
                if j < i and i in np.argsort(-S[j])[: args.best * 3]:
                    continue  # the pair was listed from the other side
                took += 1
                print(json.dumps({"group": name, "a_doc": da, "a": a, "b_doc": sents[j][0], "b": sents[j][1],
                                  "cos": round(float(S[i, j]), 3)}, ensure_ascii=False))


if __name__ == "__main__":
    main()
