"""Background ingest for the web app: one writer at a time, visible progress.

Uploads are saved under the upload directory (one folder per job, file names
sanitized so they cannot escape it), then ingested one job at a time by the
library's pipeline in a long-lived worker process (:mod:`.worker`) with its
own :class:`~newsfold.store.db.Store`.  Reads keep working meanwhile: SQLite in
WAL mode lets readers see the last commit while the one writer works.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import re
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ...stages import ProgressFn
from ...store.db import Store

log = logging.getLogger(__name__)


@dataclass
class IngestOutcome:
    """What an ingest job produced: the ledger run and each stage's report."""

    run_ids: list[str] = field(default_factory=list)
    stages: list[dict[str, Any]] = field(default_factory=list)


class IngestFn(Protocol):
    def __call__(self, store: Store, paths: list[Path], progress: ProgressFn) -> IngestOutcome: ...


@dataclass
class Job:
    """One background ingest, as the add page and ``/api/jobs/{id}`` show it."""

    id: str
    status: str = "queued"  # queued, running, done, failed
    files: list[str] = field(default_factory=list)
    stage: str = ""
    done: int = 0
    total: int = 0
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    run_ids: list[str] = field(default_factory=list)
    stages: list[dict[str, Any]] = field(default_factory=list)
    ledger: dict[str, Any] | None = None
    error: str | None = None

    @property
    def finished_ok(self) -> bool:
        return self.status == "done"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_JOB_ID = re.compile(r"[0-9a-f]{12}")


def safe_filename(name: str | None, default: str = "upload") -> str:
    """A plain file name from an untrusted one: no directories, no dot-files, no odd characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = _SAFE.sub("_", base).strip("._-")[:120]
    return base or default


def save_into(directory: Path, name: str | None, data: bytes) -> Path:
    """Write ``data`` as a file inside ``directory`` under a sanitized, unique name."""
    directory = directory.resolve()
    directory.mkdir(parents=True, exist_ok=True)
    fname = safe_filename(name)
    if fname == "status.json":  # the job's own state file
        fname = "upload-status.json"
    target = (directory / fname).resolve()
    stem, dot, ext = fname.partition(".")
    n = 1
    while target.exists():
        target = (directory / f"{stem}-{n}{dot}{ext}").resolve()
        n += 1
    if not target.is_relative_to(directory) or target.parent != directory:
        raise ValueError(f"refusing to write {name!r} outside the upload directory")
    target.write_bytes(data)
    return target


def records_to_jsonl(body: bytes) -> bytes:
    """A JSON object, a JSON list of objects, or JSONL, as JSONL bytes.

    Raises ValueError with a message for the client (never anything else:
    deep nesting, huge numbers and NaN are bad JSON like any other).
    """
    from ...read.records import parse_json

    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ValueError(f"the body is not UTF-8 (byte {e.start}); send JSON as UTF-8 text") from None
    stripped = text.strip()
    if not stripped:
        raise ValueError("the body is empty: send a JSON object, a list of objects, or JSON lines")
    doc, _ = parse_json(stripped)
    if isinstance(doc, dict):
        rows: list[Any] = [doc]
    elif isinstance(doc, list):
        rows = doc
    else:
        rows = []
        for i, line in enumerate(stripped.splitlines(), start=1):
            if not line.strip():
                continue
            rec, err = parse_json(line)
            if err:
                raise ValueError(f"line {i} is not JSON ({err.replace(' at line 1 column', ' at column')}); "
                                 "send one JSON object per line")
            rows.append(rec)
    bad = [i for i, r in enumerate(rows) if not isinstance(r, dict)]
    if bad:
        raise ValueError(f"item {bad[0]} is not a JSON object; each article is an object like"
                         ' {"title": ..., "text": ..., "outlet": ..., "url": ..., "published": ...}')
    if not rows:
        raise ValueError("no articles in the body")
    out = []
    for i, r in enumerate(rows):
        try:
            line = json.dumps(r, ensure_ascii=False)
            try:
                line.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate ("\ud800"): escaped, so that the ingest rejects this
                line = json.dumps(r)    # item alone and stores the others
            out.append(line)
        except (ValueError, RecursionError) as e:
            raise ValueError(f"item {i} cannot be stored ({type(e).__name__}: {e})") from None
    return ("\n".join(out) + "\n").encode("utf-8")


def default_ingest(store: Store, paths: list[Path], progress: ProgressFn) -> IngestOutcome:
    """Ingest files with the library's pipeline (ingest, then dedup → stories → summaries)."""
    from ... import pipeline  # imported late: the stages bring numpy, SciPy and ONNX Runtime

    def on_ingest(done: int, total: int, report: Any) -> None:
        progress("ingest", done, total)

    if not paths:  # a re-fold: only the stages' catch-up
        return _outcome({"stages": pipeline.catch_up(store, progress=progress)})
    report = pipeline.run_pipeline(store, [str(p) for p in paths], progress=progress,
                                   on_ingest_progress=on_ingest)
    return _outcome(report)


def _outcome(report: Any) -> IngestOutcome:
    out = IngestOutcome()
    if report is None:
        return out
    d = report if isinstance(report, dict) else (asdict(report) if hasattr(report, "__dataclass_fields__")
                                                 else vars(report))
    for key in ("run_id", "ingest_run_id"):
        if isinstance(d.get(key), str):
            out.run_ids.append(d[key])
    ing = d.get("ingest")
    if isinstance(ing, dict) and isinstance(ing.get("run_id"), str):
        out.run_ids.append(ing["run_id"])
    for st in d.get("stages") or []:
        st = st if isinstance(st, dict) else asdict(st)
        out.stages.append({"stage": st.get("stage") or st.get("name"), "processed": st.get("processed", 0),
                           "details": st.get("details", {})})
    out.run_ids = list(dict.fromkeys(out.run_ids))
    return out


class JobManager:
    """A queue of ingest jobs run one at a time (one SQLite writer).

    By default each job runs in a long-lived child process
    (:mod:`newsfold.present.web.worker`) so the pipeline's CPU work never holds the
    server's GIL; an ``ingest`` function given here runs in a thread instead
    (tests inject slow or failing ingests this way).
    """

    def __init__(self, db_path: str, upload_dir: Path, ingest: IngestFn | None = None, keep: int = 200) -> None:
        self.db_path = db_path
        self.upload_dir = Path(upload_dir)
        self.ingest = ingest
        self.keep = keep
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._queue: queue.Queue[str] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._child: subprocess.Popen[str] | None = None
        self._events: queue.Queue[dict[str, Any]] = queue.Queue()

    def _ensure_worker(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="newsfold-ingest", daemon=True)
                self._thread.start()

    # ------------------------------------------------- shared job state
    # Each job's state is also written to <upload dir>/<job id>/status.json, so that every server
    # process (``newsfold serve --workers N``) can show any job, whichever process runs it.
    def _save(self, job: Job, *, force: bool = True) -> None:
        now = time.monotonic()
        if not force and now - getattr(job, "_saved_at", 0.0) < 0.3:
            return
        job._saved_at = now  # type: ignore[attr-defined]
        folder = self.upload_dir / job.id
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder / f".status.{os.getpid()}.tmp"
            tmp.write_text(json.dumps(job.to_dict(), default=str), encoding="utf-8")
            tmp.replace(folder / "status.json")
        except OSError as e:
            log.warning("cannot save the state of job %s: %s", job.id, e)

    def _load(self, job_id: str) -> Job | None:
        if not _JOB_ID.fullmatch(job_id):
            return None
        try:
            d = json.loads((self.upload_dir / job_id / "status.json").read_text(encoding="utf-8"))
            return Job(**{k: v for k, v in d.items() if k in Job.__dataclass_fields__})
        except (OSError, ValueError, TypeError):
            return None

    def submit(self, files: list[tuple[str | None, bytes]]) -> Job:
        """Save the files under a new job folder and queue their ingest."""
        job = Job(id=uuid.uuid4().hex[:12])
        folder = self.upload_dir / job.id
        for name, data in files:
            job.files.append(save_into(folder, name, data).name)
        with self._lock:
            self._jobs[job.id] = job
            if len(self._jobs) > self.keep:
                for old in [j for j in self._jobs.values() if j.status in ("done", "failed")][: len(self._jobs) - self.keep]:
                    self._jobs.pop(old.id, None)
        self._save(job)
        self._queue.put(job.id)
        self._ensure_worker()
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            job = self._jobs.get(job_id)
        return job if job is not None else self._load(job_id)

    def recent(self, n: int = 10) -> list[Job]:
        with self._lock:
            jobs = {j.id: j for j in self._jobs.values()}
        try:
            found = sorted(self.upload_dir.glob("*/status.json"), key=lambda p: -p.stat().st_mtime)[: n * 2]
        except OSError:
            found = []
        for p in found:
            if p.parent.name not in jobs:
                job = self._load(p.parent.name)
                if job is not None:
                    jobs[job.id] = job
        return sorted(jobs.values(), key=lambda j: -j.created)[:n]

    def wait(self, job_id: str, timeout: float) -> Job | None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            job = self.get(job_id)
            if job is None or job.status in ("done", "failed"):
                return job
            time.sleep(0.05)
        return self.get(job_id)

    def _work(self) -> None:
        while True:
            job_id = self._queue.get()
            job = self.get(job_id)
            if job is None:
                continue
            self._run(job)

    def _run(self, job: Job) -> None:
        job.status, job.started = "running", time.time()

        self._save(job)

        def progress(stage: str, done: int, total: int) -> None:
            job.stage, job.done, job.total = stage, int(done), int(total)
            self._save(job, force=False)

        folder = self.upload_dir / job.id
        paths = sorted(p for p in folder.iterdir() if p.is_file() and p.name != "status.json"
                       and not p.name.startswith(".")) if folder.exists() else []
        try:
            if self.ingest is not None:
                store = Store(self.db_path)
                try:
                    outcome = self.ingest(store, paths, progress)
                finally:
                    store.close()
            else:
                outcome = self._run_in_child(job, paths, progress)
            job.run_ids, job.stages = outcome.run_ids, outcome.stages
            store = Store(self.db_path)
            try:
                job.ledger = self._ledger(store, outcome.run_ids)
            finally:
                store.close()
            prefix = str(folder.resolve()) + "/"
            for e in job.ledger["entries"]:  # show refs as the uploaded names, not server paths
                e["ref"] = str(e["ref"]).replace(prefix, "").replace(str(folder) + "/", "")
            job.status = "done"
        except Exception as e:  # shown on the job page; the worker keeps serving
            log.exception("ingest job %s failed", job.id)
            job.status, job.error = "failed", f"{type(e).__name__}: {e}"
        finally:
            job.finished = time.time()
            self._save(job)

    # ---------------------------------------------------- child process
    def _ensure_child(self) -> subprocess.Popen[str]:
        if self._child is None or self._child.poll() is not None:
            env = {**os.environ, "PYTHONUNBUFFERED": "1"}
            self._child = subprocess.Popen(
                [sys.executable, "-m", "newsfold.present.web.worker", self.db_path], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, text=True, encoding="utf-8", bufsize=1, env=env)
            threading.Thread(target=self._read_child, args=(self._child,), name="newsfold-ingest-events",
                             daemon=True).start()
        return self._child

    def _read_child(self, child: subprocess.Popen[str]) -> None:
        assert child.stdout is not None
        for line in child.stdout:
            try:
                self._events.put(json.loads(line))
            except ValueError:
                log.warning("ingest worker said: %s", line.rstrip())
        self._events.put({"event": "exit", "job": None})

    def _run_in_child(self, job: Job, paths: list[Path], progress: ProgressFn) -> IngestOutcome:
        child = self._ensure_child()
        assert child.stdin is not None
        child.stdin.write(json.dumps({"job": job.id, "paths": [str(p) for p in paths]}) + "\n")
        child.stdin.flush()
        while True:
            ev = self._events.get()
            if ev.get("event") == "exit":
                raise RuntimeError("the ingest worker process exited; see the server log")
            if ev.get("job") != job.id:
                continue
            if ev["event"] == "progress":
                progress(ev["stage"], ev["done"], ev["total"])
            elif ev["event"] == "failed":
                raise RuntimeError(ev.get("error") or "ingest failed")
            elif ev["event"] == "done":
                o = ev.get("outcome") or {}
                return IngestOutcome(run_ids=list(o.get("run_ids", [])), stages=list(o.get("stages", [])))

    def close(self) -> None:
        """Stop the worker process (it also exits when the server does: its stdin closes)."""
        if self._child is not None and self._child.poll() is None:
            if self._child.stdin:
                self._child.stdin.close()
            try:
                self._child.wait(5)
            except subprocess.TimeoutExpired:
                self._child.terminate()

    @staticmethod
    def _ledger(store: Store, run_ids: list[str]) -> dict[str, Any]:
        from ..query import ledger_summary

        counts: dict[str, int] = {}
        entries: list[dict[str, Any]] = []
        for rid in run_ids:
            part = ledger_summary(store.conn, rid)
            for k, v in part["counts"].items():
                counts[k] = counts.get(k, 0) + v
            entries += part["entries"]
        _add_folding(store, entries)
        return {"run_ids": run_ids, "counts": counts, "entries": entries}


def _add_folding(store: Store, entries: list[dict[str, Any]]) -> None:
    """Where each ingested article went: its story (with headline) and the article it copies, if any."""
    for e in entries:
        aid = e.get("article_id")
        e["story_id"] = e["story_headline"] = e["copy_of"] = e["copy_kind"] = None
        if not aid:
            continue
        row = store.conn.execute(
            "SELECT s.id, s.headline FROM story_articles sa JOIN stories s ON s.id = sa.story_id"
            " WHERE sa.article_id = ?", (aid,)).fetchone()
        if row is not None:
            e["story_id"], e["story_headline"] = row[0], row[1] or f"Story {row[0]}"
        dup = store.conn.execute("SELECT canonical_id, kind FROM dup_links WHERE article_id = ?", (aid,)).fetchone()
        if dup is not None and dup[0] != aid:
            e["copy_of"], e["copy_kind"] = dup[0], dup[1]
