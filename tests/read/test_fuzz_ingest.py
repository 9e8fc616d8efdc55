"""Seeded fuzz: over 10,000 records, good and mutated, through every record reader; full accounting.

JSONL lines, CSV rows, RSS items and HTML files are written from news-like
sentences, each good one carrying a marker no other record has; a share of
them is mutated (lone surrogates, bytes that are not UTF-8, broken or deep
JSON, numbers too large, wrong field types, records over the size limit,
random byte flips, exact repeats).  The ingest must end without an
exception, give every record exactly one ledger entry, store every good
record (its text, current or kept as a version, holds its marker), reject
every record that is bad by construction and record every repeat as a
duplicate.  The generator is seeded: a failure names a record that can be
written again.
"""

from __future__ import annotations

import csv
import io
import json
import random
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from newsfold.ingest import Ingester
from newsfold.store.versions import versions

SEED = 19
MAX_BYTES = 20_000
PLACES = ["Ancona", "Bari", "Como", "Enna", "Fermo", "Lecce", "Lodi", "Massa", "Nuoro", "Prato", "Rieti", "Siena"]
EVENTS = ["a bus overturned on the ring road", "a gas leak closed the main square", "a bridge was shut for repairs",
          "a market hall caught fire", "the river burst its banks", "a train derailed outside the station",
          "a factory roof collapsed", "the council approved a new budget"]
WHO = ["police", "the fire service", "the mayor's office", "the regional health agency", "witnesses"]
SECOND = ["Nobody was hurt, {who} said, and an inquiry has begun.",
          "Two people were taken to hospital with minor injuries, according to {who}.",
          "Traffic was diverted for most of the afternoon while crews worked at the site.",
          "Residents were asked to keep their windows closed until the evening."]


@dataclass
class Record:
    ref: str
    kind: str  # good, dup, bad, maybe (a random flip: any outcome, but one entry)
    marker: str = ""


def _text(rng: random.Random, marker: str) -> str:
    place, event, who = rng.choice(PLACES), rng.choice(EVENTS), rng.choice(WHO)
    return (f"In {place} on {rng.choice(['Monday', 'Tuesday', 'Friday'])}, {event}, {who} said in bulletin {marker}.\n"
            + rng.choice(SECOND).format(who=who))


def _jsonl(rng: random.Random, path: Path, n: int, records: list[Record], serial: list[int]) -> None:
    lines: list[bytes] = []
    goods: list[bytes] = []
    for _ in range(n):
        serial[0] += 1
        k = serial[0]
        marker = f"NF{k:06d}"
        rec = {"id": f"j{k}", "url": f"https://news.example.org/{k}", "title": f"Bulletin {k}",
               "text": _text(rng, marker), "outlet": rng.choice(["Example News", "The Daily", "Radio Nord"])}
        roll = rng.random()
        ref = f"{path}:{len(lines) + 1}"
        if roll < 0.55:
            if rng.random() < 0.3:  # good, with odd but valid content
                rec["text"] = rng.choice(["\x1b[31m", "\x00", "😀 ", "&amp; ", "\u202e", "\t"]) + rec["text"]
                rec["extra"] = rng.choice([{"a": [1, 2.5, None]}, 17, "x", [True, False]])
            line = json.dumps(rec, ensure_ascii=rng.random() < 0.5).encode()
            goods.append(line)
            records.append(Record(ref, "good", marker))
        elif roll < 0.6 and goods:
            line = rng.choice(goods)
            records.append(Record(ref, "dup"))
        elif roll < 0.85:
            line = _bad_json(rng, rec)
            records.append(Record(ref, "bad"))
        else:
            data = bytearray(json.dumps(rec).encode())
            for _ in range(rng.randint(1, 4)):
                data[rng.randrange(len(data))] = rng.choice([b for b in range(256) if b != 0x0A])
            line = bytes(data)
            records.append(Record(ref, "maybe"))
        lines.append(line)
    path.write_bytes(b"\n".join(lines) + b"\n")


def _bad_json(rng: random.Random, rec: dict) -> bytes:
    """A line that must be rejected."""
    kind = rng.randrange(13)
    if kind == 0:
        return json.dumps({**rec, "text": rec["text"] + " \ud800"}).encode()  # the escape \ud800
    if kind == 1:
        return json.dumps(rec, ensure_ascii=False).encode().replace(b" said", b" \xed\xa0\x80said", 1)
    if kind == 2:
        return json.dumps(rec).encode().replace(b" said", b" \xff\xfesaid", 1)
    if kind == 3:
        return json.dumps(rec).encode()[: rng.randint(1, 40)].rstrip(b"\n")
    if kind == 4:
        return b'{"id": "deep", "text": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    if kind == 5:
        return json.dumps(rec).encode()[:-1] + b', "views": ' + b"9" * 5000 + b"}"
    if kind == 6:
        return json.dumps(rec).encode()[:-1] + b', "views": 1e999}'
    if kind == 7:
        return json.dumps(rec).encode()[:-1] + b', "score": NaN}'
    if kind == 8:
        return json.dumps({**rec, "text": rng.choice([[rec["text"]], {"body": rec["text"]}, 42, True])}).encode()
    if kind == 9:
        return json.dumps({**rec, "text": rng.choice(["", "   ", "\n\n"])}).encode()
    if kind == 10:
        return json.dumps({k: v for k, v in rec.items() if k != "text"}).encode()
    if kind == 11:
        return json.dumps({**rec, "text": "words " * (MAX_BYTES // 5)}).encode()
    return json.dumps(rng.choice([[rec], rec["text"], 3.5, None])).encode()


def _csv(rng: random.Random, path: Path, n: int, records: list[Record], serial: list[int]) -> None:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["id", "title", "text", "outlet"])
    bad_bytes: dict[str, bytes] = {}
    for i in range(n):
        serial[0] += 1
        k = serial[0]
        marker = f"NF{k:06d}"
        text, ref = _text(rng, marker), f"{path}:{i + 2}"
        roll = rng.random()
        if roll < 0.75:
            records.append(Record(ref, "good", marker))
        elif roll < 0.85:
            token = f"@@BAD{k}@@"
            bad_bytes[token] = rng.choice([b"\xff", b"\xed\xa0\x80", b"caf\xe9"])
            text = text.replace(" said", f" {token} said", 1)
            records.append(Record(ref, "bad"))
        elif roll < 0.95:
            text = rng.choice(["", "   ", "x " * (MAX_BYTES // 2 + 10)])
            records.append(Record(ref, "bad"))
        else:
            text = text.replace(" ", rng.choice(["\x00 ", " \x1b[2J", "\t "]), 1)
            records.append(Record(ref, "good", marker))
        w.writerow([f"c{k}", f"Row {k}", text, rng.choice(["Example News", "The Daily"])])
    data = out.getvalue().encode()
    for token, raw in bad_bytes.items():
        data = data.replace(token.encode(), raw)
    path.write_bytes(data)


def _feed(rng: random.Random, path: Path, n: int, records: list[Record], serial: list[int]) -> None:
    items = []
    huge = False
    for i in range(n):
        serial[0] += 1
        k = serial[0]
        marker = f"NF{k:06d}"
        desc = _text(rng, marker).replace("&", "&amp;").replace("<", "&lt;")
        roll = rng.random()
        kind = "good"
        if roll < 0.1:
            desc = desc.replace(" said", rng.choice([" &#xD800; said", " &#57343; said"]), 1)
            kind = "bad"
        elif roll < 0.2:
            desc = rng.choice(["", "   "])
            kind = "bad"
        elif roll < 0.25 and not huge:
            huge = True
            desc = "words " * (MAX_BYTES // 6 + 100)  # one entry over the limit (the file stays under its own)
            kind = "bad"
        elif roll < 0.4:
            desc = f"&lt;p&gt;{desc}&lt;/p&gt;&lt;p&gt;Photo: {rng.choice(WHO)}&lt;/p&gt;"
        records.append(Record(f"{path}#{i}", kind, marker if kind == "good" else ""))
        items.append(f"<item><title>Item {k}</title><link>https://feed.example.org/{k}</link>"
                     f'<guid isPermaLink="false">g{k}</guid><description>{desc}</description></item>')
    path.write_text('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Feed</title>'
                    + "".join(items) + "</channel></rss>", encoding="utf-8")


def _html(rng: random.Random, folder: Path, n: int, records: list[Record], serial: list[int]) -> None:
    for _ in range(n):
        serial[0] += 1
        k = serial[0]
        marker = f"NF{k:06d}"
        path = folder / f"page{k}.html"
        paras = "".join(f"<p>{_text(rng, marker if j == 0 else f'x{k}-{j}')} The report was filed at {j + 8} o'clock "
                        f"and updated later in the day with more details from the scene.</p>" for j in range(4))
        page = (f"<!doctype html><html><head><title>Bulletin {k}</title></head><body><nav><a href='/'>Home</a></nav>"
                f"<article><h1>Bulletin {k}</h1>{paras}</article><footer>© Example News</footer></body></html>")
        roll = rng.random()
        if roll < 0.7:
            path.write_text(page, encoding="utf-8")
            records.append(Record(str(path), "good", marker))
            continue
        kind = rng.randrange(5)
        data = [page.encode()[: rng.randint(0, 60)], bytes(rng.randrange(256) for _ in range(300)), b"",
                b"<html><body><nav>" + b"<a href='/x'>link</a>" * 50 + b"</nav></body></html>",
                b"<html><body>" + b"<script>var a = 1;</script>" * 20 + b"</body></html>"][kind]
        path.write_bytes(data)
        records.append(Record(str(path), "bad"))


@pytest.mark.slow
def test_ten_thousand_mutated_records_are_each_accounted_for(store, tmp_path):
    rng = random.Random(SEED)
    records: list[Record] = []
    serial = [0]
    (tmp_path / "in" / "pages").mkdir(parents=True)
    for i in range(4):
        _jsonl(rng, tmp_path / "in" / f"part{i}.jsonl", 1500, records, serial)
    for i in range(2):
        _csv(rng, tmp_path / "in" / f"rows{i}.csv", 1000, records, serial)
    for i in range(20):
        _feed(rng, tmp_path / "in" / f"feed{i}.rss", 100, records, serial)
    _html(rng, tmp_path / "in" / "pages", 150, records, serial)
    assert len(records) >= 10_000

    start = time.perf_counter()
    rep = Ingester(store, max_bytes=MAX_BYTES).ingest_paths([str(tmp_path / "in")])
    elapsed = time.perf_counter() - start

    ledger = store.ledger()
    by_ref = Counter(r["ref"] for r in ledger)
    missing = [r for r in records if r.ref not in by_ref][:5]
    extra = [(ref, entry_) for ref, entry_ in ((r["ref"], r) for r in ledger) if ref not in {r.ref for r in records}][:5]
    assert not missing and not extra, (missing, extra)
    assert rep.total == len(ledger) == len(records) and max(by_ref.values()) == 1
    entry = {r["ref"]: r for r in ledger}
    kinds = Counter(r.kind for r in records)
    for r in records:
        e = entry[r.ref]
        if r.kind == "bad":
            assert e["outcome"] == "rejected", (r, e)
        elif r.kind == "dup":
            assert e["outcome"] == "duplicate", (r, e)
        elif r.kind == "good":
            assert e["outcome"] in ("accepted", "duplicate"), (r, e)
            texts = [v.text for v in versions(store, e["article_id"])]
            assert any(r.marker in t for t in texts), (r, e, texts)
    assert kinds["good"] > 6000 and kinds["bad"] > 2000 and kinds["dup"] > 100 and kinds["maybe"] > 500
    assert elapsed < 60, f"ingest of {len(records)} records took {elapsed:.1f} s"
