"""Hardening, input side: no input is lost, silently replaced, allowed to hang a batch or to blow up memory.

Each test writes the files an attacker or a careless user would hand over and
checks what the user gets: every input accounted for in the ledger, good
input stored whatever sits next to it.
"""

from __future__ import annotations

import gzip
import json
import os
import socket
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from nfpaths import TEST_DATA

from newsfold.ingest import Ingester, ingest_paths

FLOOD = ("Heavy rain flooded the lower town on Sunday, and the river rose two metres overnight.\n"
         "Residents of forty houses were moved to the school hall while pumps ran until morning.")
FIRE = ("A fire destroyed a grain warehouse at the port on Monday night, the fire service said.\n"
        "Nobody was hurt; the cause is not known and an inquiry has begun.")


def _nf(db: Path, *args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "newsfold", "--db", str(db), *args], capture_output=True, text=True,
                          timeout=timeout)


def _ledger(store) -> dict[str, dict]:
    return {r["ref"]: r for r in store.ledger()}


# ---------------------------------------------------------------- 1. ids: nothing silently replaced

def test_same_file_name_in_two_folders_keeps_both_articles(store, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "story.txt").write_text(FLOOD)
    (tmp_path / "b" / "story.txt").write_text(FIRE)
    rep = ingest_paths(store, [str(tmp_path)])
    assert (rep.accepted, rep.duplicate, rep.rejected) == (2, 0, 0)
    # the first keeps the stem (as ids always were); the second is known by its path under the input folder
    assert "river rose" in store.get_article("story").text
    assert "grain warehouse" in store.get_article("b/story.txt").text
    [conflict] = rep.conflicts
    assert conflict.ref.endswith("b/story.txt") and conflict.article_id == "b/story.txt"
    assert conflict.reason == ("id conflict: 'story' already holds a different text, so this one is kept as "
                               "'b/story.txt'")
    assert _ledger(store)[conflict.ref]["reason"].startswith("id conflict")
    # the same command again adds nothing and finds no new conflict
    again = ingest_paths(store, [str(tmp_path)])
    assert (again.accepted, again.duplicate, again.conflicts) == (0, 2, [])
    assert store.count_articles() == 2


def test_index_html_in_many_folders_keeps_every_page(store, tmp_path):
    html = (TEST_DATA / "readers" / "article.html").read_text()
    places = ["Aquila", "Teramo", "Rieti"]
    for p in places:
        (tmp_path / "site" / p.lower()).mkdir(parents=True)
        (tmp_path / "site" / p.lower() / "index.html").write_text(html.replace("L'Aquila", p))
    rep = ingest_paths(store, [str(tmp_path / "site")])
    assert (rep.accepted, rep.rejected, len(rep.conflicts)) == (3, 0, 2)
    ids = sorted(a.id for a in store.list_articles())
    assert ids == ["index", "rieti/index.html", "teramo/index.html"]
    assert {p for p in places if any(p in a.text for a in store.list_articles())} == set(places)


def test_one_id_in_two_jsonl_files_with_different_texts_keeps_both(store, tmp_path):
    (tmp_path / "one.jsonl").write_text(json.dumps({"id": "x1", "text": FLOOD}) + "\n")
    (tmp_path / "two.jsonl").write_text(json.dumps({"id": "x1", "text": FIRE}) + "\n"
                                        + json.dumps({"id": "x1", "text": FLOOD}) + "\n")
    rep = ingest_paths(store, [str(tmp_path)])
    assert (rep.accepted, rep.duplicate, len(rep.conflicts)) == (2, 1, 1)
    [kept] = rep.conflicts
    assert kept.article_id.startswith("x1~") and len(kept.article_id) == len("x1~") + 8
    assert "grain warehouse" in store.get_article(kept.article_id).text
    assert "river rose" in store.get_article("x1").text
    # the second line of two.jsonl is the first file's text again: a plain duplicate
    assert _ledger(store)[f"{tmp_path / 'two.jsonl'}:2"]["outcome"] == "duplicate"
    again = ingest_paths(store, [str(tmp_path)])
    assert (again.accepted, again.duplicate) == (0, 3)


def test_strict_fails_on_an_id_conflict_and_says_which(tmp_path):
    (tmp_path / "in" / "a").mkdir(parents=True)
    (tmp_path / "in" / "b").mkdir()
    (tmp_path / "in" / "a" / "story.txt").write_text(FLOOD)
    (tmp_path / "in" / "b" / "story.txt").write_text(FIRE)
    out = _nf(tmp_path / "s.db", "add", "--no-dedup", "--strict", str(tmp_path / "in"))
    assert out.returncode == 1, out.stderr
    assert out.stdout.strip() == "2 accepted (1 under a new id after an id conflict), 0 duplicates, 0 rejected"
    assert "b/story.txt: id conflict: 'story' already holds a different text" in out.stderr
    assert "Traceback" not in out.stderr


# ---------------------------------------------------------------- 2. one bad record never stops the batch

def test_deep_json_and_huge_number_lines_are_rejected_between_good_lines(store, tmp_path):
    deep = '{"id": "deep", "text": ' + "[" * 10_000 + "]" * 10_000 + "}"
    huge = '{"id": "huge", "text": "a", "views": ' + "7" * 5_000 + "}"
    lines = [json.dumps({"id": "g1", "text": FLOOD}), deep, json.dumps({"id": "g2", "text": FIRE}), huge,
             json.dumps({"id": "g3", "text": FLOOD.replace("Sunday", "Friday")})]
    (tmp_path / "mixed.jsonl").write_text("\n".join(lines) + "\n")
    rep = ingest_paths(store, [str(tmp_path / "mixed.jsonl")])
    assert (rep.accepted, rep.rejected) == (3, 2)
    assert {a.id for a in store.list_articles()} == {"g1", "g2", "g3"}
    reasons = {e.ref.rsplit(":", 1)[1]: e.reason for e in rep.rejections}
    assert reasons == {"2": "line 2: invalid JSON (nested too deeply)",
                       "4": "line 4: invalid JSON (a number of more than 4300 digits)"}


def test_deep_json_file_is_rejected_and_the_next_file_is_read(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "deep.json").write_text('{"text": ' + "[" * 10_000 + "]" * 10_000 + "}")
    (tmp_path / "in" / "good.txt").write_text(FLOOD)
    out = _nf(tmp_path / "d.db", "add", "--no-dedup", str(tmp_path / "in"))
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr
    assert out.stdout.strip() == "1 accepted, 0 duplicates, 1 rejected"
    assert "deep.json: invalid JSON: nested too deeply" in out.stderr


def test_csv_field_over_the_limit_is_rejected_alone(store, tmp_path):
    rows = ["id,text", f'c1,"{FLOOD}"', f'c2,"{"x " * 40_000}"', f'c3,"{FIRE}"']
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
    rep = Ingester(store, max_bytes=50_000).ingest_paths([str(tmp_path / "t.csv")])
    assert store.get_article("c1") is not None and store.get_article("c3") is not None  # the rows after it too
    [bad] = rep.rejections
    assert bad.reason == "row 3: too large: over the 50,000 bytes limit for one article (raise it with --max-bytes)"


# ---------------------------------------------------------------- 3. size: every decompressed record is bounded

def write_warc_bomb(path: Path, inflated: int = 1200 << 20) -> None:
    """A .warc.gz of about 1.2 MB whose one HTML response record inflates to ``inflated`` bytes of NULs.

    Written streaming: one megabyte of zeros is deflated once (after a full
    flush the deflater starts afresh, so each megabyte deflates to the same
    bytes) and that block is written again and again; the gzip trailer's
    CRC is computed a megabyte at a time.
    """
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    head = (b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: https://bomb.example.org/\r\n"
            b"WARC-Record-ID: <urn:uuid:6c0f3c52-93d8-4c6f-8f1e-7a8f8f0b0b01>\r\nWARC-Date: 2020-01-01T00:00:00Z\r\n"
            b"Content-Type: application/http; msgtype=response\r\n"
            b"Content-Length: " + str(len(http) + inflated).encode() + b"\r\n\r\n" + http)
    tail = b"\r\n\r\n"
    chunk = b"\0" * (1 << 20)
    z = zlib.compressobj(9, zlib.DEFLATED, -15)
    crc = zlib.crc32(head)
    with open(path, "wb") as fh:
        fh.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff")  # gzip header, no name, no time
        fh.write(z.compress(head) + z.flush(zlib.Z_FULL_FLUSH))
        block = z.compress(chunk) + z.flush(zlib.Z_FULL_FLUSH)
        for _ in range(inflated // len(chunk)):
            fh.write(block)
            crc = zlib.crc32(chunk, crc)
        fh.write(z.compress(tail) + z.flush())
        fh.write(struct.pack("<II", zlib.crc32(tail, crc), (len(head) + inflated + len(tail)) & 0xFFFFFFFF))


def test_warc_bomb_is_rejected_as_too_large_in_bounded_memory(tmp_path):
    bomb = tmp_path / "in" / "bomb.warc.gz"
    bomb.parent.mkdir()
    write_warc_bomb(bomb)
    (tmp_path / "in" / "good.txt").write_text(FLOOD)
    assert bomb.stat().st_size < 2_000_000
    code = (
        "from newsfold.store.db import Store\nfrom newsfold.ingest import ingest_paths\n"
        f"s = Store({str(tmp_path / 'b.db')!r})\n"
        f"rep = ingest_paths(s, [{str(bomb.parent)!r}])\n"
        "print(rep.summary()); print(rep.rejections[0].reason)\n"
        # VmHWM: this process's own peak resident memory (ru_maxrss would carry the forking pytest's)
        "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    summary, reason, peak_kb = out.stdout.strip().splitlines()
    assert summary == "1 accepted, 0 duplicates, 1 rejected"
    assert reason == ("too large: 1258.3 MB is over the 21 MB limit for one article (raise it with --max-bytes)")
    assert int(peak_kb) < 300 * 1024


def test_gzip_jsonl_line_over_the_limit_is_skipped_without_being_held(store, tmp_path):
    path = tmp_path / "big.jsonl.gz"
    with gzip.open(path, "wb", compresslevel=1) as fh:
        fh.write((json.dumps({"id": "before", "text": FLOOD}) + "\n").encode())
        fh.write(b'{"id": "huge", "text": "')
        for _ in range(30):
            fh.write(b"word " * 200_000)  # 30 MB in one line
        fh.write(b'"}\n')
        fh.write((json.dumps({"id": "after", "text": FIRE}) + "\n").encode())
    rep = Ingester(store, max_bytes=1_000_000).ingest_paths([str(path)])
    assert {a.id for a in store.list_articles()} == {"before", "after"}
    [bad] = rep.rejections
    assert bad.reason == ("line 2: too large: 30.0 MB is over the 1 MB limit for one article "
                          "(raise it with --max-bytes)")


def test_json_list_record_over_the_limit_is_rejected_and_the_others_stored(store, tmp_path):
    recs = [{"id": "j1", "text": FLOOD}, {"id": "big", "text": "The storm moved north. " * 3000},
            {"id": "j2", "text": FIRE}]
    (tmp_path / "list.json").write_text(json.dumps(recs))
    rep = Ingester(store, max_bytes=20_000).ingest_paths([str(tmp_path / "list.json")])
    assert {a.id for a in store.list_articles()} == {"j1", "j2"}
    assert [e.reason for e in rep.rejections] == [
        "too large: 69,000 bytes are over the 20,000 bytes limit for one article (raise it with --max-bytes)"]


def test_feed_entry_over_the_limit_is_rejected(store, tmp_path):
    long = "The storm moved north. " * 3000
    feed = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>'
            f"<item><title>Short one</title><description>{FLOOD}</description></item>"
            f"<item><title>Long one</title><description>{long}</description></item></channel></rss>")
    (tmp_path / "f.rss").write_text(feed)
    rep = Ingester(store, max_bytes=20_000).ingest_paths([str(tmp_path / "f.rss")])
    assert rep.accepted == 1
    size = len(long.strip())  # feedparser drops the trailing space
    assert rep.rejections[0].reason.startswith(f"too large: {size:,} bytes are over the 20,000 bytes limit")


# ---------------------------------------------------------------- 4. only regular files are read

def test_fifo_among_inputs_is_rejected_without_hanging(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    os.mkfifo(folder / "a-pipe.txt")  # sorts before the good file: a reader that opens it blocks forever
    (folder / "b-good.txt").write_text(FLOOD)
    out = _nf(tmp_path / "f.db", "add", "--no-dedup", str(folder), str(folder / "a-pipe.txt"), timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "1 accepted, 0 duplicates, 2 rejected"
    assert out.stderr.count("a-pipe.txt: not a regular file: a FIFO (named pipe)") == 2


def test_socket_in_a_folder_is_rejected(store, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(folder / "s.sock"))
        rep = ingest_paths(store, [str(folder)])
    finally:
        sock.close()
    assert [e.reason for e in rep.rejections] == ["not a regular file: a socket"]


def test_dangling_symlink_gets_a_rejected_entry(store, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "gone.txt").symlink_to(tmp_path / "deleted.txt")
    (folder / "good.txt").write_text(FLOOD)
    rep = ingest_paths(store, [str(folder), str(folder / "gone.txt")])
    assert rep.accepted == 1
    assert [e.reason for e in rep.rejections] == ["broken symbolic link: its target does not exist"] * 2


def _folder_linking_outside(tmp_path: Path) -> tuple[Path, Path]:
    """``in/`` with one article and ``passwd.txt``, a link to ``outside/secret.txt`` (another article)."""
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text(FIRE)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text(FLOOD)
    (folder / "passwd.txt").symlink_to(secret)
    return folder, secret


def test_symlink_leaving_the_input_folder_is_not_followed_unless_asked(store, tmp_path):
    folder, secret = _folder_linking_outside(tmp_path)
    (folder / "elsewhere").symlink_to(secret.parent, target_is_directory=True)
    (folder / "same.txt").symlink_to(folder / "good.txt")  # inside the folder: read
    rep = ingest_paths(store, [str(folder)])
    assert sorted(a.id for a in store.list_articles()) == ["good", "same"]
    assert not any("grain warehouse" in a.text for a in store.list_articles())
    assert sorted(e.reason for e in rep.rejections) == [
        "symbolic link to a file outside the input folder: not followed (add --follow-symlinks to read it)",
        "symbolic link to a folder outside the input folder: not followed (add --follow-symlinks to read it)"]
    out = _nf(tmp_path / "l.db", "add", "--no-dedup", "--follow-symlinks", str(folder))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "4 accepted, 0 duplicates, 0 rejected"  # the secret as passwd and secret


def test_a_glob_through_a_linked_folder_outside_the_root_is_refused_unless_asked(store, tmp_path):
    folder, secret = _folder_linking_outside(tmp_path)
    (folder / "desk").mkdir()
    (folder / "desk" / "own.txt").write_text(FLOOD.replace("Sunday", "Friday"))
    (folder / "elsewhere").symlink_to(secret.parent, target_is_directory=True)
    rep = ingest_paths(store, [f"{folder}/*/*"])
    assert [a.id for a in store.list_articles()] == ["own"]
    [refused] = rep.rejections
    assert refused.ref.endswith("elsewhere/secret.txt")
    assert refused.reason == ("file reached through a symbolic link to a folder outside the input folder: not "
                              "followed (add --follow-symlinks to read it)")
    followed = Ingester(store, follow_symlinks=True).ingest_paths([f"{folder}/*/*"])
    assert followed.accepted == 1 and "grain warehouse" in store.get_article("secret").text


def test_fold_follows_symlinks_out_of_the_folder_only_when_asked(tmp_path):
    folder, _ = _folder_linking_outside(tmp_path)

    def folded(*flags: str) -> dict:
        out = _nf(tmp_path / f"fold{len(flags)}.db", "fold", "--encoder", "none", "--json", *flags, str(folder))
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    plain = folded()
    assert sum(len(s["article_ids"]) for s in plain["stories"]) == 1
    assert [r["outcome"] for r in plain["rejected"]] == ["rejected"]
    assert "--follow-symlinks" in plain["rejected"][0]["reason"]
    followed = folded("--follow-symlinks")
    assert sum(len(s["article_ids"]) for s in followed["stories"]) == 2 and followed["rejected"] == []


# ---------------------------------------------------------------- 7. smaller input defects

@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_files_with_a_byte_order_mark_are_read(store, tmp_path, codec):
    text = "Floods in Zürich\n" + FLOOD.replace("town", "Ölten town")
    data = text.encode(codec)
    if codec == "utf-16-be":
        data = b"\xfe\xff" + data
    (tmp_path / "wide.txt").write_bytes(data)
    rep = ingest_paths(store, [str(tmp_path / "wide.txt")])
    assert rep.accepted == 1, rep.rejections
    a = store.get_article("wide")
    assert a.title == "Floods in Zürich" and "Ölten town" in a.text


@pytest.mark.parametrize("codec", ["utf-16", "utf-32"])
def test_a_utf16_jsonl_file_gives_one_entry_per_record(store, tmp_path, codec):
    recs = [{"id": "w1", "text": "Floods in Zürich\n" + FLOOD}, {"id": "w2", "text": FIRE}]
    (tmp_path / "wide.jsonl").write_bytes(("\n".join(json.dumps(r, ensure_ascii=False) for r in recs) + "\n")
                                          .encode(codec))
    rep = ingest_paths(store, [str(tmp_path / "wide.jsonl")])
    assert (rep.accepted, rep.rejected) == (2, 0), rep.rejections
    assert "Zürich" in store.get_article("w1").text and len(store.ledger()) == 2


def test_feed_entities_are_decoded_exactly_once(store, tmp_path):
    feed = ('<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title><item>'
            "<title>AT&amp;T results</title><guid>att-1</guid>"
            "<description>AT&amp;T said profits rose 5% in the quarter, and R&amp;D spending fell.</description>"
            "</item></channel></rss>")
    (tmp_path / "f.rss").write_text(feed)
    rep = ingest_paths(store, [str(tmp_path / "f.rss")])
    assert rep.accepted == 1
    a = store.get_article("att-1")
    assert a.title == "AT&T results"
    assert a.text == "AT&T said profits rose 5% in the quarter, and R&D spending fell."


def test_nan_and_non_text_values_are_rejected_with_a_reason(store, tmp_path):
    lines = ['{"id": "n1", "text": NaN}', '{"id": "n2", "text": {"body": "x"}}', '{"id": "n3", "text": ["x"]}',
             '{"id": "n4", "text": "Fine text.", "title": {"a": 1}}', '{"id": "n5", "text": Infinity}',
             json.dumps({"id": 7, "text": FLOOD})]
    (tmp_path / "odd.jsonl").write_text("\n".join(lines) + "\n")
    rep = ingest_paths(store, [str(tmp_path / "odd.jsonl")])
    assert [a.id for a in store.list_articles()] == ["7"]  # a number is a fine id
    assert [e.reason for e in rep.rejections] == [
        "line 1: invalid JSON (NaN is not a JSON value)",
        "field 'text' must be a string, not an object",
        "field 'text' must be a string, not a list",
        "field 'title' must be text or a number, not an object",
        "line 5: invalid JSON (Infinity is not a JSON value)"]


def test_nul_and_other_control_characters_are_stripped_and_recorded(store, tmp_path):
    rec = {"id": "ctl", "title": "Flood\u0000 warning\u001b]0;owned\u0007",
           "outlet": "Wire\u001b[31m", "text": "Heavy rain\u0000 flooded the lower town.\tTwo metres.\n" + FIRE}
    (tmp_path / "c.jsonl").write_text(json.dumps(rec) + "\n")
    ingest_paths(store, [str(tmp_path / "c.jsonl")])
    a = store.get_article("ctl")
    for value in (a.title, a.outlet, a.text):
        assert not any(ord(ch) < 32 and ch not in "\n\t" for ch in value), repr(value)
    assert a.title == "Flood warning]0;owned" and a.outlet == "Wire[31m"
    assert a.text.startswith("Heavy rain flooded the lower town. Two metres.")  # (tabs become spaces)
    removed = [(r.line, r.reason) for r in a.removed if r.reason == "control characters removed"]
    assert removed == [("Heavy rain␀ flooded the lower town.\tTwo metres.", "control characters removed"),
                       ("title: Flood␀ warning␛]0;owned␇", "control characters removed"),
                       ("outlet: Wire␛[31m", "control characters removed")]


# ---------------------------------------------------------------- the web ingest

def test_web_bad_bodies_are_a_clear_400_and_uploads_reject_per_record(tmp_path):
    from fastapi.testclient import TestClient

    from newsfold.present.web import create_app
    from newsfold.present.web.jobs import IngestOutcome

    def ingest(store, paths, progress):  # the library's ingest, in the server's thread
        return IngestOutcome(run_ids=[Ingester(store).ingest_paths([str(p) for p in paths]).run_id])

    token = "t0ken"
    auth = {"Authorization": f"Bearer {token}"}
    deep = "[" * 10_000 + "]" * 10_000
    app = create_app(str(tmp_path / "w.db"), token=token, ingest=ingest, upload_dir=tmp_path / "up")
    with TestClient(app, raise_server_exceptions=False, base_url="http://localhost") as client:
        for body, says in [('{"text": ' + deep + "}", "nested too deeply"),
                           ('{"text": "a", "n": ' + "9" * 5000 + "}", "more than 4300 digits"),
                           ('{"text": NaN}', "NaN is not a JSON value"),
                           ('{"text": "ok"}\n{"text": ' + deep + "}", "line 2 is not JSON (nested too deeply)")]:
            r = client.post("/api/articles", content=body.encode(), headers=auth)
            assert r.status_code == 400, (r.status_code, r.text[:300])
            assert says in r.json()["error"]
        jsonl = "\n".join([json.dumps({"id": "w1", "text": FLOOD}), '{"id": "wd", "text": ' + deep + "}",
                           json.dumps({"id": "w2", "text": FIRE})]) + "\n"
        r = client.post("/add", files={"files": ("mixed.jsonl", jsonl.encode())}, data={"token": token},
                        follow_redirects=False)
        assert r.status_code == 303
        api = "/api" + r.headers["location"]
        deadline = time.monotonic() + 60
        while (job := client.get(api).json())["status"] not in ("done", "failed") and time.monotonic() < deadline:
            time.sleep(0.05)
    assert job["status"] == "done", job
    assert job["ledger"]["counts"] == {"accepted": 2, "rejected": 1}
    [bad] = [e for e in job["ledger"]["entries"] if e["outcome"] == "rejected"]
    assert bad["reason"] == "line 2: invalid JSON (nested too deeply)"

