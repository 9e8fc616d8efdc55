"""Articles per second for each representation, on ECB+ dev texts.

Prints wall-clock and process-CPU rates (on a shared machine the wall rate
also counts time spent waiting for a CPU; torch uses every core it is given,
so its CPU rate is per all cores together).

    python bench/represent_speed.py [--n 200]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from newsfold.models import Article  # noqa: E402
from newsfold.stories.represent import Featurizer, MiniLMEncoder, NoEncoder, StaticEncoder, term_weights  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200, help="articles per representation")
    args = ap.parse_args()
    rows = [json.loads(x) for x in (ROOT / "data/ecbplus/ecbplus-dev.jsonl").open(encoding="utf-8")][: args.n]
    arts = [Article(id=f"r{i}", text=r["text"]) for i, r in enumerate(rows)]
    print(f"{len(arts)} ECB+ articles (mean {sum(len(a.text) for a in arts) / len(arts):.0f} chars), "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print(f"{'representation':<34} {'wall art/s':>10} {'CPU art/s':>10}")

    def run(name: str, fn) -> None:  # type: ignore[no-untyped-def]
        fn(arts[:4])  # load models outside the timing
        w0, c0 = time.perf_counter(), time.process_time()
        fn(arts)
        w, c = time.perf_counter() - w0, time.process_time() - c0
        print(f"{name:<34} {len(arts) / w:>10.1f} {len(arts) / max(c, 1e-9):>10.1f}", flush=True)

    run("terms + dateline (TF-IDF input)", lambda a: Featurizer(NoEncoder()).featurize(a))
    run("terms only", lambda a: [term_weights(x.text) for x in a])
    run("static model2vec (distilled)", lambda a: Featurizer(StaticEncoder()).featurize(a))
    run("all-MiniLM-L6-v2", lambda a: Featurizer(MiniLMEncoder()).featurize(a))


if __name__ == "__main__":
    main()
