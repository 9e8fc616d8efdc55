"""`newsfold report`: self-contained HTML (checked in headless Chromium), Markdown and JSON."""

from __future__ import annotations

from markupsafe import escape
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsfold.present.cli import cli
from newsfold.ingest import ingest_paths
from newsfold.store.db import Store
from newsfold.summarize import SummariesStage, load_briefing
from nfpaths import EXAMPLES, TEST_OUTPUT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Seeds ingested, 000–003 as story s1 and 004 as s2, briefings written by the stage."""
    path = tmp_path_factory.mktemp("report") / "r.db"
    store = Store(path)
    ingest_paths(store, [str(EXAMPLES)])
    arts = [a for _, a in store.iter_articles()]
    groups = {"s1": [a.id for a in arts if not a.source_ref.split("/")[-1].startswith("004_")],
              "s2": [a.id for a in arts if a.source_ref.split("/")[-1].startswith("004_")]}
    with store.atomic() as c:
        for sid, ids in groups.items():
            c.execute("INSERT INTO stories (id, size, last_published) VALUES (?, ?, ?)", (sid, len(ids), sid))
            c.executemany("INSERT INTO story_articles (article_id, story_id) VALUES (?, ?)", [(i, sid) for i in ids])
    SummariesStage().catch_up(store)
    store.close()
    return path


def run(db: Path, *args: str) -> str:
    res = CliRunner().invoke(cli, ["--db", str(db), *args])
    assert res.exit_code == 0, res.output
    return res.output


def test_html_report_is_self_contained_and_cites_every_sentence(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    run(db, "report", "s1", "--format", "html", "-o", str(out))
    page = out.read_text()
    # nothing to fetch: no scripts, stylesheets, images, fonts or remote URLs
    assert not re.search(r"<script|<link|<img|<iframe|@import|url\(|src=", page, re.I)
    assert not re.search(r"""(?:href|src)=["']?(?:https?:)?//""", page)
    store = Store(db, readonly=True)
    b = load_briefing(store, "s1")
    for s in b.summary:
        i = page.index(str(escape(s.text)))
        cites = page[i:i + 1500].split("</li>")[0]
        assert len(re.findall(r'href="#s1-src\d+"', cites)) == len(s.article_ids) >= 1
    for t in b.timeline:
        assert t.article_id in page


def test_markdown_and_json_reports(db: Path) -> None:
    md = run(db, "report", "s1", "s2", "--format", "md")
    assert md.count("\n## ") == 2 and "### Summary" in md and re.search(r"\\\[\d\\\]", md)
    assert "&#34;" not in md and "&amp;" not in md and '"' in md  # Markdown is not HTML-escaped
    data = json.loads(run(db, "report", "--format", "json"))
    assert {s["story_id"] for s in data["stories"]} == {"s1", "s2"}
    assert all(s["briefing"]["summary"] for s in data["stories"])


def test_report_errors_say_what_to_do(db: Path, tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["--db", str(db), "report", "nope"])
    assert res.exit_code == 1 and "newsfold stories" in res.output
    fresh = tmp_path / "fresh.db"
    s = Store(fresh)
    with s.atomic() as c:
        c.execute("INSERT INTO stories (id) VALUES ('s9')")
    s.close()
    res = CliRunner().invoke(cli, ["--db", str(fresh), "report", "s9"])
    assert res.exit_code == 1 and "newsfold summarize" in res.output and "Traceback" not in res.output


@pytest.mark.browser
@pytest.mark.slow
def test_html_report_renders_offline_in_chromium(db: Path, tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (make setup does)")
    from playwright.sync_api import sync_playwright

    out = tmp_path / "report.html"
    run(db, "report", "s1", "s2", "--format", "html", "-o", str(out))
    TEST_OUTPUT.mkdir(exist_ok=True)
    requests: list[str] = []

    def drive() -> None:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(java_script_enabled=False, viewport={"width": 1100, "height": 900})
                page.on("request", lambda r: requests.append(r.url))
                page.goto(out.as_uri())
                page.screenshot(path=str(TEST_OUTPUT / "report-seed-stories.png"), full_page=True)
                assert page.locator("article.story").count() == 2
                first = page.locator("article.story").first
                assert "Putin" in first.locator("h2").inner_text()
                items = first.locator("ol.summary li")
                assert items.count() >= 1
                for k in range(items.count()):
                    assert items.nth(k).locator("sup.cite a").count() >= 1
                    assert items.nth(k).is_visible()
                # a citation jumps to its source in the list
                href = items.first.locator("sup.cite a").first.get_attribute("href") or ""
                assert first.locator(href).is_visible()
                quote = first.locator(".quote", has_text="extensive agenda")
                assert quote.count() == 1 and "3 renderings" in quote.inner_text()
                css = first.locator("ol.summary li").first.evaluate("e => getComputedStyle(e).fontFamily")
                assert "Georgia" in css  # the inline stylesheet applied
            finally:
                browser.close()

    # a fresh thread: another test (Ray, the ASGI client) may leave an asyncio loop running in this one,
    # and Playwright's sync API refuses to start inside a running loop
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as ex:
        ex.submit(drive).result()
    assert all(u.startswith("file://") for u in requests), requests
