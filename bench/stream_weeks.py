"""A desk's stream: a labelled JSONL added to one store a week at a time, in date order, and scored.

Run:  .venv/bin/python bench/stream_weeks.py FILE.jsonl [--since 2016] [--encoder minilm] [--refold-limit 0]
      [--batch] [--json]

Each week's rows go through ``add`` as a user's would (records read and
cleaned, dedup, stories; no briefings), with ``refold_limit`` 0 by default
so that online placement decides, as on a desk past the refold limit.  The
stories the store holds at the end are scored against ``event`` (B-cubed).
``--batch`` also runs ``newsfold fold``'s batch refold on the same store at
the end and scores that, so the two figures come from one run.  Prints
seconds, articles per second and the peak RSS.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from newsfold.evaluate.metrics import clustering_scores  # noqa: E402
from newsfold.ingest import ingest_records  # noqa: E402
from newsfold.pipeline import catch_up, stage_options  # noqa: E402
from newsfold.store.db import Store  # noqa: E402


def week_of(published: str | None) -> str:
    try:
        d = dt.date.fromisoformat((published or "")[:10])
    except ValueError:
        return "undated"
    y, w, _ = d.isocalendar()
    return f"{y}-W{w:02d}"


def score(store: Store, gold: dict[str, str]) -> dict[str, float]:
    placed = dict(store.conn.execute("SELECT article_id, story_id FROM story_articles").fetchall())
    ids = [i for i in gold if i in placed]
    s = clustering_scores([gold[i] for i in ids], [placed[i] for i in ids])
    return {"f1": round(s.bcubed_f1, 4), "p": round(s.bcubed_precision, 4), "r": round(s.bcubed_recall, 4),
            "placed": len(ids), "stories": s.n_clusters, "events": s.n_classes}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("file")
    ap.add_argument("--since", default="", help="only rows published from this ISO date on (2016)")
    ap.add_argument("--encoder", default="minilm")
    ap.add_argument("--refold-limit", type=int, default=0)
    ap.add_argument("--batch", action="store_true", help="also refold the store in batch at the end and score it")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rows = [json.loads(line) for line in open(args.file, encoding="utf-8") if line.strip()]
    rows = [r for r in rows if (r.get("published") or "") >= args.since]
    rows.sort(key=lambda r: r.get("published") or "")
    weeks: dict[str, list[dict]] = defaultdict(list)
    gold: dict[str, str] = {}
    for n, r in enumerate(rows):
        rid = f"r{n}"
        gold[rid] = str(r["event"])
        weeks[week_of(r.get("published"))].append(
            {"id": rid, **{k: r[k] for k in ("text", "title", "url", "published", "outlet") if k in r}})
    options = stage_options({"encoder": args.encoder, "refold_limit": args.refold_limit})
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "stream.db")
        t0 = time.perf_counter()
        for week in sorted(weeks):
            ingest_records(store, weeks[week], ref=week)
            catch_up(store, skip=["summaries"], options=options)
        stream_s = time.perf_counter() - t0
        out: dict[str, object] = {"file": args.file, "since": args.since, "rows": len(rows), "adds": len(weeks),
                                  "encoder": args.encoder, "refold_limit": args.refold_limit,
                                  "stream": score(store, gold), "stream_seconds": round(stream_s, 1),
                                  "articles_per_s": round(len(rows) / stream_s, 1)}
        if args.batch:
            from newsfold.stories.refold import refold

            t1 = time.perf_counter()
            refold(store, encoder=args.encoder)
            out["batch_refold"] = score(store, gold)
            out["refold_seconds"] = round(time.perf_counter() - t1, 1)
        store.close()
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    out["machine"] = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        for k, v in out.items():
            print(f"{k}: {v}")


if __name__ == "__main__":
    main()
