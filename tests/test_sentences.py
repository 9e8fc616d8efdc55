"""The one sentence layer: offsets, abbreviations, and citations that land on whole sentences."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

from fastapi.testclient import TestClient

from newsfold.ingest import ingest_paths
from newsfold.sentences import sentences, split_sentences
from newsfold.text import words
from newsfold.store.db import Store
from newsfold.summarize.stage import SummariesStage
from newsfold.present.web import create_app

TEXT = ("At the end of the meeting, Mr. Alvarez thanked the U.S. delegation for its work on the harbour plan.\n"
        "\n"
        "  The vote was close. Dr. Okafor said: \"We will try again.\" It failed by 3.5 points.\n")


def test_sentences_keep_abbreviations_and_point_into_the_text() -> None:
    got = sentences(TEXT)
    assert [s.text for s in got] == [
        "At the end of the meeting, Mr. Alvarez thanked the U.S. delegation for its work on the harbour plan.",
        "The vote was close.", "Dr. Okafor said: \"We will try again.\"", "It failed by 3.5 points."]
    assert all(TEXT[s.start:s.end] == s.text for s in got)
    assert [s.paragraph for s in got] == [0, 1, 1, 1] and [s.index for s in got] == [0, 1, 2, 3]
    assert split_sentences(TEXT) == [s.text for s in got]
    assert words("Mr. Alvarez's U.S. plan_b, 2019") == ["mr", "alvarez", "s", "u", "s", "plan", "b", "2019"]


ARTICLES = [
    {"id": "harbour-a", "outlet": "Harbour Daily", "published": "2021-03-02T09:00:00+00:00",
     "title": "Council approves the harbour budget",
     "text": "The city council approved the new harbour budget on Tuesday after a debate of six hours.\n"
             "At the end of the meeting, Mr. Alvarez thanked the members of the harbour commission for their work.\n"
             "The U.S. Coast Guard will inspect the harbour walls next spring, the council said in a statement.\n"
             "The budget sets aside money for dredging the eastern channel and repairing two old piers."},
    {"id": "harbour-b", "outlet": "Coast Courier", "published": "2021-03-02T11:00:00+00:00",
     "title": "Harbour budget passes after long debate",
     "text": "After six hours of debate on Tuesday, the city council approved the new harbour budget.\n"
             "Mr. Alvarez thanked the harbour commission members at the end of the meeting for all their work.\n"
             "Inspectors from the U.S. Coast Guard are to examine the harbour walls next spring.\n"
             "Local fishermen had asked the council for years to repair the two old piers."},
]


def _store_with_briefing(tmp_path: Path) -> tuple[Path, str]:
    src = tmp_path / "in"
    src.mkdir()
    (src / "harbour.jsonl").write_text("\n".join(json.dumps(a) for a in ARTICLES), encoding="utf-8")
    db = tmp_path / "s.db"
    with Store(db) as store:
        ingest_paths(store, [str(src)])
        ids = [r[0] for r in store.conn.execute("SELECT id FROM articles ORDER BY seq")]
        assert len(ids) == 2
        with store.atomic() as c:  # the story written directly: this checks citations, not clustering
            c.execute("INSERT INTO stories (id, headline, first_published, last_published, size)"
                      " VALUES ('s-harbour', '', '2021-03-02', '2021-03-02', 2)")
            for aid in ids:
                c.execute("INSERT INTO story_articles (article_id, story_id, score, reason) VALUES (?, 's-harbour', 1, 't')",
                          (aid,))
        SummariesStage(with_nlp=False).catch_up(store)
    return db, "s-harbour"


def test_summary_sentence_with_mr_and_us_is_cited_whole_and_its_anchor_holds_it(tmp_path: Path) -> None:
    db, sid = _store_with_briefing(tmp_path)
    client = TestClient(create_app(str(db), token="t"), base_url="http://localhost")
    story = client.get(f"/api/stories/{sid}").json()
    summary = story["briefing"]["summary"]
    abbreviated = [s for s in summary if "Mr. " in s["text"] or "U.S. " in s["text"]]
    assert abbreviated, [s["text"] for s in summary]
    for s in abbreviated:
        assert s["text"].endswith(".") and len(s["text"].split()) >= 10  # a whole sentence, not "… Mr."
        cites = [c for c in story["citations"] if c["text"] == s["text"]]
        assert {c["article_id"] for c in cites} == set(s["article_ids"])
        source = next(c for c in cites if c["article_id"] == s["source_id"])
        assert source["sentence"] == s["text"] and source["anchor"] is not None
        page = client.get(f"/articles/{s['source_id']}").text
        m = re.search(rf'id="s-{source["anchor"]}">([^<]*)</span>', page)
        assert m and unescape(m.group(1)) == s["text"]
        # and the story page links that number to that anchor
        story_page = client.get(f"/stories/{sid}").text
        assert f'href="/articles/{s["source_id"]}#s-{source["anchor"]}"' in story_page
