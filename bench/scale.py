"""Batch dedup or story folding through each engine on a generated corpus: articles/s per stage, peak memory.

    .venv/bin/python bench/scale.py -n 100000 [--engines local,ray] [--cpus 2] [--files 8] [--json]
    .venv/bin/python bench/scale.py --stage fold -n 20000 [--encoder static] [--no-summaries]

The corpus comes from ``bench/gen_syndication.py`` (a word-bigram model of
ECB+, 10% syndicated copies of recent articles, with headlines, trims,
local paragraphs and footers), written once to ``.cache/scale/N/`` as
``--files`` JSONL files with a published date on every article.  Each
engine runs in its own process; a sampler in this process sums the resident
memory of that process and every process under it (the Ray head, object
store and workers included: Ray's shared-memory object store is counted in
each process that maps it, so the Ray figure is an upper bound), every
0.2 s.  Both engines must find the same groups (``--stage fold``: the same
story partition): the script checks it.  The fold writes briefings without
spaCy (``--no-nlp``); its windows are the defaults (14 days every 7).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))


def make_corpus(n: int, files: int, seed: int = 7, generator: str = "syndication") -> Path:
    """``files`` JSONL files holding ``n`` generated articles (cached).

    ``generator``: ``syndication`` (``gen_syndication.py``, one year of dates) or ``corpus``
    (``gen_corpus.py``, the generator of ``fold_scale.py``: ECB+ articles reworded, 200 outlets, ten
    years of dates)."""
    out = ROOT / ".cache" / "scale" / (f"{n}-{files}-{seed}" + ("" if generator == "syndication" else f"-{generator}"))
    done = out / ".complete"
    if done.exists():
        return out
    if generator == "corpus":
        from gen_corpus import generate

        out.mkdir(parents=True, exist_ok=True)
        per = -(-n // files)
        rows = list(generate(n))
        for f in range(files):
            with open(out / f"part-{f:03d}.jsonl", "w", encoding="utf-8") as fh:
                fh.writelines(json.dumps(r) + "\n" for r in rows[f * per:(f + 1) * per])
        done.write_text(str(n))
        return out
    from gen_syndication import stream_texts

    out.mkdir(parents=True, exist_ok=True)
    rnd = random.Random(seed)
    per = -(-n // files)
    i = 0
    fh = None
    for chunk in stream_texts(n, chunk=2000, copy_rate=0.1, seed=seed):
        for text in chunk:
            if i % per == 0:
                if fh:
                    fh.close()
                fh = open(out / f"part-{i // per:03d}.jsonl", "w", encoding="utf-8")
            day = 1 + rnd.randrange(365)
            fh.write(json.dumps({"id": f"a{i:08d}", "text": text, "title": text.split("\n", 1)[0][:120],
                                 "published": f"2019-{1 + (day - 1) // 31 % 12:02d}-{1 + (day - 1) % 28:02d}"})
                     + "\n")
            i += 1
    if fh:
        fh.close()
    done.write_text(str(n))
    return out


def _tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/stat") as fh:
                parts = fh.read().rsplit(")", 1)[1].split()
            children.setdefault(int(parts[1]), []).append(int(p))
            rss[int(p)] = int(parts[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0, [root]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo.extend(children.get(p, []))
    return total


def run_engine(engine: str, corpus: Path, out: Path, cpus: int, partitions: int | None,
               fold_args: list[str] | None = None) -> dict:
    """Run one engine in a child process; its report plus wall seconds and peak tree RSS."""
    cmd = [sys.executable, __file__, "--child", engine, "--corpus", str(corpus), "--out", str(out),
           "--cpus", str(cpus)] + (["--partitions", str(partitions)] if partitions else []) + (fold_args or [])
    t0 = time.perf_counter()
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    peak = [0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], _tree_rss(proc.pid))
            time.sleep(0.2)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    stdout, _ = proc.communicate()
    th.join()
    if proc.returncode:
        raise SystemExit(f"{engine} failed (exit {proc.returncode})")
    report = json.loads(stdout.strip().splitlines()[-1])
    report["wall_s"] = time.perf_counter() - t0
    now = resource.getrusage(resource.RUSAGE_CHILDREN)  # the child and the processes it reaped (Ray's, on close)
    report["cpu_s"] = now.ru_utime + now.ru_stime - used.ru_utime - used.ru_stime
    report["peak_rss_mb"] = peak[0] / 2**20
    return report


def child(engine: str, corpus: Path, out: Path, cpus: int, partitions: int | None, stage: str = "dedup",
          encoder: str = "static", summaries: bool = True) -> None:
    import logging

    logging.getLogger("ray").setLevel(logging.WARNING)
    from newsfold.dedup.config import DedupConfig
    from newsfold.engine import Output, get_engine

    opts = {"num_cpus": cpus, "partitions": partitions} if engine == "ray" else {}
    eng = get_engine(engine, **opts)
    try:
        t0 = time.perf_counter()
        if engine == "ray":
            eng._ray()  # start Ray first, so its start-up is reported apart
        start = time.perf_counter() - t0
        if stage == "fold":
            from newsfold.stories.windows import FoldConfig

            cfg = FoldConfig(encoder=encoder, summaries=summaries, with_nlp=False)
            report = eng.fold([str(corpus)], cfg, Output("parquet", str(out)))
        else:
            report = eng.dedup([str(corpus)], DedupConfig(), Output("parquet", str(out)))
    finally:
        eng.close()
    d = report.to_dict()
    d["seconds"] = {"start": round(start, 3), **d["seconds"]}
    print(json.dumps(d))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=100_000)
    ap.add_argument("--engines", default="local,ray")
    ap.add_argument("--files", type=int, default=8)
    ap.add_argument("--cpus", type=int, default=2)
    ap.add_argument("--partitions", type=int, default=None)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--stage", choices=["dedup", "fold"], default="dedup")
    ap.add_argument("--encoder", choices=["minilm", "static", "none"], default="static",
                    help="encoder for --stage fold")
    ap.add_argument("--no-summaries", action="store_true", help="--stage fold without briefings")
    ap.add_argument("--generator", choices=["syndication", "corpus"], default="syndication",
                    help="corpus: bench/gen_corpus.py (fold_scale.py's articles) instead of gen_syndication.py")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--corpus", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--out", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child(a.child, Path(a.corpus), Path(a.out), a.cpus, a.partitions, a.stage, a.encoder,
              not a.no_summaries)
        return
    t0 = time.perf_counter()
    corpus = make_corpus(a.n, a.files, generator=a.generator)
    gen_s = time.perf_counter() - t0
    size_mb = sum(f.stat().st_size for f in corpus.glob("*.jsonl")) / 2**20
    results = {}
    prefix = "out" if a.stage == "dedup" else f"fold-{a.encoder}"
    fold_args = ["--stage", a.stage, "--encoder", a.encoder] + (["--no-summaries"] if a.no_summaries else [])
    for engine in a.engines.split(","):
        results[engine] = run_engine(engine, corpus, ROOT / ".cache" / "scale" / f"{prefix}-{corpus.name}-{engine}",
                                     a.cpus, a.partitions, fold_args)
    # compare with every engine's latest output on this corpus (this run's, or an earlier one's)
    dirs = sorted((ROOT / ".cache" / "scale").glob(f"{prefix}-{corpus.name}-*"))
    same = None
    if len(dirs) > 1:
        from newsfold.engine import Output, read_links
        from newsfold.present.parquet import read_partition

        read = read_links if a.stage == "dedup" else read_partition
        outs = [read(Output("parquet", str(d))) for d in dirs]
        same = all(o == outs[0] for o in outs[1:])
    if a.json:
        print(json.dumps({"n": a.n, "corpus_mb": round(size_mb, 1), "engines": results, "same_groups": same},
                         indent=2))
        return
    print(f"{a.n} generated articles ({size_mb:.0f} MB JSONL in {a.files} files; generated in {gen_s:.0f}s or "
          f"cached), {a.cpus} CPUs, load average {os.getloadavg()[0]:.1f}")
    for engine, r in results.items():
        what = (f"{r['groups']} groups, {r['links']} copies" if a.stage == "dedup" else
                f"{r['groups']} stories in {r['details'].get('windows')} windows")
        print(f"\n{engine}: {r['articles']} articles, {what}; "
              f"wall {r['wall_s']:.1f}s (incl. interpreter start), CPU {r['cpu_s']:.1f}s, "
              f"peak RSS {r['peak_rss_mb']:.0f} MB")
        print(f"  {'stage':<12} {'seconds':>8} {'articles/s':>11}")
        for stage, s in r["seconds"].items():
            rate = f"{r['articles'] / s:11.0f}" if s > 0 and stage != "start" else f"{'':>11}"
            print(f"  {stage:<12} {s:8.2f} {rate}")
        total = sum(v for k, v in r["seconds"].items() if k != "start")
        print(f"  {'total':<12} {total:8.2f} {r['articles'] / total:11.0f}")
    if same is not None:
        what = "duplicate groups, canonicals and scores" if a.stage == "dedup" else "story partition"
        print(f"\nsame {what} in {', '.join(d.name for d in dirs)}: {same}")


if __name__ == "__main__":
    main()
