"""A crash in the middle of an ingest leaves a consistent store; a re-run finishes exactly once."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest


def _corpus(ecbplus_path, path, n: int) -> list[str]:
    rows = [json.loads(l) for l in open(ecbplus_path, encoding="utf-8")]
    ids = []
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            r = rows[i % len(rows)]
            ids.append(f"a{i:05d}")
            fh.write(json.dumps({"id": ids[-1], "outlet": f"outlet{i % 37}",
                                 "text": f"Report {i}.\n" + r["text"]}) + "\n")
    return ids


@pytest.mark.slow
def test_sigkill_mid_ingest_then_rerun_finishes_exactly_once(tmp_path, ecbplus_path):
    src = tmp_path / "corpus.jsonl"
    ids = _corpus(ecbplus_path, src, 5000)
    db = tmp_path / "crash.db"
    cmd = [sys.executable, "-m", "newsfold", "--db", str(db), "--quiet", "add", "--no-dedup", "--batch-size", "100",
           str(src)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stored = 0
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
        if db.exists():
            try:
                with sqlite3.connect(db, timeout=1) as c:
                    stored = c.execute("SELECT count(*) FROM articles").fetchone()[0]
            except sqlite3.OperationalError:
                continue
            if stored >= 1000:
                break
    assert proc.poll() is None, "ingest finished before it could be killed: make the corpus bigger"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with sqlite3.connect(db) as c:
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        partial = c.execute("SELECT count(*) FROM articles").fetchone()[0]
        # a batch is all-or-nothing: articles and their ledger entries commit together
        accepted = c.execute("SELECT count(*) FROM ledger WHERE outcome = 'accepted'").fetchone()[0]
    assert 1000 <= partial < 5000 and partial % 100 == 0 and accepted == partial

    out = subprocess.run(cmd[:-1] + ["--json", str(src)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    rep = json.loads(out.stdout)
    assert (rep["accepted"], rep["duplicate"], rep["rejected"]) == (5000 - partial, partial, 0)
    with sqlite3.connect(db) as c:
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        got = [r[0] for r in c.execute("SELECT id FROM articles ORDER BY id")]
        assert got == sorted(ids)  # every article, exactly once
        run = c.execute("SELECT run_id FROM ledger ORDER BY seq DESC LIMIT 1").fetchone()[0]
        refs = [r[0] for r in c.execute("SELECT ref FROM ledger WHERE run_id = ?", (run,))]
        assert len(refs) == len(set(refs)) == 5000  # the re-run accounts for every input once
