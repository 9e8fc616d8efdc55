"""Drive headless Chromium through the news desk like a reader would (screenshots in test-output/)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from test_web_data import EXAMPLES, SEED_STORY

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def shot(page, test_output: Path, name: str) -> None:
    page.screenshot(path=str(test_output / f"web-{name}.png"), full_page=True)


def test_reader_path_stories_story_citation_article_search(server, page, test_output) -> None:
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))

    page.goto(server.url + "/")
    assert page.title().startswith("Stories")
    shot(page, test_output, "01-stories")

    # click into the seeds' story
    page.click(f'a.headline[href="/stories/{server.seed_story}"]')
    page.wait_for_url(f"**/stories/{server.seed_story}")
    shot(page, test_output, "02-story")
    sentences = page.locator("#summary .sent")
    assert sentences.count() >= 1
    cites = page.locator("#summary a.cite")
    assert cites.count() >= 1
    # hovering a citation shows the sentence it stands on
    first = cites.first
    tip = first.get_attribute("title") or ""
    first.hover()
    assert ":" in tip and len(tip) > 20
    assert page.locator("svg.timeline circle").count() >= 1  # only dated articles are drawn

    # follow the citation to the sentence in its article
    href = first.get_attribute("href") or ""
    m = re.match(r"/articles/([^#]+)#(s-\d+)$", href)
    assert m, href
    first.click()
    page.wait_for_url(f"**/articles/{m.group(1)}#{m.group(2)}")
    target = page.locator(f"#{m.group(2)}")
    assert target.is_visible()
    assert target.inner_text().strip() in tip  # the same sentence the tooltip showed
    bg = target.evaluate("e => getComputedStyle(e).backgroundColor")
    assert bg not in ("rgba(0, 0, 0, 0)", "transparent")  # highlighted as the :target
    shot(page, test_output, "03-article-citation")

    # the Reuters-copying article shows its re-used passages linking to the source
    page.goto(server.url + f"/articles/{SEED_STORY[3]}")
    assert page.locator(".s.reused").count() >= 1
    link = page.locator("a.from-from").first
    assert (link.get_attribute("href") or "").startswith(f"/articles/{SEED_STORY[2]}")
    assert page.locator("#removed li").count() >= 1
    shot(page, test_output, "04-article-reused")

    # search from the header box
    page.fill("header form.search input[name=q]", "dialogue Trump")
    page.press("header form.search input[name=q]", "Enter")
    page.wait_for_url("**/search?q=dialogue+Trump")
    hits = page.locator("#article-results li")
    assert hits.count() >= 3
    assert page.locator("#article-results mark").count() >= 1
    shot(page, test_output, "05-search")

    assert all(u.startswith(server.url) or u.startswith("data:") for u in requests), \
        [u for u in requests if not u.startswith(server.url)]
    assert not page.errors  # type: ignore[attr-defined]  # no CSP violations or script errors


def reprint_of_reuters_seed(tmp_path: Path) -> Path:
    """A syndicated copy of the Reuters seed: new headline, a local paragraph on top, a footer."""
    seed = (EXAMPLES / f"{SEED_STORY[2]}.txt").read_text(encoding="utf-8")
    lines = seed.splitlines()
    body = "\n".join(lines[1:])
    rec = {"title": "Kremlin says Putin wrote to Trump about dialogue", "outlet": "Harbour Gazette",
           "url": "https://harbour-gazette.example/world/putin-letter-trump",
           "published": "2018-12-30T16:00:00+00:00",
           "text": "Readers in our region follow relations between Moscow and Washington closely.\n\n" + body
                   + "\n\nCopyright Harbour Gazette. All rights reserved."}
    path = tmp_path / "reprint.jsonl"
    path.write_text(json.dumps(rec) + "\n", encoding="utf-8")
    return path


def test_upload_with_token_and_see_it_folded(server, page, test_output, tmp_path) -> None:
    upload = reprint_of_reuters_seed(tmp_path)
    page.goto(server.url + f"/stories/{server.seed_story}")
    before = page.locator("#sources li").count()
    page.goto(server.url + "/add")
    page.set_input_files("input[name=files]", str(upload))
    page.fill("input[name=token]", server.token)
    shot(page, test_output, "06-add")
    page.click("form.add button[type=submit]")
    page.wait_for_url("**/jobs/*")
    # the page follows the background ingest (JS polling) until it is done
    page.wait_for_selector("#result, .notice", timeout=120_000)  # rendered once the job has finished
    status = (page.locator("#job-status").text_content() or "").strip()
    assert status == "done", page.content()[-3000:]
    assert page.locator(".ledger td.status-accepted").count() == 1
    # the result says where the upload was folded
    assert page.locator(f'.ledger a.folded[href="/stories/{server.seed_story}"]').count() == 1
    shot(page, test_output, "07-job-done")

    # open the new article from the ledger: it sits in the seeds' story
    page.locator(".ledger a[href^='/articles/']").first.click()
    page.wait_for_url("**/articles/*")
    story_link = page.locator(f'header a[href="/stories/{server.seed_story}"]')
    assert story_link.count() == 1, "the reprint folded into the seeds' story"
    shot(page, test_output, "08-uploaded-article")
    story_link.click()
    page.wait_for_url(f"**/stories/{server.seed_story}")
    assert page.locator("#sources li").count() == before + 1
    shot(page, test_output, "09-story-after-upload")


def test_pages_work_with_javascript_off(server, browser, test_output) -> None:
    ctx = browser.new_context(java_script_enabled=False, viewport={"width": 1000, "height": 800})
    page = ctx.new_page()
    page.goto(server.url + "/stories")
    page.click(f'a.headline[href="/stories/{server.seed_story}"]')
    assert page.locator("#summary a.cite").count() >= 1
    page.goto(server.url + "/search?q=Kremlin")
    assert page.locator("#article-results li").count() >= 1
    page.goto(server.url + "/nope")
    assert "404" in page.content()
    shot(page, test_output, "10-no-js-404")
    ctx.close()
