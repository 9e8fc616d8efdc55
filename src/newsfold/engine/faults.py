"""Fault injection for drills and tests: kill the worker process running a task, once.

``RayEngine(before_batch=CrashOnce(marker))`` makes the first fingerprint
batch to start kill its worker with ``os._exit`` (no cleanup, as an
out-of-memory kill or a lost node would); the marker file makes every retry
pass, so the run must finish through Ray's task retries alone.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass
class CrashOnce:
    """Kill the calling process the first time any process calls it (per marker file)."""

    marker: str

    def __call__(self) -> None:
        try:
            fd = os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        os._exit(17)
