"""WARC reader choice: fastwarc against warcio on the same generated crawl.

    python bench/warc.py -n 20000

Writes a gzipped WARC of HTML responses (pages built from the bundled ECB+
articles), then times iterating every response record and reading its body
with each library (HTML extraction excluded: that cost is the same for both).
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import sys
import tempfile
import time
from html import escape
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen_corpus import generate  # noqa: E402


def write_warc(path: Path, n: int) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as fh:
        w = WARCWriter(fh, gzip=True)
        for rec in generate(n):
            body = "".join(f"<p>{escape(p)}</p>" for p in rec["text"].split("\n"))
            html = f"<html><head><title>{escape(rec['title'])}</title></head><body><article>{body}</article></body></html>"
            hdrs = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            w.write_record(w.create_warc_record(rec["url"], "response", payload=io.BytesIO(html.encode()),
                                                http_headers=hdrs))


def read_fastwarc(path: Path) -> int:
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    n = 0
    for rec in ArchiveIterator(str(path), record_types=WarcRecordType.response, parse_http=True, fsspec_args=False):
        n += len(rec.reader.read()) > 0
    return n


def read_warcio(path: Path) -> int:
    from warcio.archiveiterator import ArchiveIterator

    n = 0
    with open(path, "rb") as fh:
        for rec in ArchiveIterator(fh):
            if rec.rec_type == "response":
                n += len(rec.content_stream().read()) > 0
    return n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=20_000)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "crawl.warc.gz"
        write_warc(path, a.n)
        mb = path.stat().st_size / 1e6
        print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}")
        print(f"{a.n:,} HTML response records, {mb:.0f} MB gzipped WARC")
        print(f"{'library':<10}{'seconds':>10}{'records/s':>12}")
        for name, fn in (("fastwarc", read_fastwarc), ("warcio", read_warcio)):
            t0 = time.perf_counter()
            got = fn(path)
            dt = time.perf_counter() - t0
            assert got == a.n, (name, got)
            print(f"{name:<10}{dt:>10.2f}{a.n / dt:>12,.0f}")


if __name__ == "__main__":
    main()
