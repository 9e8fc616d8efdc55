"""Score the stories ``newsfold fold --json`` printed against a labelled JSONL file ({id, event, ...}).

Run:  .venv/bin/python -m newsfold fold FILE.jsonl --json > fold.json
      .venv/bin/python bench/score_fold.py fold.json FILE.jsonl [--published-from 2016] [--json]

B-cubed precision, recall and F1 over the stored articles that carry a label
(``--published-from``: only those published in that year or later, e.g. the
GVA rows held out from fitting), with the story and event counts.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from newsfold.evaluate.metrics import clustering_scores  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("fold_json")
    ap.add_argument("labelled")
    ap.add_argument("--published-from", default="")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rows = [json.loads(line) for line in open(args.labelled, encoding="utf-8") if line.strip()]
    event = {str(r["id"]): r["event"] for r in rows
             if str(r.get("published") or "")[:4] >= args.published_from}
    story = {a: s["id"] for s in json.load(open(args.fold_json, encoding="utf-8"))["stories"]
             for a in s["article_ids"]}
    ids = [i for i in event if i in story]
    s = clustering_scores([event[i] for i in ids], [story[i] for i in ids])
    out = {"articles": len(ids), "labelled": len(event), "f1": round(s.bcubed_f1, 4),
           "precision": round(s.bcubed_precision, 4), "recall": round(s.bcubed_recall, 4),
           "stories": s.n_clusters, "events": s.n_classes}
    print(json.dumps(out) if args.json else
          f"B-cubed F1 {out['f1']} (P {out['precision']}, R {out['recall']}) on {out['articles']} stored of "
          f"{out['labelled']} labelled articles: {out['stories']} stories for {out['events']} events")


if __name__ == "__main__":
    main()
