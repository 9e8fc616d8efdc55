"""Issue 10, item 5: one writer per store at a time, whichever entry point writes.

Two ``newsfold add`` on one store at once used to crash one of them
(``UNIQUE constraint failed: stories.id`` or ``fingerprints.article_id``)
and leave its articles in no story; a web ingest job running while the CLI
added failed the same way.  Now the CLI, the web worker and the library's
pipeline share one lock (``newsfold.store.lock``): the second writer says it is
waiting, then runs after the first.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nfpaths import ECBPLUS

ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}


def _write_slices(tmp_path: Path) -> tuple[Path, Path, set[str]]:
    """Two JSONL files of different real articles (ECB+ news texts), 30 each."""
    lines = ECBPLUS.read_text(encoding="utf-8").splitlines()
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text("\n".join(lines[:30]) + "\n", encoding="utf-8")
    b.write_text("\n".join(lines[30:60]) + "\n", encoding="utf-8")
    ids = {json.loads(line)["id"] for line in lines[:60]}
    assert len(ids) == 60
    return a, b, ids


def _add(db: Path, path: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "newsfold", "--db", str(db), "add", "--encoder", "none", str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8", env=ENV)


def _assert_all_placed_once(db: Path, ids: set[str]) -> None:
    conn = sqlite3.connect(db)
    try:
        stored = [r[0] for r in conn.execute("SELECT id FROM articles")]
        placed = [r[0] for r in conn.execute("SELECT article_id FROM story_articles")]
        accepted = [r[0] for r in conn.execute("SELECT article_id FROM ledger WHERE outcome = 'accepted'")]
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()
    assert sorted(stored) == sorted(ids)  # every article once
    assert sorted(placed) == sorted(ids)  # every article in exactly one story
    assert sorted(accepted) == sorted(ids)  # one accepted ledger entry each, no crash half-way


@pytest.mark.slow
def test_two_concurrent_adds_queue_and_both_succeed(tmp_path):
    a, b, ids = _write_slices(tmp_path)
    db = tmp_path / "store.db"
    procs = [_add(db, a), _add(db, b)]  # at once, as two users would
    outs = [p.communicate(timeout=600) for p in procs]

    for (out, err), proc in zip(outs, procs):
        assert "Traceback" not in err and "UNIQUE constraint" not in err, err
        assert proc.returncode == 0, err
        assert "30 accepted" in out
    _assert_all_placed_once(db, ids)
    # exactly one waited for the other, and said so once, naming it
    waited = [i for i, (_, err) in enumerate(outs) if "waiting" in err]
    assert len(waited) == 1, [err for _, err in outs]
    err = outs[waited[0]][1]
    assert err.count("waiting for it to finish") == 1, err
    assert f"pid {procs[1 - waited[0]].pid}" in err


@pytest.mark.slow
def test_web_ingest_job_and_a_cli_add_queue_and_both_succeed(tmp_path):
    """The web app's ingest worker (the real child process, driven by its JSON-lines protocol) and a CLI add."""
    a, b, ids = _write_slices(tmp_path)
    db = tmp_path / "store.db"
    subprocess.run([sys.executable, "-c", f"from newsfold.store.db import Store; Store({str(db)!r}).close()"], check=True)
    worker = subprocess.Popen([sys.executable, "-m", "newsfold.present.web.worker", str(db)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8", env=ENV)
    try:
        cli = _add(db, a)
        worker.stdin.write(json.dumps({"job": "j1", "paths": [str(b)]}) + "\n")
        worker.stdin.flush()
        events = []
        for line in worker.stdout:
            events.append(json.loads(line))
            if events[-1]["event"] in ("done", "failed"):
                break
        out, err = cli.communicate(timeout=600)
    finally:
        worker.stdin.close()
        worker.wait(60)
    worker_log = worker.stderr.read()

    assert cli.returncode == 0 and "Traceback" not in err, err
    assert "30 accepted" in out
    assert events and events[-1]["event"] == "done", (events[-1:], worker_log)
    assert "Traceback" not in worker_log, worker_log
    # one of them waited for the other: the CLI said so on stderr, or the job page showed it
    stages = [e.get("stage") for e in events if e["event"] == "progress"]
    job_waited = stages[:1] == ["waiting for another writer"]
    assert job_waited != ("waiting for it to finish" in err), (stages[:3], err)
    _assert_all_placed_once(db, ids)


_HOLD = """
import sys, time
from newsfold.store.lock import writer_lock
with writer_lock(sys.argv[1]):
    print("held", flush=True)
    time.sleep(600)
"""


def test_a_killed_writer_leaves_no_stale_lock_and_readers_never_wait(tmp_path):
    from newsfold.store.lock import writer_lock
    from newsfold.store.db import Store

    db = tmp_path / "store.db"
    Store(db).close()
    holder = subprocess.Popen([sys.executable, "-c", _HOLD, str(db)], stdout=subprocess.PIPE, text=True, env=ENV)
    try:
        assert holder.stdout.readline().strip() == "held"
        # readers do not take the lock: listings answer while a writer holds it
        for command in (["articles"], ["stories", "--json"], ["ledger"]):
            out = subprocess.run([sys.executable, "-m", "newsfold", "--db", str(db), *command], capture_output=True,
                                 text=True, timeout=120, env=ENV)
            assert out.returncode == 0 and "waiting" not in out.stderr, out.stderr
        # a writer would wait now ...
        told: list[str] = []
        probe = subprocess.run([sys.executable, "-c", "import fcntl, sys; f = open(sys.argv[1], 'a');"
                                "fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)", f"{db}-writer.lock"],
                               capture_output=True, text=True)
        assert probe.returncode != 0 and "BlockingIOError" in probe.stderr
    finally:
        os.kill(holder.pid, signal.SIGKILL)  # ... until its holder dies without any cleanup
        holder.wait(30)
    start = time.monotonic()
    with writer_lock(db, on_wait=told.append):
        pass
    assert told == [] and time.monotonic() - start < 5


@pytest.mark.slow
def test_library_pipeline_waits_for_the_same_lock(tmp_path, caplog):
    """``run_pipeline`` (what library users and the web worker call) queues behind a writer holding the lock."""
    import logging
    import threading

    from newsfold.pipeline import run_pipeline
    from newsfold.store.db import Store

    a, _, ids = _write_slices(tmp_path)
    db = tmp_path / "store.db"
    Store(db).close()
    holder = subprocess.Popen([sys.executable, "-c", _HOLD, str(db)], stdout=subprocess.PIPE, text=True, env=ENV)
    done = threading.Event()
    try:
        assert holder.stdout.readline().strip() == "held"
        store = Store(db)

        def run() -> None:
            run_pipeline(store, [str(a)], skip=["dedup"])
            done.set()

        with caplog.at_level(logging.WARNING, logger="newsfold.store.lock"):
            worker = threading.Thread(target=run)
            worker.start()
            assert not done.wait(3)  # blocked while the other writer holds the lock
            assert store.count_articles() == 0
            os.kill(holder.pid, signal.SIGKILL)
            holder.wait(30)
            worker.join(300)
        assert done.is_set() and store.count_articles() == len(ids) // 2
        assert any(f"pid {holder.pid}" in r.getMessage() and "waiting" in r.getMessage() for r in caplog.records)
        store.close()
    finally:
        if holder.poll() is None:
            os.kill(holder.pid, signal.SIGKILL)
            holder.wait(30)
