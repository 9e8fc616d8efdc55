"""Ingest throughput: add (read, clean, store) beside merely reading the same files.

    python bench/ingest.py            # 100,000 generated articles (bench/gen_corpus.py)
    python bench/ingest.py -n 20000   # quicker

Prints articles/s for reading alone and for the whole add (by the clock, and
per second of this process's CPU time, which other processes on the machine
do not stretch), their ratio, the peak memory and the machine.  One process,
one core.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from gen_corpus import generate  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=100_000)
    ap.add_argument("--batch-size", type=int, default=1000)
    a = ap.parse_args()
    import json

    load = os.getloadavg()

    from newsfold.ingest import Ingester
    from newsfold.read import iter_documents
    from newsfold.store.db import Store

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "corpus.jsonl"
        with open(src, "w", encoding="utf-8") as fh:
            for rec in generate(a.n):
                fh.write(json.dumps(rec) + "\n")
        mb = src.stat().st_size / 1e6

        t0, c0 = time.perf_counter(), time.process_time()
        n_read = sum(1 for _ in iter_documents([str(src)]))
        t_read, c_read = time.perf_counter() - t0, time.process_time() - c0

        store = Store(Path(tmp) / "bench.db")
        t0, c0 = time.perf_counter(), time.process_time()
        rep = Ingester(store, batch_size=a.batch_size).ingest_paths([str(src)])
        t_add, c_add = time.perf_counter() - t0, time.process_time() - c0
        assert rep.accepted == a.n, rep.summary()
        removed = store.conn.execute("SELECT sum(json_array_length(removed_json)) FROM articles").fetchone()[0]
        store.close()
        db_mb = (Path(tmp) / "bench.db").stat().st_size / 1e6

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.platform()}")
    print(f"corpus: {a.n:,} generated articles, {mb:.0f} MB JSONL")
    print(f"load average before the run: {load[0]:.2f} (other processes share the cores: compare CPU seconds)")
    print(f"{'stage':<28}{'seconds':>10}{'articles/s':>14}{'CPU s':>10}{'per CPU s':>12}")
    print(f"{'read only':<28}{t_read:>10.1f}{n_read / t_read:>14,.0f}{c_read:>10.1f}{n_read / c_read:>12,.0f}")
    print(f"{'add (read, clean, store)':<28}{t_add:>10.1f}{a.n / t_add:>14,.0f}{c_add:>10.1f}{a.n / c_add:>12,.0f}")
    print(f"add takes {t_add / t_read:.1f}x the time of reading; {removed:,} boilerplate lines removed; "
          f"database {db_mb:.0f} MB; peak memory {peak:.0f} MB")


if __name__ == "__main__":
    main()
