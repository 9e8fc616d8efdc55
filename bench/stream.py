"""Stream benchmark: place generated articles one at a time and time each placement.

Articles are generated (seeded) from ECB+ sentences: each synthetic event
takes one ECB+ article as its skeleton, gives it invented names, numbers and
a date, and each report of it keeps a random part of the skeleton's
sentences, mixed with a few sentences from other articles.  Event dates
spread over several years, so look-alike events (same skeleton topic, other
names/dates) occur.  Dense vectors are synthetic (an event direction plus
noise, 256-d like the static model): the benchmark times *placement*
(candidate lookup, scoring, index update), not encoding, which is measured
by `newsfold eval clustering`.

    python bench/stream.py                  # 200,000 articles
    python bench/stream.py --articles 20000 # quicker

Prints p50/p99/max placement time overall and once the index holds
100,000 stories, articles/s, B-cubed F1 against the generated events, and
the peak resident memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import json
import random
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from newsfold.stories.cluster_online import OnlineClusterer  # noqa: E402
from newsfold.stories.represent import ArticleFeatures, term_weights  # noqa: E402

SYL = ["ka", "lo", "mir", "ve", "dan", "tor", "el", "sa", "rin", "bo", "ul", "zen", "qua", "fi", "gor", "ne", "tas"]


def _name(rng: random.Random) -> str:
    return "".join(rng.choice(SYL) for _ in range(rng.randint(2, 3))).capitalize()


def _sentences(text: str) -> list[str]:
    import re

    return [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", text) if len(s.split()) >= 5]


def generate(n_articles: int, n_events: int, seed: int, dim: int):  # type: ignore[no-untyped-def]
    """Yield ``(event number, ArticleFeatures)`` in publication order."""
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    rows = [json.loads(x) for x in (ROOT / "data/ecbplus/ecbplus-dev.jsonl").open(encoding="utf-8")]
    docs = [_sentences(r["text"]) for r in rows]
    docs = [d for d in docs if len(d) >= 3]
    pool = [s for d in docs for s in d]
    start = dt.date(2015, 1, 1)
    span = 4 * 365
    # each event: skeleton, names, numbers, date; articles per event ~ geometric so counts vary
    events = []
    for e in range(n_events):
        events.append({
            "skeleton": rng.randrange(len(docs)),
            "names": [f"{_name(rng)} {_name(rng)}" for _ in range(rng.randint(2, 4))] + [_name(rng) for _ in range(2)],
            "numbers": [str(rng.randint(2, 5000)) for _ in range(2)],
            "date": start + dt.timedelta(days=int(span * e / n_events)),
        })
    # spread the articles over events: every event gets one, the rest go to random events near in time
    assign = list(range(n_events)) + [min(n_events - 1, max(0, int(rng.gauss(i, 50))))
                                      for i in (rng.randrange(n_events) for _ in range(n_articles - n_events))]
    assign.sort()
    base = {}
    for i, e in enumerate(assign):
        ev = events[e]
        sk = docs[ev["skeleton"]]
        k = max(2, int(len(sk) * rng.uniform(0.3, 0.8)))
        sents = rng.sample(sk, min(k, len(sk))) + rng.sample(pool, 2)
        names = ev["names"]
        text = " ".join(sents)
        text = f"{names[0]} and {names[1]} in {names[-1]}. " + text + \
            f" {names[2] if len(names) > 4 else names[0]} said {ev['numbers'][0]} people were affected, " \
            f"{ev['numbers'][1]} according to {names[-2]}."
        if e not in base:
            base[e] = nrng.standard_normal(dim).astype(np.float32)
        vec = base[e] + 0.6 * nrng.standard_normal(dim).astype(np.float32)
        vec /= np.linalg.norm(vec)
        date = ev["date"] + dt.timedelta(days=rng.randint(0, 3))
        yield e, ArticleFeatures(id=f"g{i}", terms=term_weights(text), dense=vec, date=date, date_source="published")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=200_000)
    ap.add_argument("--events", type=int, default=None, help="default: 60%% of --articles")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--dim", type=int, default=256)
    ap.add_argument("--mark", type=int, default=100_000, help="report latencies once the index holds this many stories")
    args = ap.parse_args()
    n_events = args.events or int(args.articles * 0.6)
    oc = OnlineClusterer()
    times: list[float] = []
    after: list[float] = []
    gold: list[int] = []
    pred: list[int] = []
    t_start = time.perf_counter()
    gen_s = 0.0
    g0 = time.perf_counter()
    cpu: list[float] = []
    cpu_after: list[float] = []
    for e, f in generate(args.articles, n_events, args.seed, args.dim):
        gen_s += time.perf_counter() - g0
        c0 = time.process_time()
        t0 = time.perf_counter()
        p = oc.place(f)
        dt_ms = (time.perf_counter() - t0) * 1000
        c_ms = (time.process_time() - c0) * 1000
        times.append(dt_ms)
        cpu.append(c_ms)
        if len(oc.stories_) >= args.mark:
            after.append(dt_ms)
            cpu_after.append(c_ms)
        if len(times) % 10000 == 0:
            gc.freeze()  # the index is long-lived: keep the cyclic GC from re-scanning it
        gold.append(e)
        pred.append(p.story)
        if len(times) % 10000 == 0:
            w, c = np.array(times[-10000:]), np.array(cpu[-10000:])
            print(f"  {len(times):>7} placed, {len(oc.stories_):>7} stories; last 10,000: wall p50 "
                  f"{np.percentile(w, 50):.2f} p99 {np.percentile(w, 99):.2f} ms, CPU p50 {np.percentile(c, 50):.2f} "
                  f"p99 {np.percentile(c, 99):.2f} ms; max RSS "
                  f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB; "
                  f"load {os.getloadavg()[0]:.1f}", file=sys.stderr, flush=True)
        g0 = time.perf_counter()
    total = time.perf_counter() - t_start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    from newsfold.evaluate.metrics import clustering_scores

    s = clustering_scores(gold, pred)
    a = np.array(times)
    print(f"articles placed: {len(a)}  generated events: {n_events}  stories: {len(oc.stories_)}")
    print(f"placement (all):              p50 {np.percentile(a, 50):.3f} ms  p99 {np.percentile(a, 99):.3f} ms  "
          f"max {a.max():.1f} ms  ({len(a) / a.sum() * 1000:.0f} articles/s placing)")
    if after:
        b = np.array(after)
        c = np.array(cpu_after)
        print(f"placement (≥{args.mark:,} stories): p50 {np.percentile(b, 50):.3f} ms  "
              f"p99 {np.percentile(b, 99):.3f} ms  max {b.max():.1f} ms  over {len(b)} articles")
        print(f"  same, CPU time of the process:  p50 {np.percentile(c, 50):.3f} ms  "
              f"p99 {np.percentile(c, 99):.3f} ms  (wall includes waiting for a CPU on a shared machine)")
    else:
        print(f"the index never reached {args.mark:,} stories")
    print(f"B-cubed vs generated events: P {s.bcubed_precision:.3f} R {s.bcubed_recall:.3f} F1 {s.bcubed_f1:.3f}")
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    print(f"wall {total:.0f}s (generating text and terms {gen_s:.0f}s)  peak memory (max RSS) {peak_mb:.0f} MiB")


if __name__ == "__main__":
    main()
