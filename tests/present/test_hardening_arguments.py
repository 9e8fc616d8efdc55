"""Arguments and settings are checked before any work: a bad one is a usage error (exit 2) with what is allowed.

Each case once ended in a traceback, or after the articles were stored
(``--setting dedup_threshold 2`` left them with no stories).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from nfpaths import EXAMPLES

from newsfold.pipeline import SETTINGS_BY_NAME


def _nf(db: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "newsfold", "--db", str(db), *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd)


@pytest.mark.parametrize("name,value", [("dedup_threshold", "2"), ("dedup_threshold", "0"),
                                        ("dedup_containment", "-0.5"), ("dedup_threshold", "nan"),
                                        ("dedup_containment", "inf"), ("quiet_days", "-3"),
                                        ("summary_words", "0")])
def test_out_of_range_settings_are_refused(name, value):
    with pytest.raises(ValueError, match=name):
        SETTINGS_BY_NAME[name].parse(value)


def test_a_bad_setting_stops_add_before_anything_is_stored(tmp_path):
    db = tmp_path / "s.db"
    out = _nf(db, "add", "--setting", "dedup_threshold", "2", str(EXAMPLES))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "dedup_threshold must be more than 0 and at most 1, not '2'" in out.stderr
    assert not db.exists()  # no store was even opened


@pytest.mark.parametrize("args", [("stories", "--page", "99999999999999999999"), ("stories", "--page", "0"),
                                  ("articles", "--limit", "99999999999999999999"), ("articles", "--offset", "-1"),
                                  ("ledger", "--limit", "-5"), ("stories", "--min-size", "99999999999999999999"),
                                  ("add", "--batch-size", "0", "x.txt"), ("add", "--max-bytes", "0", "x.txt")])
def test_numbers_out_of_range_are_usage_errors(tmp_path, args):
    out = _nf(tmp_path / "n.db", *args)
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr and "is not in the range" in out.stderr


def test_report_output_must_be_writable_and_dash_is_stdout(tmp_path):
    from newsfold.store.db import Store

    db = tmp_path / "r.db"
    Store(db).close()  # an empty store: its report is a page with no stories
    missing = _nf(db, "report", "-o", str(tmp_path / "missing" / "r.html"))
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert "the folder" in missing.stderr and "does not exist" in missing.stderr
    folder = _nf(db, "report", "-o", str(tmp_path))
    assert folder.returncode == 2 and "is a folder" in folder.stderr
    dash = _nf(db, "report", "--format", "md", "-o", "-", cwd=tmp_path)
    assert dash.returncode == 0 and dash.stdout.startswith("# newsfold report")
    assert not (tmp_path / "-").exists()
    if Path("/dev/full").exists():
        full = _nf(db, "report", "-o", "/dev/full")
        assert full.returncode == 1 and "Traceback" not in full.stderr
        assert "cannot write /dev/full: No space left on device" in full.stderr
