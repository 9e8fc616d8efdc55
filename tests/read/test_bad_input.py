"""Bad input: a clear ledger reason, never a traceback, never taking good input down."""

from __future__ import annotations

import json
import subprocess
import sys
import zlib

import pytest
from nfpaths import EXAMPLES, TEST_DATA

from newsfold.ingest import Ingester, ingest_paths


def _reasons(store) -> dict[str, str]:
    return {r["ref"].rsplit("/", 1)[-1]: r["reason"] for r in store.ledger(outcome="rejected")}


def test_each_bad_file_gets_its_reason_and_good_files_still_land(store, tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_text("   \n\n  \n")
    png = b"\x89PNG\r\n\x1a\n" + zlib.compress(b"\x00" * 1000)
    (tmp_path / "picture.txt").write_bytes(png)
    import random

    rnd = random.Random(7)
    (tmp_path / "latin.txt").write_bytes(bytes(rnd.randrange(128, 256) for _ in range(4000)))
    (tmp_path / "notext.json").write_text(json.dumps({"title": "Only a title", "url": "https://x.example/a"}))
    (tmp_path / "badjson.json").write_text('{"text": "unterminated')
    (tmp_path / "login.html").write_text((TEST_DATA / "readers" / "nothing.html").read_text())
    (tmp_path / "good.txt").write_text((EXAMPLES / "000_72897a8d1972ae6a.txt").read_text())
    rep = ingest_paths(store, [str(tmp_path)])
    reasons = _reasons(store)
    assert reasons["empty.txt"] == "empty"
    assert reasons["blank.txt"] == "empty"
    assert reasons["picture.txt"] == "not text: looks like a PNG image"
    assert reasons["latin.txt"] == "not UTF-8 and no charset found"
    assert reasons["notext.json"] == "record has no 'text' or 'html' field"
    assert reasons["badjson.json"].startswith("invalid JSON: Unterminated string")
    assert reasons["login.html"].startswith("no article text found in HTML")
    assert (rep.accepted, rep.duplicate, rep.rejected) == (1, 0, 7)
    assert store.get_article("good").outlet == "AFP"


def test_jsonl_with_one_broken_line_keeps_all_good_lines(store, tmp_path):
    lines = [json.dumps({"id": f"g{i}", "text": f"Good article number {i} about a flood in the valley."})
             for i in range(5)]
    lines.insert(2, '{"id": "broken", "text": "no closing quote}')
    (tmp_path / "mixed.jsonl").write_text("\n".join(lines) + "\n")
    rep = ingest_paths(store, [str(tmp_path / "mixed.jsonl")])
    assert (rep.accepted, rep.rejected) == (5, 1)
    [bad] = store.ledger(outcome="rejected")
    assert bad["ref"].endswith("mixed.jsonl:3")
    assert bad["reason"].startswith("line 3: invalid JSON")
    assert {a.id for a in store.list_articles()} == {f"g{i}" for i in range(5)}


def test_truncated_warc_gz_keeps_records_before_the_break(store, tmp_path):
    from test_readers import _warc_bytes

    html = (TEST_DATA / "readers" / "article.html").read_text()
    pages = [(f"https://crawl.example.org/{i}", html.replace("Magnitude 6.1", f"Magnitude 6.{i}")) for i in range(3)]
    data = _warc_bytes(pages)
    path = tmp_path / "cut.warc.gz"
    path.write_bytes(data[: int(len(data) * 0.8)])
    rep = ingest_paths(store, [str(path)])
    assert rep.accepted >= 1
    assert rep.rejected == 1
    [bad] = store.ledger(outcome="rejected")
    assert "truncated or corrupt" in bad["reason"] or "truncated" in bad["reason"]


def test_50mb_text_file_is_refused_without_reading_it(tmp_path):
    """The file is over the per-article limit: rejected with the size, in bounded memory."""
    big = tmp_path / "huge.txt"
    with open(big, "wb") as fh:
        line = b"All work and no play makes a very long news article indeed. " * 16 + b"\n"
        for _ in range(50 * 1024 * 1024 // len(line) + 1):
            fh.write(line)
    code = (
        "import sys\n"
        "from newsfold.store.db import Store\nfrom newsfold.ingest import ingest_paths\n"
        f"s = Store({str(tmp_path / 'b.db')!r})\n"
        f"rep = ingest_paths(s, [{str(big)!r}])\n"
        "print(rep.summary()); print(s.ledger()[0]['reason'])\n"
        # VmHWM: this process's own peak (ru_maxrss would carry the forking pytest's peak)
        "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    summary, reason, maxrss_kb = out.stdout.strip().splitlines()
    assert summary == "0 accepted, 0 duplicates, 1 rejected"
    assert reason.startswith("too large: 52.4 MB is over the 21 MB limit")
    assert int(maxrss_kb) < 400 * 1024  # the 50 MB were never loaded (interpreter + libraries only)


def test_big_file_under_a_raised_limit_is_processed(store, tmp_path):
    big = tmp_path / "long.txt"
    big.write_text("A long report on the harvest.\n" + "The harvest was large this year in every valley. " * 60000)
    rep = Ingester(store, max_bytes=50 * 1024 * 1024).ingest_paths([str(big)])
    assert rep.accepted == 1


def test_missing_path_is_a_ledger_entry_not_a_crash(store, tmp_path):
    rep = ingest_paths(store, [str(tmp_path / "nope.txt"), str(EXAMPLES / "001_99501aa1479f7920.txt")])
    assert (rep.accepted, rep.rejected) == (1, 1)
    assert rep.rejections[0].reason == "no such file or directory"


def test_cli_reports_counts_and_strict_exit_code(tmp_path):
    (tmp_path / "db").mkdir()
    db = str(tmp_path / "db" / "c.db")
    tmp_path = tmp_path / "in"
    tmp_path.mkdir()
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "ok.txt").write_text((EXAMPLES / "003_3182c1616ae321b1.txt").read_text())
    base = [sys.executable, "-m", "newsfold", "--db", db, "add", "--no-dedup"]
    out = subprocess.run(base + [str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0
    assert out.stdout.strip().endswith("1 accepted, 0 duplicates, 1 rejected")
    assert "empty.txt: empty" in out.stderr
    out = subprocess.run(base + ["--strict", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 1
    assert "0 accepted, 1 duplicates, 1 rejected" in out.stdout
    out = subprocess.run([sys.executable, "-m", "newsfold", "--db", db, "ledger", "--rejected", "--json"],
                         capture_output=True, text=True, timeout=60)
    rows = json.loads(out.stdout)
    assert len(rows) == 2 and all(r["reason"] == "empty" for r in rows)
