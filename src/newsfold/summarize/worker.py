"""spaCy in a process of its own: the Summaries stage's paragraph parses run beside its briefings, on another core.

Parsing (:func:`.analysis.analyse_paragraphs`) and drafting briefings are
both CPU-bound Python; in two threads of one process they take turns on the
interpreter lock, and the stage took as long as the two one after the
other.  So the stage hands the paragraphs to a child process
(:func:`main`, started on first use and kept for
the life of the parent), which loads spaCy once and answers each request
with the paragraphs' records: one JSON line in (the texts), one JSON line
out (each :class:`.records.ParagraphAnalysis` as stored, and the CPU
seconds and peak memory of the child so far, which the stage reports).  The parent never
imports spaCy then.

When the child cannot be started, dies, or answers with an error, the
request is parsed in the calling process instead (:func:`analyse`), with a
warning: the records are the same either way.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from .records import ParagraphAnalysis

log = logging.getLogger(__name__)


class ParseWorker:
    """The parent's end of one child process that parses paragraphs (see the module docstring)."""

    COMMAND = (sys.executable, "-c", "from newsfold.summarize.worker import main; main()")

    def __init__(self, command: Sequence[str] | None = None) -> None:
        self.command = list(command or self.COMMAND)
        self._proc: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()
        self._pid = os.getpid()   # the process that owns ``_proc``
        self.failed = False       # the child could not be used: parse in this process from now on
        self.cpu_seconds = 0.0    # the child's CPU time, as of its last answer
        self.peak_mb = 0.0        # ... and its peak resident memory

    def start(self) -> None:
        """Start the child (it loads spaCy while the caller goes on); nothing when it runs or has failed."""
        with self._lock:
            self._start()

    def _start(self) -> None:
        if self._pid != os.getpid():  # a fork of the process that started the child: it starts its own
            self._proc, self._pid = None, os.getpid()
        if self._proc is not None or self.failed:
            return
        env = dict(os.environ)
        src = str(Path(__file__).resolve().parents[2])  # the newsfold this process runs, wherever it comes from
        env["PYTHONPATH"] = os.pathsep.join([src, *filter(None, [env.get("PYTHONPATH")])])
        try:
            self._proc = subprocess.Popen(self.command, env=env,
                                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                          text=True, encoding="utf-8", bufsize=1)
        except OSError as e:
            self._fail(f"cannot start it ({e})")

    def analyse(self, texts: Sequence[str]) -> list[ParagraphAnalysis] | None:
        """The records of ``texts`` parsed by the child, or None when it cannot parse them (the caller then does)."""
        with self._lock:
            self._start()
            if self._proc is None:
                return None
            assert self._proc.stdin is not None and self._proc.stdout is not None
            try:
                self._proc.stdin.write(json.dumps(list(texts)) + "\n")  # ASCII: a lone surrogate travels too
                self._proc.stdin.flush()
                reply = json.loads(self._proc.stdout.readline() or "null")
            except (OSError, ValueError) as e:
                self._fail(f"lost ({e})")
                return None
            if not isinstance(reply, dict) or "records" not in reply:
                self._fail(reply.get("error", "no answer") if isinstance(reply, dict) else "no answer")
                return None
            self.cpu_seconds = float(reply.get("cpu_seconds", 0.0))
            self.peak_mb = float(reply.get("peak_mb", 0.0))
            return [ParagraphAnalysis.from_json(r) for r in reply["records"]]

    def _fail(self, why: str) -> None:
        log.warning("the spaCy worker process is off (%s): paragraphs are parsed in this process", why)
        self.failed = True
        self._stop()

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or self._pid != os.getpid():  # a fork leaves its parent's child alone
            return
        try:
            if proc.stdin is not None:
                proc.stdin.close()  # the child stops at the end of its input
            proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


_WORKER: ParseWorker | None = None
_WORKER_LOCK = threading.Lock()


def worker() -> ParseWorker:
    """This process's parse worker (one, closed when the process exits)."""
    global _WORKER
    with _WORKER_LOCK:
        if _WORKER is None:
            _WORKER = ParseWorker()
            atexit.register(_WORKER.close)
        return _WORKER


def analyse(texts: Sequence[str], *, in_worker: bool = True) -> list[ParagraphAnalysis]:
    """:func:`.analysis.analyse_paragraphs` of ``texts``, in the worker process when ``in_worker`` and it can."""
    from .analysis import analyse_paragraphs

    if not texts:
        return []
    got = worker().analyse(texts) if in_worker else None
    return got if got is not None else analyse_paragraphs(list(texts))


def serve(lines: IO[str], out: IO[str]) -> None:
    """The child's loop: a JSON list of texts per input line, their records (or an error) per output line."""
    from .analysis import analyse_paragraphs
    from .nlp import nlp

    nlp()  # load the model before the first request comes
    for line in lines:
        try:
            texts = json.loads(line)
            if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
                raise ValueError("a request is a JSON list of texts")
            reply = {"records": [pa.to_json() for pa in analyse_paragraphs(texts)]}
        except Exception as e:  # answer every request: the parent falls back to parsing itself
            reply = {"error": f"{type(e).__name__}: {e}"}
        reply["cpu_seconds"] = time.process_time()
        reply["peak_mb"] = _peak_mb()
        out.write(json.dumps(reply) + "\n")
        out.flush()


def _peak_mb() -> float:
    """This process's peak resident memory in MB: ``VmHWM`` (``ru_maxrss`` would count the parent's memory
    this process had as a fork before it ran Python)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            return next(int(ln.split()[1]) for ln in fh if ln.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class _NoTorch:
    """A finder that says torch is not installed: thinc imports it when it is, for nothing the parse uses
    (two seconds of every start).  (Putting None in ``sys.modules`` instead breaks scipy's checks for it.)"""

    @staticmethod
    def find_spec(name: str, path: object = None, target: object = None) -> None:  # None: ask the next finder
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)


def main() -> None:
    """The child's entry point (``python -c``: the package imports this module, so not ``-m``)."""
    sys.meta_path.insert(0, _NoTorch())
    sys.stdin.reconfigure(encoding="utf-8")  # type: ignore[union-attr]
    sys.stdout.reconfigure(encoding="utf-8")  # type: ignore[union-attr]
    answers, sys.stdout = sys.stdout, sys.stderr  # whatever a library prints stays out of the answers
    serve(sys.stdin, answers)
