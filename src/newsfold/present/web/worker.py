"""The web app's ingest worker: a child process that runs the pipeline for each job.

Running the pipeline in its own process keeps its CPU-heavy Python work
(cleaning, features, clustering) from holding the web server's GIL, so page
latency stays flat during an ingest.  The child lives as long as the server
and keeps its models warm between jobs.

Protocol (JSON lines): the server writes ``{"job": ID, "paths": [...]}`` to
the child's stdin; the child answers on its stdout with
``{"job": ID, "event": "progress", "stage", "done", "total"}`` while working
and one ``{"job": ID, "event": "done", "outcome": {...}}`` or
``{"job": ID, "event": "failed", "error": "..."}`` per job.

    python -m newsfold.present.web.worker DB_PATH
"""

from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from ...store.lock import writer_lock

log = logging.getLogger(__name__)


def serve(db_path: str, inp: IO[str], out: IO[str]) -> None:
    """Run jobs read from ``inp`` until it closes."""
    from ...store.db import Store
    from .jobs import default_ingest

    def send(msg: dict[str, Any]) -> None:
        out.write(json.dumps(msg, default=str) + "\n")
        out.flush()

    for line in inp:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            job_id, paths = str(req["job"]), [Path(p) for p in req.get("paths", [])]
        except (ValueError, KeyError, TypeError) as e:
            send({"event": "failed", "job": None, "error": f"bad request to the worker: {e}"})
            continue

        def progress(stage: str, done: int, total: int, _job: str = job_id) -> None:
            send({"job": _job, "event": "progress", "stage": stage, "done": int(done), "total": int(total)})

        def waiting(message: str, _job: str = job_id) -> None:  # shown on the job page while a CLI run writes
            log.warning("job %s: %s", _job, message)
            progress("waiting for another writer", 0, 0)

        try:
            # the store's one writer lock, the CLI's too: this job waits while `newsfold add` (or another
            # server process's worker) writes, instead of interleaving its stages with theirs
            with writer_lock(db_path, on_wait=waiting):
                store = Store(db_path)
                try:
                    outcome = default_ingest(store, paths, progress)
                finally:
                    store.close()
            send({"job": job_id, "event": "done", "outcome": asdict(outcome)})
        except Exception as e:  # reported to the job page; the worker keeps serving
            log.exception("ingest job %s failed", job_id)
            send({"job": job_id, "event": "failed", "error": f"{type(e).__name__}: {e}"})


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # keep the protocol channel clean: anything a library prints goes to stderr
    proto = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    try:  # background work yields the CPU to the pages readers are waiting for
        os.nice(int(os.environ.get("NEWSFOLD_INGEST_NICE", "10")))
    except (OSError, ValueError):
        pass
    serve(sys.argv[1], sys.stdin, proto)


if __name__ == "__main__":
    main()
