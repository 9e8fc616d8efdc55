"""`newsfold add` end to end: seconds and articles/s per stage, peak memory, and story quality.

    python bench/pipeline.py                       # ECB+ (772), 10,000 and 100,000 generated articles
    python bench/pipeline.py --sizes ecb           # the bundled ECB+ set only
    python bench/pipeline.py --sizes 10000 --encoder static
    python bench/pipeline.py --encoders            # the dense-encoder options on ECB+

Each corpus runs in a fresh process, into a new store, through the same
library calls `newsfold add` makes (`Ingester.ingest_paths`, then every
stage's `catch_up`, in pipeline order).  The generated corpora come from
`bench/gen_corpus.py` (real ECB+ articles with outlets, dates and page
furniture; many are near-copies of one another, as in a crawl).  For the
ECB+ set the stories left in the store are scored against its events
(B-cubed).  Two limit rows frame the figures: reading the same file plus a
bare SQLite insert of its records, and the encoder alone on the same texts
(a sample of at most --encoder-sample texts).  The summaries stage parses
in a child process (``summarize/worker.py``): its CPU seconds are added to
the stage's and the total, and its peak memory is printed beside the
parent's.

`--encoders` prints, for each dense-encoder option: documents/s on the
ECB+ texts (wall, all cores, and per CPU-second), the ECB+ B-cubed F1 of
the batch fold with it, and the install size of what it needs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
ECB = ROOT / "data" / "ecbplus" / "ecbplus-dev.jsonl"


def machine() -> str:
    try:
        model = next(ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name"))
    except (OSError, StopIteration):
        model = platform.processor() or "?"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{platform.machine()}, {os.cpu_count()} cores ({model}), Python {platform.python_version()}, "
            f"SQLite {sqlite3.sqlite_version}, load average {load:.1f} at start")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ------------------------------------------------------------ one corpus (child process)
def corpus_file(size: str, tmp: Path) -> Path:
    if size == "ecb":
        return ECB
    from gen_corpus import generate

    path = tmp / f"corpus-{size}.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        for rec in generate(int(size)):
            fh.write(json.dumps(rec) + "\n")
    return path


def limit_read_insert(path: Path, tmp: Path) -> tuple[int, float]:
    """Reading the file through newsfold's reader plus a bare SQLite insert of the records: the floor."""
    from newsfold.read import iter_documents

    conn = sqlite3.connect(tmp / "floor.db")
    conn.execute("CREATE TABLE docs (id TEXT PRIMARY KEY, title TEXT, text TEXT)")
    t0 = time.perf_counter()
    n = 0
    batch = []
    for doc in iter_documents([str(path)]):
        batch.append((doc.id or str(n), doc.title, doc.text))
        n += 1
        if len(batch) >= 1000:
            conn.executemany("INSERT OR IGNORE INTO docs VALUES (?,?,?)", batch)
            batch.clear()
    conn.executemany("INSERT OR IGNORE INTO docs VALUES (?,?,?)", batch)
    conn.commit()
    conn.close()
    return n, time.perf_counter() - t0


def limit_encoder(store, enc, sample: int) -> tuple[int, float]:  # type: ignore[no-untyped-def]
    """The encoder alone on (a sample of) the stored articles' texts, as the stories stage feeds it."""
    from newsfold.stories.represent import Featurizer, article_body

    ids = [r[0] for r in store.conn.execute("SELECT id FROM articles ORDER BY seq LIMIT ?", (sample,))]
    texts = [article_body(a)[: Featurizer.dense_chars] for a in store.get_articles(ids)]
    enc.encode(texts[:8])  # load (and, the first time, export) the model outside the timing
    t0 = time.perf_counter()
    enc.encode(texts)
    return len(texts), time.perf_counter() - t0


def ecb_scores(store) -> dict[str, float]:  # type: ignore[no-untyped-def]
    from newsfold.evaluate.metrics import clustering_scores

    gold = {json.loads(ln)["id"]: json.loads(ln)["event"] for ln in open(ECB, encoding="utf-8") if ln.strip()}
    rows = store.conn.execute("SELECT article_id, story_id FROM story_articles").fetchall()
    rows = [(a, s) for a, s in rows if a in gold]
    sc = clustering_scores([gold[a] for a, _ in rows], [s for _, s in rows])
    return {"b3_p": sc.bcubed_precision, "b3_r": sc.bcubed_recall, "b3_f1": sc.bcubed_f1,
            "stories": len({s for _, s in rows}), "events": len(set(gold.values())), "placed": len(rows)}


def make(encoder: str, max_tokens: int | None):  # type: ignore[no-untyped-def]
    from newsfold.stories.represent import MiniLMEncoder, make_encoder

    return MiniLMEncoder(max_tokens=max_tokens) if encoder == "minilm" and max_tokens else make_encoder(encoder)


def run_one(size: str, encoder: str, sample: int, max_tokens: int | None = None) -> dict:
    from newsfold.ingest import Ingester
    from newsfold.pipeline import STAGES, stage_kwargs
    from newsfold.store.db import Store

    with tempfile.TemporaryDirectory(prefix="nf-pipeline-") as tmpd:
        tmp = Path(tmpd)
        path = corpus_file(size, tmp)
        store = Store(tmp / "bench.db")
        enc = make(encoder, max_tokens)
        options = stage_kwargs({"stories": {"encoder": enc}, "refold": {"encoder": enc}}, [s.name for s in STAGES])
        rows = []
        t_all, c_all, child_cpu = time.perf_counter(), time.process_time(), 0.0
        t0, c0 = time.perf_counter(), time.process_time()
        rep = Ingester(store).ingest_paths([str(path)])
        rows.append({"stage": "ingest (read, clean, store)", "seconds": time.perf_counter() - t0,
                     "cpu_seconds": time.process_time() - c0, "processed": rep.accepted})
        for spec in STAGES:
            name = spec.name
            stage = spec.factory(**options.get(name, {}))
            t0, c0 = time.perf_counter(), time.process_time()
            r = stage.catch_up(store)
            child = float(r.details.get("parse_process_cpu_seconds", 0.0))  # the summaries' spaCy process
            child_cpu += child
            rows.append({"stage": name, "seconds": time.perf_counter() - t0,
                         "cpu_seconds": time.process_time() - c0 + child, "processed": r.processed,
                         "details": {k: v for k, v in r.details.items() if isinstance(v, (int, float, str))}})
            print(f"  [{size}] {name}: {rows[-1]['seconds']:.1f} s ({rows[-1]['cpu_seconds']:.1f} CPU s)",
                  file=sys.stderr, flush=True)
        total, total_cpu = time.perf_counter() - t_all, time.process_time() - c_all + child_cpu
        out = {"size": size, "encoder": encoder, "max_tokens": getattr(enc, "max_tokens", None),
               "articles": rep.accepted, "rows": rows, "total_s": total, "total_cpu_s": total_cpu,
               "peak_mb": peak_mb(),
               "parse_process_peak_mb": max(float(r.get("details", {}).get("parse_process_peak_mb", 0)) for r in rows),
               "copies": store.conn.execute("SELECT count(*) FROM dup_links").fetchone()[0],
               "encoded": store.conn.execute("SELECT count(*) FROM article_vectors").fetchone()[0],
               "stories": store.conn.execute("SELECT count(*) FROM stories WHERE state != 'merged'").fetchone()[0],
               "largest_story": store.conn.execute("SELECT max(size) FROM stories").fetchone()[0]}
        if size == "ecb":
            out["ecb"] = ecb_scores(store)
        n, s = limit_read_insert(path, tmp)
        out["limit_read_insert"] = {"articles": n, "seconds": s}
        if encoder != "none":
            n, s = limit_encoder(store, make(encoder, max_tokens), sample)
            out["limit_encoder"] = {"articles": n, "seconds": s}
        store.close()
    return out


# ------------------------------------------------------------ encoder options
def semeval_auc(enc, path: str) -> float:  # type: ignore[no-untyped-def]
    """AUC of the dense cosine for people's same-story verdicts on the labelled SemEval pairs."""
    pairs = [json.loads(ln) for ln in open(path, encoding="utf-8") if ln.strip()]
    pairs = [p for p in pairs if p.get("same_story") is not None]
    a = enc.encode([p["text1"] for p in pairs])
    b = enc.encode([p["text2"] for p in pairs])
    cos = (a * b).sum(axis=1)
    pos = [c for c, p in zip(cos, pairs) if p["same_story"]]
    neg = [c for c, p in zip(cos, pairs) if not p["same_story"]]
    wins = sum((x > y) + 0.5 * (x == y) for x in pos for y in neg)
    return float(wins / (len(pos) * len(neg)))


def encoder_options(quick: bool, semeval: str | None = None) -> list[dict]:
    from newsfold.stories.cluster_batch import BatchClusterer
    from newsfold.evaluate.metrics import clustering_scores
    from newsfold.models import Article
    from newsfold.stories.represent import Featurizer, MiniLMEncoder, NoEncoder, StaticEncoder, TorchMiniLMEncoder

    rows = [json.loads(ln) for ln in open(ECB, encoding="utf-8") if ln.strip()]
    arts = [Article(id=r["id"], text=r["text"], title=r.get("title")) for r in rows]
    gold = [r["event"] for r in rows]
    options = [
        ("MiniLM, torch (sentence-transformers)", lambda: TorchMiniLMEncoder(), "torch sentence-transformers"),
        ("MiniLM, ONNX fp32, 256 tokens", lambda: MiniLMEncoder(256, "fp32"), "onnxruntime"),
        ("MiniLM, ONNX int8, 256 tokens", lambda: MiniLMEncoder(256, "int8"), "onnxruntime"),
        ("MiniLM, ONNX int8/channel, 256 tokens", lambda: MiniLMEncoder(256, "int8-channel"), "onnxruntime"),
        ("MiniLM, ONNX int8/channel, 128 tokens", lambda: MiniLMEncoder(128, "int8-channel"), "onnxruntime"),
        ("MiniLM, ONNX int8/channel, 96 tokens", lambda: MiniLMEncoder(96, "int8-channel"), "onnxruntime"),
        ("MiniLM, ONNX int8/channel, 64 tokens", lambda: MiniLMEncoder(64, "int8-channel"), "onnxruntime"),
        ("static model2vec (distilled)", lambda: StaticEncoder(), "model2vec torch"),
        ("none (terms, names, numbers)", lambda: NoEncoder(), ""),
    ]
    if quick:
        options = [o for o in options if "torch" not in o[0] and "fp32" not in o[0]]
    out = []
    for label, make, needs in options:
        try:
            enc = make()
            enc.encode(["warm up the model"])
        except Exception as e:  # noqa: BLE001 - an option that is not installed is reported, not fatal
            out.append({"encoder": label, "error": str(e)})
            continue
        f = Featurizer(enc)
        w0, c0 = time.perf_counter(), time.process_time()
        feats = f.featurize(arts)
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        name = getattr(enc, "name", "none")
        labels = BatchClusterer.for_encoder(name).fit_predict(feats)
        sc = clustering_scores(gold, [int(x) for x in labels])
        out.append({"encoder": label, "docs_per_s": len(arts) / wall, "docs_per_cpu_s": len(arts) / cpu,
                    "b3_f1": sc.bcubed_f1, "stories": len(set(int(x) for x in labels)),
                    "install_mb": install_mb(needs.split())})
        if semeval and name != "none":
            out[-1]["semeval_auc"] = semeval_auc(enc, semeval)
        print(json.dumps(out[-1]), file=sys.stderr)
    return out


def install_mb(packages: list[str]) -> float:
    """Disk size of the installed packages (and, for onnxruntime/torch, nothing else they pull in)."""
    import importlib.util

    total = 0
    for p in packages:
        spec = importlib.util.find_spec(p.replace("-", "_"))
        if spec is None or not spec.submodule_search_locations:
            continue
        for loc in spec.submodule_search_locations:
            for dirpath, _, files in os.walk(loc):
                total += sum(os.path.getsize(os.path.join(dirpath, f)) for f in files)
    return total / 1e6


# ------------------------------------------------------------ printing
def print_run(r: dict) -> None:
    n = r["articles"]
    title = "ECB+ developers' set" if r["size"] == "ecb" else f"{int(r['size']):,} generated articles"
    print(f"\n## {title}: {n:,} articles, encoder {r['encoder']}"
          + (f" ({r['max_tokens']} tokens)" if r.get("max_tokens") else ""))
    print("| stage | seconds | CPU seconds | articles/s | notes |\n|---|---|---|---|---|")
    for row in r["rows"]:
        det = row.get("details") or {}
        note = ", ".join(f"{k} {v}" for k, v in det.items() if v not in (0, "", None))[:90]
        print(f"| {row['stage']} | {row['seconds']:.1f} | {row.get('cpu_seconds', float('nan')):.1f} | "
              f"{n / max(row['seconds'], 1e-9):,.0f} | {note} |")
    print(f"| **add, end to end** | **{r['total_s']:.1f}** | **{r.get('total_cpu_s', float('nan')):.1f}** | "
          f"**{n / r['total_s']:,.0f}** | peak RSS {r['peak_mb']:,.0f} MB"
          + (f", spaCy's process {r['parse_process_peak_mb']:,.0f} MB" if r.get("parse_process_peak_mb") else "") + " |")
    li = r["limit_read_insert"]
    print(f"| limit: read + bare SQLite insert | {li['seconds']:.1f} | | {li['articles'] / li['seconds']:,.0f} | |")
    if "limit_encoder" in r:
        le = r["limit_encoder"]
        print(f"| limit: encoder alone ({le['articles']:,} texts) | {le['seconds']:.1f} | | "
              f"{le['articles'] / le['seconds']:,.0f} | |")
    print(f"{r['stories']:,} stories (largest {r['largest_story']}); {r['copies']:,} copies folded by dedup; "
          f"{r['encoded']:,} articles encoded")
    if "ecb" in r:
        e = r["ecb"]
        print(f"ECB+ stories left in the store: B-cubed P {e['b3_p']:.3f} R {e['b3_r']:.3f} "
              f"**F1 {e['b3_f1']:.3f}**, {e['stories']} stories for {e['events']} events")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="ecb,10000,100000", help="comma-separated: ecb and/or article counts")
    ap.add_argument("--encoder", default="minilm", help="minilm (default), static, none")
    ap.add_argument("--max-tokens", type=int, help="with --encoder minilm: cut each text at this many tokens "
                                                    "(default: the encoder's own)")
    ap.add_argument("--encoder-sample", type=int, default=2000, help="texts for the encoder-alone limit row")
    ap.add_argument("--encoders", action="store_true", help="compare the dense-encoder options on ECB+")
    ap.add_argument("--quick", action="store_true", help="with --encoders: skip the torch and fp32 options")
    ap.add_argument("--semeval", help="with --encoders: a SemEval-2022 task 8 pairs file (development only, not "
                                      "bundled): adds the AUC of the dense cosine for same-story verdicts")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        print(json.dumps(run_one(a.one, a.encoder, a.encoder_sample, a.max_tokens)))
        return
    print(f"machine: {machine()}")
    if a.encoders:
        rows = encoder_options(a.quick, a.semeval)
        if a.json:
            print(json.dumps(rows, indent=1))
            return
        print("| encoder | docs/s | docs per CPU-s | ECB+ B³ F1 (batch fold) | stories | SemEval AUC | install MB |")
        print("|---|---|---|---|---|---|---|")
        for r in rows:
            if "error" in r:
                print(f"| {r['encoder']} | not available: {r['error'][:60]} | | | | | |")
            else:
                auc = f"{r['semeval_auc']:.3f}" if "semeval_auc" in r else "-"
                print(f"| {r['encoder']} | {r['docs_per_s']:,.0f} | {r['docs_per_cpu_s']:,.0f} | "
                      f"{r['b3_f1']:.3f} | {r['stories']} | {auc} | {r['install_mb']:,.0f} |")
        return
    results = []
    for size in a.sizes.split(","):
        cmd = [sys.executable, __file__, "--one", size.strip(), "--encoder", a.encoder,
               "--encoder-sample", str(a.encoder_sample)] + (["--max-tokens", str(a.max_tokens)] if a.max_tokens else [])
        p = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)  # the child's progress goes to stderr
        if p.returncode != 0:
            sys.exit(f"the {size} run failed (exit code {p.returncode}); its errors are above")
        r = json.loads(p.stdout.strip().splitlines()[-1])
        results.append(r)
        if not a.json:
            print_run(r)
            sys.stdout.flush()
    if a.json:
        print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
