"""One numbering of a story's sources and one way of showing times, on the CLI, the web, the JSON and reports."""

from __future__ import annotations

import re
from html import escape
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from newsfold.ingest import ingest_paths
from newsfold.present.cli import cli
from newsfold.present.web import create_app
from newsfold.sentences import paragraphs
from newsfold.store.db import Store
from newsfold.summarize import SummariesStage
from nfpaths import EXAMPLES

SEEDS = ["000", "001", "002", "003"]


@pytest.fixture(scope="module")
def seeds_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, dict[str, str]]:
    """The seeds ingested for real; 000–003 one story (the clustering is not under test), briefed by the stage."""
    db = tmp_path_factory.mktemp("numbers") / "seeds.db"
    store = Store(db)
    ingest_paths(store, [str(EXAMPLES)])
    seed = {a.id: a.source_ref.split("/")[-1][:3] for _, a in store.iter_articles()}
    with store.atomic() as c:
        ids = [i for i, n in seed.items() if n in SEEDS]
        c.execute("INSERT INTO stories (id, size) VALUES ('s1', ?)", (len(ids),))
        c.executemany("INSERT INTO story_articles (article_id, story_id) VALUES (?, 's1')", [(i, ) for i in ids])
    SummariesStage().catch_up(store)
    store.close()
    return db, "s1", seed


def _cli(db: Path, *args: str) -> str:
    res = CliRunner().invoke(cli, [*args, "--db", str(db)])
    assert res.exit_code == 0, res.output
    return res.output


def test_sources_are_numbered_once_first_published_then_id(seeds_db) -> None:
    db, sid, _ = seeds_db
    d = TestClient(create_app(str(db), token="t"), base_url="http://localhost").get(f"/api/stories/{sid}").json()
    arts = d["articles"]
    assert [d["numbers"][a["id"]] for a in arts] == list(range(1, len(arts) + 1))
    from newsfold.published import source_order
    assert arts == sorted(arts, key=lambda a: source_order(a["published"], a["id"]))


def test_citation_numbers_are_sorted_and_equal_on_cli_web_json_and_report(seeds_db) -> None:
    db, sid, _ = seeds_db
    client = TestClient(create_app(str(db), token="t"), base_url="http://localhost")
    api = client.get(f"/api/stories/{sid}").json()
    nums = api["numbers"]
    summary = api["briefing"]["summary"]
    assert summary and any(len(s["article_ids"]) > 1 for s in summary)
    want = [[nums[a] for a in s["article_ids"]] for s in summary]
    assert all(w == sorted(w) for w in want), want  # the JSON lists citations in number order
    # CLI: "text [n,m]" after each summary sentence
    text = " ".join(_cli(db, "story", sid).split())
    for s, w in zip(summary, want):
        assert f"{' '.join(s['text'].split())} [{','.join(map(str, w))}]" in text
    # web: the numbers in the <sup> after each summary sentence
    page = client.get(f"/stories/{sid}").text
    sups = re.findall(r'<span class="sent">.*?<sup class="cites">(.*?)</sup>', page, flags=re.S)
    assert [[int(n) for n in re.findall(r">(\d+)</a>", sup)] for sup in sups] == want
    # the web's source list numbers the articles the same way
    for aid, n in nums.items():
        assert re.search(rf'<li value="{n}"><a href="/articles/{re.escape(aid)}"', page), aid
    # the Markdown report
    md = _cli(db, "report", sid, "--format", "md")
    for s, w in zip(summary, want):
        assert "".join(f"\\[{n}\\]" for n in w) in md


SEED_HTML = """<html><head><title>{title}</title>
<meta property="article:published_time" content="{when}"></head>
<body><article><h1>{title}</h1>{body}</article></body></html>"""


def test_a_published_time_is_kept_to_the_minute_shown_in_utc_and_placed_on_the_timeline(tmp_path: Path) -> None:
    """Two real seed articles as HTML pages published at 08:15Z and 20:15Z the same day."""
    folder = tmp_path / "pages"
    folder.mkdir()
    for name, when in (("000", "2018-12-30T08:15:00Z"), ("001", "2018-12-30T20:15:00+00:00")):
        src = next(EXAMPLES.glob(f"{name}_*.txt")).read_text(encoding="utf-8")
        paras = [p for p in paragraphs(src) if len(p.split()) >= 8]
        body = "".join(f"<p>{escape(p)}</p>" for p in paras)
        (folder / f"{name}.html").write_text(SEED_HTML.format(title=escape(paras[0][:60]), when=when, body=body))
    db = tmp_path / "t.db"
    store = Store(db)
    ingest_paths(store, [str(folder)])
    arts = sorted((a for _, a in store.iter_articles()), key=lambda a: a.source_ref)
    assert [a.published[:16] for a in arts] == ["2018-12-30T08:15", "2018-12-30T20:15"]
    with store.atomic() as c:
        c.execute("INSERT INTO stories (id, size) VALUES ('t', 2)")
        c.executemany("INSERT INTO story_articles (article_id, story_id) VALUES (?, 't')", [(a.id,) for a in arts])
    SummariesStage().catch_up(store)
    store.close()
    assert "2018-12-30 08:15 UTC" in _cli(db, "story", "t")
    page = TestClient(create_app(str(db), token="t"), base_url="http://localhost").get("/stories/t").text
    assert "2018-12-30 08:15 UTC" in page
    # on the timeline: the 08:15 article at the start of the axis, the 20:15 one at its end
    dots = dict((unescape_title(t), float(x)) for x, t in
                re.findall(r'<circle cx="([\d.]+)"[^>]*><title>([^<]*)</title>', page))
    at = {k.split(" · ")[1]: v for k, v in dots.items()}
    assert set(at) == {"2018-12-30 08:15 UTC", "2018-12-30 20:15 UTC"}
    assert at["2018-12-30 08:15 UTC"] < at["2018-12-30 20:15 UTC"]
    ticks = re.findall(r'class="tl-tick">([^<]*)<', page)
    assert ticks[0] == "2018-12-30 08:15 UTC" and ticks[-1] == "2018-12-30 20:15 UTC"


def unescape_title(s: str) -> str:
    from html import unescape
    return unescape(s)
