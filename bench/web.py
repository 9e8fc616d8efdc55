"""Web latency under load: p50/p95/p99 of the stories page and story pages, 8 clients, while an ingest runs.

The store holds 100,000 articles and their stories.  Folding 100,000 articles
through the full pipeline takes far longer than a benchmark should on a
2-core machine, so the rows are GENERATED DIRECTLY into the store (articles
built from the bundled ECB+ sentences, stories of 1-30 articles, a briefing
per story in the summaries' JSON shape, sampled copies and re-used passages,
MinHash fingerprints computed by newsfold's own fingerprinter, so that every
stage finds its backlog empty and the server's ingest works only on the new
articles), then
cached in ``.cache/bench-web/`` and copied fresh for every run.

A real uvicorn server (``create_app``, as ``newsfold serve`` runs it) serves
the copy from its own process.  Eight client threads on loopback each hold a
keep-alive connection and alternate the stories page (``/stories``, random
page 1-5 and sometimes a filter) and a story page (a random story of all of
them: mostly cache-cold).  Phase 1 measures with nothing else running; phase
2 measures while ``POST /api/articles`` ingests a batch of new articles in
the server's background ingest (the full pipeline: ingest, dedup, stories,
summaries), i.e. one SQLite writer inside the same process.

    .venv/bin/python bench/web.py                # 100,000 articles
    .venv/bin/python bench/web.py -n 20000 --seconds 15
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
ECB = ROOT / "data" / "ecbplus" / "ecbplus-dev.jsonl"
CACHE = ROOT / ".cache" / "bench-web"
TOKEN = "bench-token"


# ------------------------------------------------------------------ data
def build_store(path: Path, n: int, seed: int = 7) -> dict[str, int]:
    """Write ``n`` articles, their stories, briefings, copies and passages straight into a new store."""
    from newsfold.dedup.config import DedupConfig
    from newsfold.dedup.fingerprint import Fingerprinter, signature_to_blob
    from newsfold.store.db import Store
    from newsfold.summarize.stage import story_version

    rnd = random.Random(seed)
    docs = [json.loads(line)["text"].split("\n") for line in open(ECB, encoding="utf-8")]
    outlets = [f"Outlet {i:03d} News" for i in range(300)]
    store = Store(path)
    conn = store.conn
    conn.execute("PRAGMA synchronous = OFF")
    t0 = time.perf_counter()
    art_rows, sa_rows, story_rows, summ_rows, fts_rows, dup_rows, pas_rows = [], [], [], [], [], [], []
    check_rows: list[tuple[str, str]] = []
    fingerprinter = Fingerprinter(DedupConfig().shingle_size, DedupConfig().num_perm, DedupConfig().seed)
    i = s = 0
    base_day = 16000  # days since 1970: 2013-10-21
    while i < n:
        size = min(n - i, max(1, int(rnd.paretovariate(1.3))) if rnd.random() < 0.97 else rnd.randint(10, 30))
        size = min(size, 30)
        doc = rnd.choice(docs)
        day0 = base_day + rnd.randrange(0, 3650)
        sid = f"b{s:06d}"
        members, texts = [], []
        for k in range(size):
            body = list(doc[1:])
            rnd.shuffle(body)
            sents = [doc[0]] + body[: max(2, rnd.randint(4, 11))]
            text = "\n".join(sents)
            aid = f"a{i:07d}"
            o = rnd.choice(outlets)
            pub = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime((day0 + k // 3) * 86400 + rnd.randrange(86400)))
            removed = json.dumps([{"line": f"© {o}. All rights reserved.", "reason": "copyright"},
                                  {"line": "Share this article", "reason": "share prompt"}])
            art_rows.append((aid, sents[0][:120], o, f"https://example.com/{aid}", pub, "metadata", "en", text,
                             removed, f"h{i}", f"bench:{i}"))
            sa_rows.append((aid, sid, 1.0, "bench"))
            members.append((aid, o, pub, sents))
            texts.append(text)
            if k and rnd.random() < 0.15:
                dup_rows.append((aid, members[0][0], "reprint", 0.9))
            if k and rnd.random() < 0.3:
                for sent in sents[1:3]:
                    pas_rows.append((aid, members[0][0], sent, sent, 1.0, "copied"))
            check_rows.append((aid, sid))
            i += 1
        pubs = sorted(m[2] for m in members)
        summary = [{"text": m[3][0], "article_ids": [x[0] for x in members[:4]], "source_id": m[0], "position": 0,
                    "words": len(m[3][0].split())} for m in members[:3]]
        caps = re.findall(r"\b[A-Z][a-z]{3,}(?: [A-Z][a-z]+)?", " ".join(doc))
        ents = {}
        for c in caps:
            ents[c] = ents.get(c, 0) + 1
        briefing = {
            "schema": 1, "story_id": sid, "version": "bench", "headline": members[0][3][0][:110],
            "summary": summary, "reason": None, "n_articles": size,
            "entities": [{"name": k_, "label": "ORG", "count": v, "article_ids": [m[0] for m in members[:3]]}
                         for k_, v in sorted(ents.items(), key=lambda x: -x[1])[:15]],
            "additions": [{"outlet": m[1], "article_ids": [m[0]], "sentences": [
                {"text": t, "article_id": m[0], "position": 1} for t in m[3][-2:]], "entities": [], "n_sentences": 2}
                for m in members[1:4]],
            "quotes": [], "discrepancies": [],
            "timeline": [{"published": m[2], "outlet": m[1], "article_id": m[0], "title": m[3][0][:120]}
                         for m in members],
        }
        story_rows.append((sid, briefing["headline"], pubs[0], pubs[-1], "active", size))
        summ_rows.append((sid, json.dumps(briefing), story_version([m[0] for m in members])))
        fts_rows.append((sid, briefing["headline"], " ".join(x["text"] for x in summary)))
        s += 1
        if len(art_rows) >= 5000 or i >= n:
            fps = fingerprinter.fingerprint([r[7] for r in art_rows])
            fp_rows = [(r[0], fps.content_hashes[j], int(fps.n_shingles[j]),
                        signature_to_blob(fps.signatures[j]) if fps.has_signature[j] else None)
                       for j, r in enumerate(art_rows)]
            with store.atomic() as c:
                c.executemany("INSERT INTO articles (id, title, outlet, url, published, published_source, language,"
                              " text, removed_json, content_hash, source_ref) VALUES (?,?,?,?,?,?,?,?,?,?,?)", art_rows)
                c.executemany("INSERT INTO stories (id, headline, first_published, last_published, state, size)"
                              " VALUES (?,?,?,?,?,?)", story_rows)
                c.executemany("INSERT INTO story_articles (article_id, story_id, score, reason) VALUES (?,?,?,?)",
                              sa_rows)
                c.executemany("INSERT INTO summaries (story_id, briefing_json, story_version) VALUES (?,?,?)",
                              summ_rows)
                c.executemany("INSERT INTO stories_fts (story_id, headline, summary) VALUES (?,?,?)", fts_rows)
                c.executemany("INSERT INTO dup_links (article_id, canonical_id, kind, similarity) VALUES (?,?,?,?)",
                              dup_rows)
                c.executemany("INSERT INTO passages (article_id, source_id, sentence, source_sentence, similarity,"
                              " direction) VALUES (?,?,?,?,?,?)", pas_rows)
                c.executemany("INSERT INTO fingerprints (article_id, content_hash, n_shingles, minhash)"
                              " VALUES (?,?,?,?)", fp_rows)
                c.executemany("INSERT INTO passage_checks (article_id, story_id) VALUES (?,?)", check_rows)
            for lst in (art_rows, sa_rows, story_rows, summ_rows, fts_rows, dup_rows, pas_rows, check_rows):
                lst.clear()
            print(f"  generated {i:,} articles, {s:,} stories ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    conn.execute("ANALYZE")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return {"articles": i, "stories": s}


def cached_store(n: int) -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"web4-{n}.db"
    if not path.exists():
        print(f"building a {n:,}-article store in {path} (once; cached)", file=sys.stderr)
        tmp = path.with_suffix(".tmp")
        for p in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            p.unlink(missing_ok=True)
        build_store(tmp, n)
        tmp.rename(path)
    return path


# ---------------------------------------------------------------- server
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db: Path, port: int, log: Path, workers: int = 1) -> subprocess.Popen:
    """``newsfold serve`` (its app factory under uvicorn) in its own process group."""
    script = ("import sys, uvicorn; uvicorn.run('newsfold.present.web.app:create_app_from_env', factory=True,"
              " workers=int(sys.argv[2]), host='127.0.0.1', port=int(sys.argv[1]), log_level='warning')")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONPATH": str(ROOT / "src"),
           "NEWSFOLD_DB": str(db), "NEWSFOLD_TOKEN": TOKEN, "NEWSFOLD_MAX_BODY": str(200 * 1024 * 1024)}
    proc = subprocess.Popen([sys.executable, "-c", script, str(port), str(workers)],
                            stdout=open(log, "w"), stderr=subprocess.STDOUT, env=env, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("server did not start: " + log.read_text()[-2000:])


# ---------------------------------------------------------------- clients
class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.samples: dict[str, list[float]] = {}
        self.errors = 0

    def add(self, kind: str, ms: float) -> None:
        with self.lock:
            self.samples.setdefault(kind, []).append(ms)


def client_loop(port: int, story_ids: list[str], outlets: list[str], stop: threading.Event, rec: Recorder,
                seed: int) -> None:
    rnd = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    turn = 0
    while not stop.is_set():
        if turn % 2 == 0:
            kind = "stories page"
            path = f"/stories?page={rnd.randint(1, 5)}"
            if rnd.random() < 0.2:
                path += "&outlet=" + outlets[rnd.randrange(len(outlets))].replace(" ", "+")
        else:
            kind = "story page"
            path = f"/stories/{rnd.choice(story_ids)}"
        turn += 1
        t0 = time.perf_counter()
        try:
            conn.request("GET", path)
            r = conn.getresponse()
            r.read()
            ok = r.status == 200
        except (OSError, http.client.HTTPException):
            ok = False
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        ms = (time.perf_counter() - t0) * 1000
        if ok:
            rec.add(kind, ms)
        else:
            with rec.lock:
                rec.errors += 1


def measure(port: int, story_ids: list[str], outlets: list[str], clients: int, seconds: float,
            until: threading.Event | None = None) -> Recorder:
    rec, stop = Recorder(), threading.Event()
    threads = [threading.Thread(target=client_loop, args=(port, story_ids, outlets, stop, rec, k), daemon=True)
               for k in range(clients)]
    for t in threads:
        t.start()
    end = time.monotonic() + seconds
    while time.monotonic() < end and not (until and until.is_set()):
        time.sleep(0.05)
    stop.set()
    for t in threads:
        t.join(35)
    return rec


def web_cpu_seconds(pgid: int) -> float:
    """CPU time used so far by the server's web processes (not its ingest worker), from /proc."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[2]) != pgid or b"newsfold.present.web.worker" in (d / "cmdline").read_bytes():
                continue
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, ValueError, IndexError):
            continue
    return total


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def report(title: str, rec: Recorder, seconds: float, cpu: float) -> dict[str, dict[str, float]]:
    n_all = sum(len(v) for v in rec.samples.values())
    print(f"\n{title}")
    print(f"  server CPU per request: {cpu / max(1, n_all) * 1000:.2f} ms (web processes, from /proc)")
    print(f"  {'page':<14} {'requests':>9} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    out = {}
    for kind in ("stories page", "story page"):
        xs = rec.samples.get(kind, [])
        if not xs:
            print(f"  {kind:<14} no successful requests")
            continue
        row = {"n": len(xs), "rps": len(xs) / seconds, "p50": statistics.median(xs), "p95": pct(xs, 95),
               "p99": pct(xs, 99), "max": max(xs)}
        out[kind] = row
        print(f"  {kind:<14} {row['n']:>9} {row['rps']:>7.0f} {row['p50']:>8.1f} {row['p95']:>8.1f} "
              f"{row['p99']:>8.1f} {row['max']:>8.1f}")
    if rec.errors:
        print(f"  errors: {rec.errors}")
    return out


def machine() -> str:
    cpu = platform.processor() or ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(next(l for l in open("/proc/meminfo") if l.startswith("MemTotal")).split()[1])
        mem = f", {kb / 1048576:.0f} GiB RAM"
    except (OSError, StopIteration, ValueError):
        pass
    return (f"{cpu}, {os.cpu_count()} CPUs{mem}; Linux {platform.release()}; Python {platform.python_version()}; "
            f"SQLite {sqlite3.sqlite_version}")


# ------------------------------------------------------------------- main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=100_000, help="articles in the store")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--workers", type=int, default=1, help="server processes (newsfold serve --workers)")
    ap.add_argument("--seconds", type=float, default=30, help="length of each measured phase")
    ap.add_argument("--ingest", type=int, default=2000, help="articles posted during phase 2")
    ap.add_argument("--job-timeout", type=float, default=600, help="seconds to wait for the ingest job to end")
    ap.add_argument("--json", action="store_true", help="also print the figures as one JSON line")
    a = ap.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]

    src = cached_store(a.n)
    work = Path(tempfile.mkdtemp(prefix="newsfold-bench-web-"))
    db = work / "web.db"
    shutil.copyfile(src, db)
    with sqlite3.connect(db) as c:
        story_ids = [r[0] for r in c.execute("SELECT id FROM stories")]
        outlets = [r[0] for r in c.execute("SELECT DISTINCT outlet FROM articles LIMIT 300")]
        n_articles = c.execute("SELECT count(*) FROM articles").fetchone()[0]
    from newsfold.store.db import Store

    print(f"server processes: {a.workers}")
    print(f"store: {n_articles:,} articles, {len(story_ids):,} stories ({db.stat().st_size / 1e6:.0f} MB; "
          f"rows generated directly, see the docstring)")
    print(f"machine: {machine()}")
    print(f"load average before the run: {' '.join(f'{x:.1f}' for x in os.getloadavg())} (other work on the machine)")
    port = free_port()
    Store(db).close()  # migrate once, before several server processes open it
    server = start_server(db, port, work / "server.log", a.workers)
    results: dict[str, object] = {"articles": n_articles, "stories": len(story_ids), "machine": machine(),
                                  "clients": a.clients}
    try:
        measure(port, story_ids, outlets, a.clients, 3)  # warm-up
        cpu0 = web_cpu_seconds(server.pid)
        rec = measure(port, story_ids, outlets, a.clients, a.seconds)
        results["idle"] = report(f"{a.clients} clients, no ingest ({a.seconds:.0f} s)", rec, a.seconds,
                                 web_cpu_seconds(server.pid) - cpu0)

        from gen_corpus import generate

        batch = "\n".join(json.dumps({**r, "id": None, "url": r["url"].replace("/story-", "/bench-web-")})
                          for r in generate(a.ingest, seed=int(time.time()))).encode()
        done = threading.Event()
        job: dict[str, object] = {}

        def post() -> None:
            try:
                _post()
            except (OSError, http.client.HTTPException):  # the server stopped before the job ended
                done.set()

        def _post() -> None:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
            t0 = time.perf_counter()
            c.request("POST", "/api/articles", body=batch,
                      headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/x-ndjson"})
            job.update(json.loads(c.getresponse().read()))
            while job.get("status") in ("queued", "running"):
                time.sleep(0.5)
                c.request("GET", f"/api/jobs/{job['id']}")
                job.update(json.loads(c.getresponse().read()))
            job["seconds"] = time.perf_counter() - t0
            done.set()

        threading.Thread(target=post, daemon=True).start()
        time.sleep(0.5)
        t0 = time.perf_counter()
        cpu0 = web_cpu_seconds(server.pid)
        rec = measure(port, story_ids, outlets, a.clients, a.seconds, until=done)
        busy = time.perf_counter() - t0
        cpu1 = web_cpu_seconds(server.pid) - cpu0
        results["ingest"] = report(f"{a.clients} clients while POST /api/articles ingests {a.ingest:,} articles "
                                   f"({busy:.0f} s measured)", rec, busy, cpu1)
        done.wait(a.job_timeout)
        if not done.is_set():
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            c.request("GET", "/api/jobs")
            jobs = json.loads(c.getresponse().read()).get("jobs", [])
            if jobs:
                job.update(jobs[0])
            job["seconds"] = time.perf_counter() - t0
            job["status"] = f"still {job.get('status')} (stage {job.get('stage')} {job.get('done')}/{job.get('total')})"
        ledger = (job.get("ledger") or {}).get("counts", {}) if isinstance(job.get("ledger"), dict) else {}
        stages = ", ".join(f"{st['stage']} {st['processed']}" for st in job.get("stages", []) or [])
        print(f"\ningest job: {job.get('status')} in {job.get('seconds', 0):.0f} s; ledger {ledger}; stages: {stages}"
              + (f"; error: {job.get('error')}" if job.get("error") else ""))
        print(f"load average after the run: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        results["ingest_job"] = {"status": job.get("status"), "seconds": job.get("seconds"), "ledger": ledger,
                                 "stages": job.get("stages")}
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # the server, its worker processes and the ingest worker
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        shutil.rmtree(work, ignore_errors=True)
    if a.json:
        print(json.dumps(results, default=str))


if __name__ == "__main__":
    main()
