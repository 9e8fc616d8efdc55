"""Consensus in content selection: does it win on the development set, tuned on one half and scored on the other?

The clusters of ``bench/summary_devset.jsonl`` are split by their position
in the file (even positions: half A, odd: half B; never by id or content).
On half A, a grid of the consensus settings (``--weights`` for
``SubmodularSelector.consensus_weight``, ``--cos`` for
``selection.CONSENSUS_COS``) is scored by ROUGE-1 recall at 100 words; the best
is then scored on half B beside today's objective (weight 0).  Everything
else of the summarizer stays as shipped (its five other settings were tuned
on the whole set earlier, so both halves are optimistic for them alike).

    flock /tmp/newsfold-heavy.lock .venv/bin/python bench/summary_consensus.py [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from newsfold.summarize import selection  # noqa: E402
from newsfold.summarize.evaluate import evaluate, load_clusters  # noqa: E402
from newsfold.summarize.select import SubmodularSelector  # noqa: E402
from newsfold.summarize.stage import sentence_encoder  # noqa: E402


def summarizer(weight: float):  # type: ignore[no-untyped-def]
    def run(c):  # type: ignore[no-untyped-def]
        sel = selection.select_summary(c.docs, max_words=100, fill=True, encoder=sentence_encoder(),
                                       selector=SubmodularSelector(max_words=100, consensus_weight=weight))
        order = sel.chosen + ([sel.extra] if sel.extra is not None else [])
        return " ".join(sel.units[i].text for i in order)
    return run


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("file", nargs="?", default=str(ROOT / "bench" / "summary_devset.jsonl"))
    ap.add_argument("--weights", default="0,0.25,0.5,1,2")
    ap.add_argument("--cos", default="0.6,0.7")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    clusters = load_clusters(args.file)
    half_a, half_b = clusters[0::2], clusters[1::2]
    grid = []
    for cos in [float(x) for x in args.cos.split(",")]:
        selection.CONSENSUS_COS = cos
        for w in [float(x) for x in args.weights.split(",")]:
            if w == 0 and grid and any(g["weight"] == 0 for g in grid):
                continue
            res, _ = evaluate(half_a, summarizer(w), with_briefing=False)
            grid.append({"cos": cos, "weight": w, "rouge1_recall_A": round(res.rouge1_recall, 4),
                         "rouge2_recall_A": round(res.rouge2_recall, 4), "seconds_A": round(res.seconds, 1)})
            print(json.dumps(grid[-1]), file=sys.stderr)
    best = max(grid, key=lambda g: (g["rouge1_recall_A"], -g["weight"]))
    selection.CONSENSUS_COS = best["cos"]
    chosen, _ = evaluate(half_b, summarizer(best["weight"]), with_briefing=False)
    today, _ = evaluate(half_b, summarizer(0.0), with_briefing=False)
    out = {"half_A": len(half_a), "half_B": len(half_b), "grid_on_A": grid, "chosen_on_A": best,
           "B_chosen": {"rouge1_recall": round(chosen.rouge1_recall, 4), "rouge2_recall": round(chosen.rouge2_recall, 4),
                        "seconds": round(chosen.seconds, 1)},
           "B_today": {"rouge1_recall": round(today.rouge1_recall, 4), "rouge2_recall": round(today.rouge2_recall, 4),
                       "seconds": round(today.seconds, 1)}}
    print(json.dumps(out, indent=1 if not args.json else None))


if __name__ == "__main__":
    main()
