"""A store that is full, damaged, locked or read-only: one line that says what to do, never a traceback.

And ``newsfold check``: integrity, foreign keys, the ledger and story counts;
exit 1 on a damaged store.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from nfpaths import EXAMPLES

from newsfold.present.cli.errors import explain
from newsfold.store.db import Store


def _nf(db: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "newsfold", "--db", str(db), *args], capture_output=True, text=True,
                          timeout=120)


@pytest.fixture()
def seeded(tmp_path) -> Path:
    db = tmp_path / "s.db"
    assert _nf(db, "add", "--no-dedup", str(EXAMPLES)).returncode == 0
    return db


def _overwrite_pages(db: Path, first: int = 1) -> None:
    """Overwrite every page of ``db`` from page ``first`` on (0 is the header page) with junk."""
    size = db.stat().st_size
    with open(db, "r+b") as fh:
        fh.seek(4096 * first)
        fh.write(b"\xee" * (size - 4096 * first))


def test_check_says_ok_on_a_sound_store_and_damaged_on_overwritten_pages(seeded):
    ok = _nf(seeded, "check")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.splitlines()[0] == ("5 inputs: 5 accepted, 0 duplicates, 0 rejected; 5 articles, 0 in 0 stories, "
                                         "0 not placeable; 0 briefings")
    assert ok.stdout.strip().endswith(f"{seeded}: ok")
    _overwrite_pages(seeded, 2)
    bad = _nf(seeded, "check")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert "damaged" in bad.stdout and bad.stderr.strip()


def test_check_without_a_store_says_where_it_looked(tmp_path):
    out = _nf(tmp_path / "none.db", "check")
    assert out.returncode == 1 and out.stderr.strip().startswith(f"Error: no store at {tmp_path / 'none.db'}")
    assert not (tmp_path / "none.db").exists()  # check never creates one


@pytest.mark.parametrize("args", [("stories",), ("story", "s000001"), ("articles",), ("article", "000"), ("ledger",),
                                  ("report",), ("summarize",), ("dedup",), ("stories", "--format", "csv")])
def test_a_read_on_a_missing_store_says_how_to_make_one_and_creates_nothing(tmp_path, args):
    out = _nf(tmp_path / "none.db", *args)
    assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr
    assert f"no store at {tmp_path / 'none.db'}" in out.stderr and "add PATH..." in out.stderr
    assert list(tmp_path.iterdir()) == []  # no store, no lock file


def test_check_finds_a_broken_foreign_key(seeded):
    with sqlite3.connect(seeded) as c:  # foreign keys off in this connection, as in a store written by a bug
        c.execute("INSERT INTO story_articles (article_id, story_id) VALUES ('gone', 's404')")
    out = _nf(seeded, "check")
    assert out.returncode == 1
    assert "foreign key: story_articles row" in out.stderr


@pytest.mark.parametrize("command", [("stories",), ("articles",), ("story", "s000001"), ("dedup",),
                                     ("add", "--no-dedup", str(EXAMPLES / "000_72897a8d1972ae6a.txt"))])
def test_commands_on_a_damaged_store_say_so_in_one_line(seeded, command):
    _overwrite_pages(seeded)
    out = _nf(seeded, *command)
    assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr
    assert out.stderr.strip() == ("Error: the store is damaged (database disk image is malformed): restore a copy, "
                                  "or run `newsfold check` to see what is wrong")


def test_a_full_disk_during_add_is_one_line_and_keeps_what_was_stored(tmp_path, monkeypatch, capsys):
    from newsfold.present.cli import common, main

    db = tmp_path / "full.db"
    with Store(db) as s:
        pages = s.conn.execute("PRAGMA page_count").fetchone()[0]
    real = common.Context.store

    def small_disk(self, *, write=False, create=False):  # SQLite's own "database or disk is full", as on a full disk
        store = real(self, write=write, create=create)
        store.conn.execute(f"PRAGMA max_page_count = {pages + 2}")
        return store

    monkeypatch.setattr(common.Context, "store", small_disk)
    monkeypatch.setattr(sys, "argv", ["newsfold", "--db", str(db), "add", "--no-dedup", str(EXAMPLES)])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert err.strip().startswith("Error: the disk holding the store is full (database or disk is full): free some "
                                  "space and run the command again")
    with Store(db) as s:
        assert s.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_locked_and_read_only_stores_and_os_errors_are_explained(tmp_path):
    db = tmp_path / "l.db"
    Store(db).close()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(sqlite3.OperationalError) as locked:
            sqlite3.connect(db, timeout=0, isolation_level=None).execute("BEGIN IMMEDIATE")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert explain(locked.value).startswith("the store is locked by another process (database is locked)")
    ro = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    with pytest.raises(sqlite3.OperationalError) as readonly:
        ro.execute("INSERT INTO ledger (run_id, ref, outcome) VALUES ('r', 'x', 'accepted')")
    assert explain(readonly.value).startswith("the store cannot be written (attempt to write a readonly database)")
    full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/data/report.html")
    assert explain(full) == "no space left on the disk (/data/report.html): free some space and run the command again"
    assert explain(ValueError("a bug")) is None


@pytest.mark.parametrize("error", ["LocalRayletDiedError", "GetTimeoutError"])
def test_a_ray_node_dying_during_batch_fold_is_one_line(tmp_path, monkeypatch, error):
    exceptions = pytest.importorskip("ray.exceptions")
    from click.testing import CliRunner

    from newsfold.present.cli import cli
    from newsfold.present.cli import engine as engine_cli

    class DyingCluster:  # what the Ray engine raises when its node goes away mid-run
        def fold(self, *args, **kwargs):
            raise getattr(exceptions, error)()

        def close(self) -> None:
            pass

    monkeypatch.setattr(engine_cli, "make_engine", lambda *a, **k: DyingCluster())
    out = CliRunner().invoke(cli, ["--db", str(tmp_path / "r.db"), "batch", "fold", "--engine", "ray",
                                   str(EXAMPLES)])
    assert out.exit_code == 1 and not isinstance(out.exception, exceptions.RayError), out.output
    assert f"Error: the Ray run failed ({error}" in out.output and "`ray status`" in out.output
