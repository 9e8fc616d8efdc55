"""Every reader on real files: what a user gets from each input format."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys

from nfpaths import EXAMPLES, TEST_DATA

from newsfold.ingest import ingest_paths
from newsfold.read import iter_documents


def test_text_files_keep_stem_as_id(seed_store):
    ids = {a.id for a in seed_store.list_articles()}
    assert ids == {p.stem for p in EXAMPLES.glob("*.txt")}
    # README.md in the folder is documentation, not an article
    assert seed_store.count_articles() == 5


def test_html_page_through_trafilatura(store):
    rep = ingest_paths(store, [str(TEST_DATA / "readers" / "article.html")])
    assert rep.accepted == 1
    a = store.get_article("article")
    assert a.title == "Magnitude 6.1 quake hits central Italy"
    assert a.outlet == "Example Tribune"
    assert a.url == "https://www.example-tribune.com/world/2009/04/06/quake-central-italy/"
    assert a.published.startswith("2009-04-06") and a.published_source == "metadata"
    assert "L'Aquila" in a.text and "student residence" in a.text
    for nav in ("Privacy", "Volcano erupts", "Subscribe", "All rights reserved"):
        assert nav not in a.text


def test_jsonl_json_and_csv_records(store, tmp_path):
    rows = [
        {"id": "r1", "url": "https://news.example.com/2010/05/01/a", "title": "Ferry sinks",
         "text": "A ferry sank off the coast on Saturday. All 40 passengers were rescued.",
         "date": "2010-05-01T09:00:00Z", "source": "Example News", "language": "en", "section": "world"},
        {"url": "https://news.example.com/b?utm_source=x", "title": "Bridge opens",
         "text": "A new bridge opened to traffic on Monday after three years of work."},
    ]
    (tmp_path / "a.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    (tmp_path / "one.json").write_text(json.dumps({"title": "Dam approved", "text": "The dam was approved."}))
    (tmp_path / "list.json").write_text(json.dumps([{"id": "l1", "text": "Rain fell all week."}]))
    (tmp_path / "t.csv").write_text("id,title,text,outlet,published\n"
                                    "c1,Fire,\"A fire destroyed a warehouse, officials said.\",Gazette,2011-02-03\n")
    rep = ingest_paths(store, [str(tmp_path)])
    assert rep.accepted == 5, rep.rejections
    r1 = store.get_article("r1")
    assert (r1.outlet, r1.language, r1.published_source) == ("Example News", "en", "metadata")
    assert r1.published.startswith("2010-05-01") and r1.meta["section"] == "world"
    [b] = [a for a in store.list_articles() if a.title == "Bridge opens"]
    assert b.id.startswith("u")  # hash of the normalized URL (tracking parameters dropped)
    assert store.get_article("one").title == "Dam approved"
    assert store.get_article("c1").outlet == "Gazette"


def test_stdin_jsonl(tmp_path):
    db = tmp_path / "s.db"
    line = json.dumps({"id": "s1", "text": "Volcano erupts near the capital, forcing evacuations."})
    out = subprocess.run([sys.executable, "-m", "newsfold", "--db", str(db), "add", "--no-dedup", "-"],
                         input=line + "\n", capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "1 accepted, 0 duplicates, 0 rejected" in out.stdout


def test_rss_feed_one_article_per_entry(store):
    rep = ingest_paths(store, [str(TEST_DATA / "readers" / "feed.rss")])
    assert (rep.accepted, rep.rejected) == (2, 1)
    assert rep.rejections[0].reason == "feed entry has no content or summary"
    titles = {a.title: a for a in store.list_articles()}
    e = titles["Endeavour lands safely in California after 16-day mission"]
    assert e.outlet == "Example Wire" and e.published.startswith("2008-11-30")
    assert "Edwards Air Force Base" in e.text
    assert "<p>" not in titles["Shuttle crew repairs space station joint"].text


def _warc_bytes(pages: list[tuple[str, str]]) -> bytes:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=True)
    for uri, html in pages:
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        w.write_record(w.create_warc_record(uri, "response", payload=io.BytesIO(html.encode()), http_headers=headers))
    return buf.getvalue()


def test_warc_html_responses(store, tmp_path):
    html = (TEST_DATA / "readers" / "article.html").read_text()
    path = tmp_path / "crawl.warc.gz"
    path.write_bytes(_warc_bytes([("https://crawl.example.org/2009/04/06/quake", html),
                                  ("https://crawl.example.org/login", (TEST_DATA / "readers" / "nothing.html").read_text())]))
    rep = ingest_paths(store, [str(path)])
    assert (rep.accepted, rep.rejected) == (1, 1)
    [a] = store.list_articles()
    assert a.url == "https://crawl.example.org/2009/04/06/quake"
    assert "L'Aquila" in a.text


def test_globs_and_directories(store, tmp_path):
    rep = ingest_paths(store, [str(EXAMPLES / "00[01]_*.txt")])
    assert rep.accepted == 2
    docs = list(iter_documents([str(tmp_path / "nothing-here-*.txt")]))
    assert docs[0].error == "no such file or directory"
