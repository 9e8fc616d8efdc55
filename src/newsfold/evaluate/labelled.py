"""Labelled JSONL files (events, same-story pairs, summary clusters): one reader for every evaluation."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any


def read_jsonl(path: str | Path, check: Callable[[dict[str, Any]], str | None],
               error: type[ValueError] = ValueError) -> list[dict[str, Any]]:
    """The JSON objects of ``path``, one a line (blank lines skipped).

    ``check`` says what a row lacks or gets wrong (None: fine); the first bad
    line raises ``error("PATH:LINE what is wrong")``.
    """
    rows = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise error(f"{path}:{n} is not JSON ({e.msg})") from None
            why = check(row) if isinstance(row, dict) else "is not a JSON object"
            if why:
                raise error(f"{path}:{n} {why}")
            rows.append(row)
    return rows
