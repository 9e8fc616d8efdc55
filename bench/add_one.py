"""What one more article costs: ``add`` of a single article to a store of N articles, beyond start-up.

Run:  .venv/bin/python bench/add_one.py [--sizes 500,5000] [--encoder minilm] [--json]

For each size a store is built on disk with ``add``'s own pipeline (every
stage, briefings included) from N generated articles (``bench/gen_corpus.py``:
real ECB+ articles reworded, with outlets and dates), then one more article
(a seed article, ``examples/000_…``: a new story, not a reworded copy) is
added as ``newsfold add`` does after its start-up.  Printed per size: the build's seconds, the one
add's wall and CPU seconds, and the seconds of each stage in it.
Start-up (imports, opening the store, loading the encoder) is measured
apart, as the first ``add`` of one article to an empty store.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from gen_corpus import generate  # noqa: E402

from newsfold.ingest import ingest_records  # noqa: E402
from newsfold.pipeline import catch_up, stage_options  # noqa: E402
from newsfold.store.db import Store  # noqa: E402


ONE_MORE = {"id": "one-more", "text": next((ROOT / "examples").glob("000_*.txt")).read_text(encoding="utf-8")}


def timed_add(store: Store, rows: list[dict], options: dict) -> dict:
    """Ingest ``rows`` and run every stage; wall and CPU seconds, and when each stage last reported progress."""
    t0, c0 = time.perf_counter(), time.process_time()
    seen: dict[str, float] = {}

    def progress(stage: str, done: int, total: int) -> None:
        seen[stage] = round(time.perf_counter() - t0, 2)

    ingest_records(store, rows)
    reports = catch_up(store, options=options, progress=progress)
    return {"wall_s": round(time.perf_counter() - t0, 2), "cpu_s": round(time.process_time() - c0, 2),
            "processed": {r.stage: r.processed for r in reports}, "stage_done_at_s": seen,
            "refold": next((r.details for r in reports if r.stage == "refold"), {})}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="500,5000")
    ap.add_argument("--encoder", default="minilm")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    options = stage_options({"encoder": args.encoder})
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = list(generate(max(sizes)))
    out: dict = {"machine": f"{platform.platform()}, {os.cpu_count()} CPUs", "encoder": args.encoder, "sizes": []}
    with tempfile.TemporaryDirectory() as tmp:
        warm = Store(Path(tmp) / "warm.db")
        out["start_up_first_article"] = timed_add(warm, rows[:1], options)
        for n in sizes:
            store = Store(Path(tmp) / f"s{n}.db")
            t0 = time.perf_counter()
            timed_add(store, rows[:n], options)
            build = time.perf_counter() - t0
            one = timed_add(store, [ONE_MORE], options)
            row = {"articles": n, "build_s": round(build, 1), "one_more": one}
            out["sizes"].append(row)
            print(json.dumps(row), file=sys.stderr)
    print(json.dumps(out, indent=2) if args.json else json.dumps(out))


if __name__ == "__main__":
    main()
