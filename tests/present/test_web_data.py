"""Helpers that fill a store for the web tests (no tests here).

The seeds are ingested for real (readers + cleaning).  When the dedup,
stories and summaries stages are installed, the pipeline builds the stories
and briefings; otherwise :func:`add_seed_story_rows` writes them directly,
from the seeds' real cleaned sentences, in the summaries' stored JSON shape.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from newsfold.sentences import sentences
from newsfold.store.db import Store
from nfpaths import ROOT

EXAMPLES = ROOT / "examples"
SEED_STORY = ["000_72897a8d1972ae6a", "001_99501aa1479f7920", "002_75467a53cab7589a", "003_3182c1616ae321b1"]
LOOKALIKE = "004_80ae9117d0c94e64"


def _words(s: str) -> set[str]:
    return {w.lower() for w in re.findall(r"\w+", s)}


def _jaccard(a: str, b: str) -> float:
    wa, wb = _words(a), _words(b)
    return len(wa & wb) / max(1, len(wa | wb))


def build_seed_store(path: Path, *, pipeline: bool = True) -> Store:
    """A store with the five seeds; stories and briefings from the pipeline when it has them."""
    store = Store(path)
    if pipeline:
        from newsfold.pipeline import run_pipeline

        run_pipeline(store, [str(EXAMPLES)])
    else:
        from newsfold.ingest import ingest_paths

        ingest_paths(store, [str(EXAMPLES)])
    sid = story_of(store, SEED_STORY[0])
    has_briefing = sid and store.conn.execute("SELECT 1 FROM summaries WHERE story_id = ?", (sid,)).fetchone()
    if not has_briefing:
        add_seed_story_rows(store, sid)
    return store


def story_of(store: Store, article_id: str) -> str | None:
    row = store.conn.execute("SELECT story_id FROM story_articles WHERE article_id = ?", (article_id,)).fetchone()
    return row[0] if row else None


def add_seed_story_rows(store: Store, story_id: str | None = None) -> None:
    """Stories {000..003} and {004}, a briefing, copies and re-used passages, from the real cleaned text.

    With ``story_id`` (stories exist, summaries do not) only the briefing is added.
    """
    arts = {a.id: a for a in store.get_articles(SEED_STORY + [LOOKALIKE])}
    sents = {aid: [s.text for s in sentences(a.text) if len(s.text.split()) >= 6] for aid, a in arts.items()}
    sid_main = story_id or "s-seeds"
    with store.atomic() as c:
        for sid, ids, first, last in (("s-seeds", SEED_STORY, "2018-12-30T08:00:00+00:00", "2018-12-30T14:30:00+00:00"),
                                      ("s-2017", [LOOKALIKE], "2017-12-30T10:00:00+00:00", "2017-12-30T10:00:00+00:00")):
            if story_id:
                break
            c.execute("INSERT INTO stories (id, headline, first_published, last_published, size) VALUES (?,?,?,?,?)",
                      (sid, "", first, last, len(ids)))
            for aid in ids:
                c.execute("INSERT INTO story_articles (article_id, story_id, score, reason) VALUES (?,?,1.0,'test')",
                          (aid, sid))
        # publication times so the timeline has something to draw
        for i, aid in enumerate(SEED_STORY):
            c.execute("UPDATE articles SET published = coalesce(published, ?) WHERE id = ?",
                      (f"2018-12-30T{8 + 2 * i:02d}:00:00+00:00", aid))
        c.execute("UPDATE articles SET published = coalesce(published, '2017-12-30T10:00:00+00:00') WHERE id = ?",
                  (LOOKALIKE,))
        # sentences of 003 that 002 (the Reuters copy) states near-verbatim
        shared = []
        for mine in sents[SEED_STORY[3]]:
            best = max(sents[SEED_STORY[2]], key=lambda t: _jaccard(mine, t))
            if _jaccard(mine, best) >= 0.75:
                shared.append((mine, best, _jaccard(mine, best)))
        has_passages = c.execute("SELECT 1 FROM passages WHERE article_id = ?", (SEED_STORY[3],)).fetchone()
        for mine, theirs, sim in ([] if story_id or has_passages else shared):
            c.execute("INSERT INTO passages (article_id, source_id, sentence, source_sentence, similarity, direction)"
                      " VALUES (?,?,?,?,?,'copied')", (SEED_STORY[3], SEED_STORY[2], mine, theirs, sim))
        summary = [
            {"text": sents[SEED_STORY[2]][0], "article_ids": [SEED_STORY[2], SEED_STORY[3]],
             "source_id": SEED_STORY[2], "position": 0, "words": len(sents[SEED_STORY[2]][0].split())},
            {"text": sents[SEED_STORY[0]][0], "article_ids": [SEED_STORY[0], SEED_STORY[1]],
             "source_id": SEED_STORY[0], "position": 0, "words": len(sents[SEED_STORY[0]][0].split())},
        ]
        quotes = []
        for aid in SEED_STORY:
            m = re.search(r'(?:^|\s)["“]([^"“”]{20,160})["”]', arts[aid].text)
            if m:
                sentence = next((s for s in sents[aid] if m.group(1) in s), m.group(1))
                quotes.append({"text": m.group(1), "article_id": aid, "outlet": arts[aid].outlet or "unknown",
                               "speaker": "Putin", "sentence": sentence})
        briefing = {
            "schema": 1, "story_id": sid_main, "version": "test",
            "headline": arts[SEED_STORY[2]].title or "Putin writes to Trump",
            "summary": summary, "reason": None, "n_articles": 4,
            "entities": [{"name": "Putin", "label": "PERSON", "count": 12, "article_ids": SEED_STORY},
                         {"name": "Trump", "label": "PERSON", "count": 9, "article_ids": SEED_STORY},
                         {"name": "Kremlin", "label": "ORG", "count": 4, "article_ids": SEED_STORY[1:]}],
            "additions": [{"outlet": arts[SEED_STORY[3]].outlet or "unknown", "article_ids": [SEED_STORY[3]],
                           "sentences": [{"text": sents[SEED_STORY[3]][-1], "article_id": SEED_STORY[3],
                                          "position": 0}], "entities": [], "n_sentences": 1}],
            "quotes": [{"speaker": "Putin", "text": quotes[0]["text"], "renderings": quotes}] if quotes else [],
            "discrepancies": [{"kind": "date", "subject": "date of the statement", "values": [
                {"value": "Sunday", "article_ids": [SEED_STORY[0]], "sentences": [sents[SEED_STORY[0]][0]]},
                {"value": "30 December", "article_ids": [SEED_STORY[2]], "sentences": [sents[SEED_STORY[2]][0]]}]}],
            "timeline": [],
        }
        c.execute("INSERT INTO summaries (story_id, briefing_json, story_version) VALUES (?,?,?)",
                  (sid_main, json.dumps(briefing), "test"))
        c.execute("INSERT INTO stories_fts (story_id, headline, summary) VALUES (?,?,?)",
                  (sid_main, briefing["headline"], " ".join(s["text"] for s in summary)))
