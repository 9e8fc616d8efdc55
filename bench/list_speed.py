"""How fast `newsfold stories` lists a big store: wall time and peak memory of the command.

    python bench/list_speed.py                      # builds bench/out/list-100k.db once, then measures
    python bench/list_speed.py --articles 10000 --runs 5

The store is built once (then reused) without running the pipeline: the
articles are those of ``bench/gen_corpus.py`` (real ECB+ text with outlets,
dates and URLs), written with the store's own writer (``Store.insert_articles``,
which also fills the full-text index), and grouped into stories of 1 to 12
articles (about 3 on average), whose ``stories`` and ``story_articles`` rows
are written with the columns the Stories stage writes (id, headline,
first/last published, state, size; each member's score and reason).

Each run is a fresh ``python -m newsfold --db STORE stories`` (and ``--json``,
and a deep page) process, as a user types it; the figures are its wall time
(median over ``--runs``) and its peak resident memory (``ru_maxrss`` of that
process alone, the largest over the runs).
Targets (issue 12): under 0.5 s and under 100 MB on 100,000 articles.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from gen_corpus import generate  # noqa: E402

from newsfold.models import Article  # noqa: E402
from newsfold.store.db import Store  # noqa: E402


def build(path: Path, n: int, seed: int = 13) -> None:
    """Write ``n`` generated articles and their stories into a new store at ``path``."""
    tmp = path.with_suffix(".building")
    for p in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        p.unlink(missing_ok=True)
    rnd = random.Random(seed)
    t0 = time.perf_counter()
    store = Store(tmp)
    batch: list[Article] = []
    members: list[tuple[str, str | None, str]] = []  # (id, published, title) of the articles written so far
    for rec in generate(n, seed):
        batch.append(Article(id=rec["id"], text=rec["text"], title=rec["title"], outlet=rec["outlet"], url=rec["url"],
                             published=rec["published"], published_source="metadata", source_ref="gen_corpus.jsonl"))
        members.append((rec["id"], rec["published"], rec["title"]))
        if len(batch) == 5000:
            with store.atomic():
                store.insert_articles(batch)
            batch = []
            print(f"  {len(members):,} articles written ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    if batch:
        with store.atomic():
            store.insert_articles(batch)
    rnd.shuffle(members)
    stories, links = [], []
    i = 0
    while i < len(members):
        size = min(len(members) - i, 1 + int(rnd.expovariate(1 / 2.0)) % 12)
        group = members[i:i + size]
        i += size
        sid = f"s-{len(stories):06d}"
        dates = sorted(d for _, d, _ in group if d)
        stories.append((sid, group[0][2], dates[0] if dates else None, dates[-1] if dates else None,
                        "active" if rnd.random() < 0.3 else "dormant", len(group)))
        links += [(aid, sid, round(rnd.uniform(0.5, 1.0), 3), "similar to the story's articles") for aid, _, _ in group]
    with store.atomic() as c:
        c.executemany("INSERT INTO stories (id, headline, first_published, last_published, state, size)"
                      " VALUES (?, ?, ?, ?, ?, ?)", stories)
        c.executemany("INSERT INTO story_articles (article_id, story_id, score, reason) VALUES (?, ?, ?, ?)", links)
    store.close()
    tmp.rename(path)
    for suffix in ("-wal", "-shm"):
        Path(f"{tmp}{suffix}").unlink(missing_ok=True)
    print(f"built {path}: {n:,} articles, {len(stories):,} stories in {time.perf_counter() - t0:.0f} s", file=sys.stderr)


# A small launcher measures each run: a child forked from this (large) process would report this
# process's memory as its own peak (Linux keeps the pre-exec high-water mark in ru_maxrss).
LAUNCHER = """
import os, subprocess, sys, time
t0 = time.perf_counter()
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
out = p.stdout.read()
_, status, usage = os.wait4(p.pid, 0)
print(time.perf_counter() - t0, usage.ru_maxrss, len(out), os.waitstatus_to_exitcode(status))
"""


def run_once(db: Path, *args: str) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MB and the output size of one ``newsfold stories`` process."""
    res = subprocess.run([sys.executable, "-c", LAUNCHER, sys.executable, "-m", "newsfold", "--db", str(db), "stories",
                          *args], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    wall, rss_kb, size, code = res.stdout.split()
    if int(code):
        raise SystemExit(f"newsfold stories {' '.join(args)} failed with exit code {code}")
    return float(wall), int(rss_kb) / 1024, int(size)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=100_000)
    ap.add_argument("--db", default=None, help="Store to list (built here when missing).")
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    db = Path(a.db or ROOT / "bench" / "out" / f"list-{a.articles // 1000}k.db")
    db.parent.mkdir(parents=True, exist_ok=True)
    if not db.exists():
        build(db, a.articles)
    with Store(db, readonly=True) as s:
        n_art = s.conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        n_st = s.conn.execute("SELECT count(*) FROM stories").fetchone()[0]
    print(f"store {db}: {n_art:,} articles, {n_st:,} stories; load average {os.getloadavg()[0]:.2f}")
    run_once(db)  # warm the page cache once
    for args in ((), ("--json",), ("--page", "100")):
        runs = [run_once(db, *args) for _ in range(a.runs)]
        walls = [r[0] for r in runs]
        peak = max(r[1] for r in runs)
        print(f"newsfold stories {' '.join(args):<12} wall median {statistics.median(walls):.3f} s "
              f"(min {min(walls):.3f}, max {max(walls):.3f}), peak RSS {peak:.0f} MB, {runs[0][2]:,} bytes out")
    walls = []
    for _ in range(a.runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import newsfold.present.cli"], check=True,
                       env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
        walls.append(time.perf_counter() - t0)
    print(f"of which starting Python and importing the CLI: median {statistics.median(walls):.3f} s")
    from newsfold.present.query import StoryFilter, list_stories

    walls = []
    for _ in range(a.runs):
        t0 = time.perf_counter()
        with Store(db, readonly=True) as s:  # a fresh connection: no cached page or count
            list_stories(s.conn, StoryFilter())
        walls.append(time.perf_counter() - t0)
    print(f"and the query itself (open the store, list the first page): median {statistics.median(walls) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
