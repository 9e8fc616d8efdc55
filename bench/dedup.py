"""Dedup benchmark: accuracy against exact shingle overlap, MinHash libraries, and speed at scale.

Run (each part can be run alone):

    .venv/bin/python bench/dedup.py --accuracy            # recall/precision on ECB+ syndication copies
    .venv/bin/python bench/dedup.py --libs 20000          # datasketch vs rensa vs ours, same corpus
    .venv/bin/python bench/dedup.py --speed 1000000       # signatures + LSH end to end, 1M articles
    .venv/bin/python bench/dedup.py --sentences           # sentence splitter vs pysbd
    .venv/bin/python bench/dedup.py --stage 50000         # the whole stage on a SQLite store

Accuracy: the corpus is ``bench/gen_syndication.py``'s (every ECB+ article
plus seeded syndicated copies).  Truth is computed independently of
newsfold's hashing: Python sets of lower-cased word 5-grams (regex words),
every pair compared exactly (sparse matrix product); a pair is true when its
Jaccard ≥ 0.8 or the containment of the smaller set in the larger ≥ 0.8.
The pairs newsfold reports are the verified pairs of the dedup stage's
``PairFinder`` (content hash + LSH + exact verification).

Speed: articles come from ``stream_texts`` (a bigram model of ECB+ with 10%
syndicated copies), generated chunk by chunk outside the timed region.
newsfold's time covers tokenizing, shingling, MinHash, and LSH insert +
query of every article.  datasketch is timed on the first
``--ds-sample`` articles of every tenth chunk of the same stream (the same
work: regex tokens, 5-gram shingles, ``MinHash.update_batch``,
``MinHashLSH`` insert + query with the same bands), interleaved with ours so
both see the same machine load, and its throughput is extrapolated.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import re
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from gen_syndication import load_ecbplus, stream_texts, syndication_corpus  # noqa: E402

from newsfold.dedup.config import DedupConfig  # noqa: E402
from newsfold.dedup.pairs import PairFinder  # noqa: E402
from newsfold.dedup.fingerprint import Fingerprinter  # noqa: E402
from newsfold.dedup.lsh import LSHIndex  # noqa: E402
from newsfold.sentences import split_sentences  # noqa: E402

WORDS = re.compile(r"[^\W_]+")
K = 5


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine() -> str:
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}"


def py_shingles(text: str, k: int = K) -> list[str]:
    """The usual Python shingling: regex words, k-word strings."""
    w = WORDS.findall(text.lower())
    return list({" ".join(w[i:i + k]) for i in range(len(w) - k + 1)})


# ------------------------------------------------------------------ truth
def exact_pairs(texts: list[str], jt: float, ct: float) -> tuple[set[tuple[int, int]], dict[tuple[int, int], tuple[float, float]]]:
    """Every pair (i<j) with Jaccard ≥ jt or containment ≥ ct, by exact set overlap."""
    from scipy.sparse import csr_matrix

    vocab: dict[str, int] = {}
    indptr, indices = [0], []
    for t in texts:
        s = {vocab.setdefault(x, len(vocab)) for x in py_shingles(t)}
        indices.extend(sorted(s))
        indptr.append(len(indices))
    m = csr_matrix((np.ones(len(indices), dtype=np.int32), indices, indptr), shape=(len(texts), len(vocab)))
    sizes = np.diff(m.indptr)
    inter = (m @ m.T).tocoo()
    truth: set[tuple[int, int]] = set()
    scores: dict[tuple[int, int], tuple[float, float]] = {}
    for i, j, x in zip(inter.row, inter.col, inter.data):
        if i >= j:
            continue
        jac = x / (sizes[i] + sizes[j] - x)
        cont = x / min(sizes[i], sizes[j])
        scores[(int(i), int(j))] = (float(jac), float(cont))
        if jac >= jt or cont >= ct:
            truth.add((int(i), int(j)))
    return truth, scores


def run_finder(texts: list[str], config: DedupConfig, batch: int = 2000) -> tuple[set[tuple[int, int]], dict[str, int], float]:
    finder = PairFinder(config)
    fetch = lambda ks: {k: (texts[k], "") for k in ks}  # noqa: E731
    found: set[tuple[int, int]] = set()
    kinds: dict[str, int] = {}
    same: dict[str, list[int]] = {}  # exact copies (same normalized text) stand for each other
    t = time.perf_counter()
    for lo in range(0, len(texts), batch):
        keys = list(range(lo, min(lo + batch, len(texts))))
        pb = finder.add(keys, [texts[k] for k in keys], fetch)
        for k, h in zip(keys, pb.fingerprints.content_hashes):
            if h:
                same.setdefault(h, []).append(k)
        for new, ms in pb.matches.items():
            for old, rel in ms:
                if rel.kind is not None:
                    found.add((old, new))
                    kinds[rel.kind] = kinds.get(rel.kind, 0) + 1
    secs = time.perf_counter() - t
    # an exact copy is not indexed again: it has every relation its original has
    cls = {k: members for members in same.values() if len(members) > 1 for k in members}
    for a, b in list(found):
        for x in cls.get(a, [a]):
            for y in cls.get(b, [b]):
                if x != y:
                    found.add((min(x, y), max(x, y)))
    return found, kinds, secs


def accuracy(args: argparse.Namespace) -> dict[str, object]:
    docs = syndication_corpus(seed=args.seed)
    texts = [d.text for d in docs]
    cfg = DedupConfig()
    truth, scores = exact_pairs(texts, cfg.threshold, cfg.containment)
    found, kinds, secs = run_finder(texts, cfg)
    tp = len(found & truth)
    recall = tp / len(truth) if truth else 1.0
    precision = tp / len(found) if found else 1.0
    missed = sorted(truth - found)[:5]
    # what a user sees: groups (union of the found relations)
    parent = list(range(len(texts)))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in found:
        parent[root(a)] = root(b)
    grouped_truth = sum(root(a) == root(b) for a, b in truth) / len(truth) if truth else 1.0
    members: dict[int, list[int]] = {}
    for i in range(len(texts)):
        members.setdefault(root(i), []).append(i)
    same_group = sum(len(m) * (len(m) - 1) // 2 for m in members.values())
    group_precision = sum(root(a) == root(b) for a, b in truth) / same_group if same_group else 1.0
    out = {"articles": len(texts), "copies": sum(d.copy_of is not None for d in docs), "true_pairs": len(truth),
           "reported_pairs": len(found), "recall": round(recall, 4), "precision": round(precision, 4),
           "by_kind": kinds, "seconds": round(secs, 2), "lsh": cfg.lsh_params().__dict__,
           "truth_pairs_grouped_together": round(grouped_truth, 4),
           "grouped_pairs_that_are_true": round(group_precision, 4),
           "missed_examples": [{"pair": p, "jaccard_containment": scores.get(p)} for p in missed]}
    print("\n## Accuracy (ECB+ with seeded syndicated copies; truth = exact 5-gram Jaccard/containment ≥ 0.8)")
    print(f"articles {out['articles']} (copies {out['copies']}), true pairs {len(truth)}, reported {len(found)}")
    print(f"recall {recall:.4f}   precision {precision:.4f}   by kind {kinds}   ({secs:.2f} s)")
    p = cfg.lsh_params()
    print(f"groups: {grouped_truth:.4f} of true pairs end in the same group; {group_precision:.4f} of same-group"
          f" pairs are true pairs (the rest are joined through a third copy)")
    print(f"LSH: {p.bands} bands × {p.rows} rows of {p.num_perm}; P(candidate | J=0.36) = {p.probability(0.364):.4f}")
    return out


# -------------------------------------------------------------- libraries
def lib_table(args: argparse.Namespace) -> list[dict[str, object]]:
    """Every candidate on the same texts: signatures/s, LSH docs/s, memory, candidate recall."""
    import datasketch
    import rensa

    n = args.libs
    stream = stream_texts(n, chunk=min(n, 10000), seed=args.seed)
    texts = [t for chunk in stream for t in chunk]
    acc_docs = syndication_corpus(seed=args.seed)
    acc_texts = [d.text for d in acc_docs]
    cfg = DedupConfig()
    params = cfg.lsh_params()
    b, r, p = params.bands, params.rows, params.num_perm
    truth, scores = exact_pairs(acc_texts, cfg.threshold, cfg.containment)
    rows: list[dict[str, object]] = []

    def recall_of(cands: set[tuple[int, int]]) -> float:
        return len(cands & truth) / len(truth) if truth else 1.0

    def est_err(sig_pairs: dict[tuple[int, int], float]) -> float:
        errs = [abs(sig_pairs[k] - scores[k][0]) for k in sig_pairs if k in scores]
        return float(np.mean(errs)) if errs else float("nan")

    # sample of pairs for the estimator error: the true pairs plus as many other overlapping pairs
    rng = np.random.default_rng(0)
    others = [k for k in scores if k not in truth]
    est_pairs = sorted(truth) + [others[i] for i in rng.choice(len(others), min(len(others), 2000), replace=False)]

    # --- datasketch
    held: list[object] = []  # keeps the last datasketch index alive for the memory figure

    def ds_run(tx: list[str]) -> tuple[list[object], float, float]:
        gc.collect()
        t = time.perf_counter()
        sigs = []
        for s in tx:
            m = datasketch.MinHash(num_perm=p)
            m.update_batch([x.encode() for x in py_shingles(s)])
            sigs.append(m)
        t_sig = time.perf_counter() - t
        lsh = datasketch.MinHashLSH(num_perm=p, params=(b, r))
        t = time.perf_counter()
        for i, m in enumerate(sigs):
            lsh.query(m)
            lsh.insert(i, m)
        held[:] = [lsh]
        return sigs, t_sig, time.perf_counter() - t

    sub = texts[: min(n, args.ds_sample * 4)]
    import tracemalloc

    sigs, t_sig, t_lsh = ds_run(sub)
    del sigs
    held.clear()
    gc.collect()
    tracemalloc.start()  # a separate, untimed pass: tracing slows Python down
    sigs, _, _ = ds_run(sub[:500])
    mem = tracemalloc.get_traced_memory()[0] / 2**20 * len(texts) / 500  # scaled to n articles
    tracemalloc.stop()
    held.clear()
    acc_sigs, _, _ = ds_run(acc_texts)
    lsh = datasketch.MinHashLSH(num_perm=p, params=(b, r))
    cands = set()
    for i, m in enumerate(acc_sigs):
        for j in lsh.query(m):
            cands.add((min(i, j), max(i, j)))
        lsh.insert(i, m)
    rows.append({"method": "datasketch MinHash + MinHashLSH (Python shingles)", "n": len(sub),
                 "sig_per_s": len(sub) / t_sig, "lsh_per_s": len(sub) / t_lsh, "mem_mb": mem,
                 "recall": recall_of(cands),
                 "est_err": est_err({k: acc_sigs[k[0]].jaccard(acc_sigs[k[1]]) for k in est_pairs})})
    del sigs, acc_sigs, lsh

    # --- rensa on Python shingles (its documented usage)
    def rensa_run(tx: list[str]) -> tuple[list[object], float, float, set[tuple[int, int]]]:
        gc.collect()
        t = time.perf_counter()
        hs = rensa.RMinHash.from_token_sets([py_shingles(s) for s in tx], p, 42)
        t_sig = time.perf_counter() - t
        lsh = rensa.RMinHashLSH(0.5, p, rensa_bands)  # rensa needs num_perm divisible by the bands
        t = time.perf_counter()
        c: set[tuple[int, int]] = set()
        for i, h in enumerate(hs):
            for j in lsh.query(h):
                c.add((min(i, j), max(i, j)))
            lsh.insert(i, h)
        return hs, t_sig, time.perf_counter() - t, c

    rensa_bands = p // r
    m0 = rss_mb()
    hs, t_sig, t_lsh, _ = rensa_run(texts)
    mem = rss_mb() - m0
    acc_hs, _, _, cands = rensa_run(acc_texts)
    rows.append({"method": f"rensa RMinHash + RMinHashLSH (Python shingles, {rensa_bands}×{r})", "n": len(texts),
                 "sig_per_s": len(texts) / t_sig, "lsh_per_s": len(texts) / t_lsh, "mem_mb": mem,
                 "recall": recall_of(cands),
                 "est_err": est_err({k: acc_hs[k[0]].jaccard(acc_hs[k[1]]) for k in est_pairs})})
    del hs, acc_hs

    fpr = Fingerprinter(num_perm=p)

    def ours_lsh(sig: np.ndarray) -> tuple[float, set[tuple[int, int]], int]:
        idx = LSHIndex(params)
        t = time.perf_counter()
        c: set[tuple[int, int]] = set()
        for lo in range(0, len(sig), 2000):
            keys = np.arange(lo, min(lo + 2000, len(sig)))
            got = idx.add_and_query(keys, sig[keys])
            c.update(zip(got.key.tolist(), got.query.tolist()))
        return time.perf_counter() - t, c, idx.nbytes

    # --- rensa digest matrix on newsfold's numpy shingle hashes, newsfold LSH
    def rensa_flat(tx: list[str]) -> tuple[np.ndarray, float]:
        t = time.perf_counter()
        out = []
        for lo in range(0, len(tx), 2000):
            sb = fpr.shingler.shingle(tx[lo:lo + 2000])
            mat = rensa.RMinHash.digest_matrix_from_flat_token_hashes(sb.hashes, sb.offsets.astype(np.uint64), p, 42)
            out.append(np.array(mat.to_rows(), dtype=np.uint32).reshape(-1, p))
        return np.vstack(out), time.perf_counter() - t

    sig, t_sig = rensa_flat(texts)
    t_lsh, _, nb = ours_lsh(sig)
    mem = (sig.nbytes + nb) / 2**20
    acc_sig, _ = rensa_flat(acc_texts)
    _, cands, _ = ours_lsh(acc_sig)
    rows.append({"method": "rensa digest matrix on numpy shingle hashes + newsfold LSH", "n": len(texts),
                 "sig_per_s": len(texts) / t_sig, "lsh_per_s": len(texts) / t_lsh, "mem_mb": mem,
                 "recall": recall_of(cands),
                 "est_err": est_err({k: float((acc_sig[k[0]] == acc_sig[k[1]]).mean()) for k in est_pairs})})
    del sig, acc_sig

    # --- newsfold: numpy shingles + one-permutation MinHash + LSH segments
    def ours_sig(tx: list[str]) -> tuple[np.ndarray, float]:
        t = time.perf_counter()
        out = [fpr.fingerprint(tx[lo:lo + 2000]).signatures for lo in range(0, len(tx), 2000)]
        return np.vstack(out), time.perf_counter() - t

    sig, t_sig = ours_sig(texts)
    t_lsh, _, nb = ours_lsh(sig)
    mem = (sig.nbytes + nb) / 2**20
    acc_sig, _ = ours_sig(acc_texts)
    _, cands, _ = ours_lsh(acc_sig)
    rows.append({"method": "newsfold: numpy shingles + one-permutation MinHash + LSH segments", "n": len(texts),
                 "sig_per_s": len(texts) / t_sig, "lsh_per_s": len(texts) / t_lsh, "mem_mb": mem,
                 "recall": recall_of(cands),
                 "est_err": est_err({k: float((acc_sig[k[0]] == acc_sig[k[1]]).mean()) for k in est_pairs})})

    print(f"\n## MinHash libraries ({p} permutations, LSH {b} bands × {r} rows; speed on {n} generated articles,"
          f" recall on the accuracy corpus: {len(truth)} true pairs)")
    print(f"{'method':<70} {'n':>7} {'sig/s':>9} {'LSH/s':>9} {'MB':>7} {'recall':>7} {'|est-J|':>8}")
    for row in rows:
        print(f"{row['method']:<70} {row['n']:>7} {row['sig_per_s']:>9.0f} {row['lsh_per_s']:>9.0f} "
              f"{row['mem_mb']:>7.0f} {row['recall']:>7.4f} {row['est_err']:>8.4f}")
    print("sig/s: tokenizing + shingling + signature; LSH/s: query + insert per article; MB: signatures + index"
          " for all n articles (datasketch: Python/numpy allocations traced on its sample, scaled to n; rensa"
          " objects: resident memory growth, as Rust allocations are not traced; numpy: array sizes);"
          " |est-J|: mean error of the MinHash estimate on true pairs plus 2,000 other overlapping pairs.")
    return rows


# ------------------------------------------------------------------ speed
def speed(args: argparse.Namespace) -> dict[str, object]:
    import datasketch

    cfg = DedupConfig()
    params = cfg.lsh_params()
    fpr = Fingerprinter(cfg.shingle_size, cfg.num_perm, cfg.seed)
    index = LSHIndex(params)
    n, chunk = args.speed, 10000
    ours_t = gen_t = ds_t = ours_c = ds_c = 0.0
    ds_n = n_words = n_cands = done = 0
    ds_lsh = datasketch.MinHashLSH(num_perm=cfg.num_perm, params=(params.bands, params.rows))
    rss0 = rss_mb()
    t_gen = time.perf_counter()
    for ci, texts in enumerate(stream_texts(n, chunk=chunk, seed=args.seed)):
        gen_t += time.perf_counter() - t_gen
        t = time.perf_counter()
        c = time.process_time()
        for lo in range(0, len(texts), args.batch):
            part = texts[lo:lo + args.batch]
            fp = fpr.fingerprint(part)
            keys = np.arange(done + lo, done + lo + len(part))[fp.has_signature]
            n_cands += len(index.add_and_query(keys, fp.signatures[fp.has_signature]))
            n_words += int(fp.n_words.sum())
        ours_t += time.perf_counter() - t
        ours_c += time.process_time() - c
        if ci % 10 == 0:
            sample = texts[: args.ds_sample]
            t = time.perf_counter()
            c = time.process_time()
            for i, s in enumerate(sample):
                m = datasketch.MinHash(num_perm=cfg.num_perm)
                m.update_batch([x.encode() for x in py_shingles(s)])
                ds_lsh.query(m)
                ds_lsh.insert(f"{ci}-{i}", m)
            ds_t += time.perf_counter() - t
            ds_c += time.process_time() - c
            ds_n += len(sample)
        done += len(texts)
        if not args.quiet:
            print(f"  {done:>9} articles  ours {done / ours_t:8.0f}/s  datasketch {ds_n / ds_t:6.0f}/s"
                  f"  rss {rss_mb():7.0f} MB", file=sys.stderr, flush=True)
        t_gen = time.perf_counter()
    ours_rate = done / ours_t
    ds_rate = ds_n / ds_t
    out = {"articles": done, "words": n_words, "ours_seconds": round(ours_t, 1), "ours_per_s": round(ours_rate),
           "datasketch_sample": ds_n, "datasketch_per_s": round(ds_rate, 1),
           "speedup": round(ours_rate / ds_rate, 1), "cpu_speedup": round((done / ours_c) / (ds_n / ds_c), 1),
           "ours_cpu_per_s": round(done / ours_c), "datasketch_cpu_per_s": round(ds_n / ds_c, 1),
           "candidates": n_cands,
           "index_mb": round(index.nbytes / 2**20), "peak_rss_mb": round(peak_mb()),
           "rss_growth_mb": round(rss_mb() - rss0), "generation_seconds": round(gen_t, 1), "machine": machine(),
           "lsh": params.__dict__}
    print(f"\n## Speed: {done:,} generated articles ({n_words / done:.0f} words on average), signatures + LSH"
          f" insert/query, one process")
    print(f"newsfold   {ours_rate:10,.0f} articles/s  ({ours_t:.1f} s)")
    print(f"datasketch {ds_rate:10,.1f} articles/s  (measured on {ds_n:,} articles of the same stream,"
          f" interleaved; extrapolated: {done / ds_rate / 3600:.1f} h for all)")
    print(f"speed-up   {ours_rate / ds_rate:10.1f}× wall clock; {out['cpu_speedup']}× in CPU time"
          f" ({out['ours_cpu_per_s']:,} vs {out['datasketch_cpu_per_s']:,} articles per CPU-second)")
    print(f"LSH index {out['index_mb']} MB; peak RSS {out['peak_rss_mb']} MB (includes datasketch's sample index and"
          f" the generator); candidates {n_cands:,}; generation (untimed) {gen_t:.0f} s")
    print(f"machine: {out['machine']}")
    return out


# ------------------------------------------------------------------ stage
def stage(args: argparse.Namespace) -> dict[str, object]:
    """The whole dedup stage on a SQLite store: fingerprints, verification, groups, passages, writes."""
    import tempfile

    from newsfold.dedup.stage import DedupStage
    from newsfold.present.query import list_groups
    from newsfold.models import Article
    from newsfold.store.db import Store

    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.db")
        n = 0
        for chunk in stream_texts(args.stage, chunk=10000, seed=args.seed):
            with store.atomic():
                for t in chunk:
                    store.insert_article(Article(id=f"g{n}", text=t, content_hash=str(n)))
                    n += 1
        t = time.perf_counter()
        rep = DedupStage().catch_up(store)
        secs = time.perf_counter() - t
        groups = list_groups(store.conn)
        store.close()
    out = {"articles": n, "seconds": round(secs, 1), "per_s": round(n / secs), "details": rep.details,
           "groups": len(groups)}
    print(f"\n## Dedup stage on a SQLite store: {n:,} generated articles in {secs:.1f} s ({n / secs:,.0f}/s),"
          f" {len(groups):,} groups; {rep.details}")
    return out


# -------------------------------------------------------------- sentences
def sentences(args: argparse.Namespace) -> dict[str, object]:
    """Boundary precision/recall on ECB+ (one sentence per line, lines joined) and speed, vs pysbd."""
    texts = load_ecbplus()
    out: dict[str, object] = {}

    def score(split: object, name: str) -> None:
        tp = fp = fn = 0
        t = time.perf_counter()
        preds = [split(" ".join(x.strip() for x in d.split("\n") if x.strip())) for d in texts]  # type: ignore[operator]
        secs = time.perf_counter() - t
        for d, pred in zip(texts, preds):
            gold_lines = [x.strip() for x in d.split("\n") if x.strip()]
            joined = " ".join(gold_lines)
            g, c = set(), 0
            for s in gold_lines:
                c += len(s)
                g.add(c)
                c += 1
            p, pos = set(), 0
            for s in pred:
                s = s.strip()
                i = joined.find(s, pos)
                if i < 0:
                    continue
                pos = i + len(s)
                p.add(pos)
            tp += len(g & p)
            fp += len(p - g)
            fn += len(g - p)
        out[name] = {"precision": tp / (tp + fp), "recall": tp / (tp + fn), "ms_per_article": secs / len(texts) * 1e3}
        print(f"{name:<10} precision {tp / (tp + fp):.3f}  recall {tp / (tp + fn):.3f}  "
              f"{secs / len(texts) * 1e3:.3f} ms/article")

    print("\n## Sentence splitting (ECB+ lines joined; gold = line ends; headlines without a full stop count as misses)")
    score(split_sentences, "newsfold")
    try:
        import pysbd

        seg = pysbd.Segmenter(language="en", clean=False)
        score(seg.segment, "pysbd")
    except ImportError:
        print("pysbd not installed")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--accuracy", action="store_true")
    ap.add_argument("--libs", type=int, default=0, metavar="N", help="library table on N generated articles")
    ap.add_argument("--speed", type=int, default=0, metavar="N", help="end-to-end speed on N generated articles")
    ap.add_argument("--sentences", action="store_true")
    ap.add_argument("--stage", type=int, default=0, metavar="N", help="the whole dedup stage on N generated articles")
    ap.add_argument("--ds-sample", type=int, default=500, help="datasketch articles per sampled chunk")
    ap.add_argument("--batch", type=int, default=2000, help="newsfold batch size")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    if not (args.accuracy or args.libs or args.speed or args.sentences or args.stage):
        args.accuracy = args.sentences = True
        args.libs = 20000
    results: dict[str, object] = {"machine": machine()}
    print(f"machine: {results['machine']}")
    if args.accuracy:
        results["accuracy"] = accuracy(args)
    if args.sentences:
        results["sentences"] = sentences(args)
    if args.libs:
        results["libraries"] = lib_table(args)
    if args.speed:
        results["speed"] = speed(args)
    if args.stage:
        results["stage"] = stage(args)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
