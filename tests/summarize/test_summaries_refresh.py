"""Briefings on real text are rewritten only when their stories' articles change; big stories are sampled.

ECB+ articles of a few events are folded by hand into one story per event
(the clustering is not under test); the Summaries stage writes their
briefings and each article's analysis once.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from pathlib import Path

import pytest

from newsfold.models import Article
from newsfold.pipeline import run_pipeline
from newsfold.store.db import Store
from newsfold.summarize import SummariesStage, load_briefing, render_briefing_text
from newsfold.summarize.sample import NLP_SAMPLE, Member, choose_sample, nlp_sample
from newsfold.sentences import paragraphs
from newsfold.summarize.needs import plan
from newsfold.summarize.stage import story_version
from nfpaths import ECBPLUS, EXAMPLES


def ecb_events() -> dict[str, list[dict]]:
    by_event: dict[str, list[dict]] = defaultdict(list)
    for line in open(ECBPLUS, encoding="utf-8"):
        r = json.loads(line)
        by_event[r["event"]].append(r)
    return dict(sorted(by_event.items()))


def insert(store: Store, rows: list[dict], **fields: object) -> list[str]:
    with store.atomic():
        for r in rows:
            store.insert_article(Article(id=r["id"], text=r["text"], content_hash=r["id"], **fields))
    return [r["id"] for r in rows]


def put(store: Store, story_id: str, article_ids: list[str]) -> None:
    """Place articles in a story (created when new), as the stories stage would."""
    with store.atomic() as c:
        c.execute("INSERT OR IGNORE INTO stories (id) VALUES (?)", (story_id,))
        c.executemany("INSERT OR REPLACE INTO story_articles (article_id, story_id) VALUES (?, ?)",
                      [(a, story_id) for a in article_ids])


def rows_of(store: Store) -> dict[str, tuple[str, str, str]]:
    return {r[0]: (r[1], r[2], r[3]) for r in store.conn.execute(
        "SELECT story_id, updated_at, story_version, briefing_json FROM summaries")}


def test_briefing_is_rewritten_only_when_its_articles_change(tmp_path: Path) -> None:
    events = [rows for rows in ecb_events().values() if len(rows) >= 5][:4]
    store = Store(tmp_path / "refresh.db")
    for k, rows in enumerate(events[:3]):
        put(store, f"s{k}", insert(store, rows[:4]))
    stage = SummariesStage()
    rep = stage.catch_up(store)
    assert rep.processed == 3 and rep.details["parsed"] == 12  # every article's lead at least
    stored = store.conn.execute("SELECT count(*) FROM paragraph_analyses").fetchone()[0]
    assert stored == rep.details["paragraphs_parsed"] > 0
    before = rows_of(store)
    for sid in before:
        b = load_briefing(store, sid)
        assert b.summary and b.entities and b.sampled is None and b.n_articles == 4

    # nothing changed: nothing is recomputed, nothing parsed
    rep = stage.catch_up(store)
    assert rep.processed == 0 and rep.details["parsed"] == 0 and rows_of(store) == before

    # a refold that names s2's articles s2b (same articles): the briefing moves as it is
    with store.atomic() as c:
        c.execute("INSERT INTO stories (id) VALUES ('s2b')")
        c.execute("UPDATE story_articles SET story_id = 's2b' WHERE story_id = 's2'")
        c.execute("UPDATE stories SET state = 'merged' WHERE id = 's2'")
    rep = stage.catch_up(store)
    assert rep.processed == 0 and rep.details["moved"] == 1 and rep.details["parsed"] == 0
    after = rows_of(store)
    assert "s2" not in after and after["s2b"][:2] == before["s2"][:2]
    moved = load_briefing(store, "s2b")
    assert moved.story_id == "s2b" and moved.summary_text == load_briefing_text(before["s2"][2])
    hit = store.conn.execute("SELECT story_id FROM stories_fts WHERE story_id IN ('s2', 's2b')").fetchall()
    assert [r[0] for r in hit] == ["s2b"]

    # one unrelated article joins s1: only s1 is rewritten; no paragraph is parsed twice
    extra = events[3][0]
    insert(store, [extra])
    put(store, "s1", [extra["id"]])
    rep = stage.catch_up(store)
    assert rep.processed == 1 and rep.details["parsed"] >= 1
    assert store.conn.execute("SELECT count(*) FROM paragraph_analyses").fetchone()[0] == \
        stored + rep.details["paragraphs_parsed"]
    now = rows_of(store)
    assert now["s0"] == before["s0"] and now["s2b"] == after["s2b"]
    assert now["s1"][0] > before["s1"][0] and now["s1"][1] != before["s1"][1]
    ids = [r[0] for r in store.conn.execute("SELECT article_id FROM story_articles WHERE story_id = 's1'")]
    b1 = load_briefing(store, "s1")
    assert b1.version == story_version(ids) and b1.n_articles == 5
    assert extra["id"] in {t.article_id for t in b1.timeline}


def load_briefing_text(briefing_json: str) -> str:
    return " ".join(s["text"] for s in json.loads(briefing_json)["summary"])


def test_stored_analyses_give_the_briefing_a_fresh_parse_gives(tmp_path: Path) -> None:
    from newsfold.summarize import sentence_encoder, summarize_story

    rows = next(iter(ecb_events().values()))[:6]
    store = Store(tmp_path / "a.db")
    put(store, "s", insert(store, rows))
    SummariesStage().catch_up(store)
    stored = load_briefing(store, "s")
    fresh = summarize_story(store.get_articles([r["id"] for r in rows]), story_id="s", version=stored.version,
                            passages=[], encoder=sentence_encoder())
    assert fresh == stored
    # a record written by another model version is parsed again
    with store.atomic() as c:
        c.execute("UPDATE paragraph_analyses SET model = 'old-model'"
                  " WHERE hash = (SELECT hash FROM paragraph_analyses ORDER BY hash LIMIT 1)")
        c.execute("DELETE FROM summaries")
    rep = SummariesStage().catch_up(store)
    assert rep.details["parsed"] == 1 and rep.details["paragraphs_parsed"] == 1
    assert load_briefing(store, "s") == stored


def test_pipeline_refold_keeps_briefings_of_untouched_stories(tmp_path: Path) -> None:
    """``add`` twice (stories, refold, passages, summaries); the second batch reports another event."""
    events = list(ecb_events().values())

    def jsonl(name: str, rows: list[dict]) -> str:
        path = tmp_path / name
        path.write_text("".join(json.dumps({"id": r["id"], "text": r["text"]}) + "\n" for r in rows))
        return str(path)

    store = Store(tmp_path / "p.db")
    opts = {"stories": {"encoder": "static"}, "refold": {"encoder": "static"}}
    run_pipeline(store, [str(EXAMPLES), jsonl("a.jsonl", events[0][:4])], options=opts)
    before, members = rows_of(store), _members(store)
    rep = run_pipeline(store, [jsonl("b.jsonl", events[5][:3])], options=opts)
    after, now = rows_of(store), _members(store)
    unchanged = [sid for sid in before if now.get(sid) == members[sid]]
    changed = [sid for sid in now if members.get(sid) != now[sid]]
    assert len(unchanged) >= 2 and changed, (members, now)
    for sid in unchanged:  # same articles: the same row, not rewritten
        assert after[sid] == before[sid], sid
    for sid in changed:
        assert after[sid][1] == story_version(now[sid]) and after[sid] != before.get(sid)
    summaries = [r for r in rep.stages if r.stage == "summaries"][0]
    assert summaries.processed == len(changed) and summaries.details["parsed"] == 3


def _members(store: Store) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for sid, aid in store.conn.execute("SELECT story_id, article_id FROM story_articles"):
        out[sid].add(aid)
    return dict(out)


@pytest.fixture(scope="module")
def big_story(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, list[Article]]:
    """One event's ECB+ articles and 300 near-copies of them (sentences dropped or swapped), 30 outlets, 60 days."""
    rows = ecb_events()["13_ecb"]
    rnd = random.Random(5)
    arts = [Article(id=r["id"], text=r["text"], outlet=f"Outlet {k % 30:02d}", published=f"2020-03-{1 + k % 28:02d}",
                    content_hash=r["id"]) for k, r in enumerate(rows)]
    copies = []
    for i in range(300):
        src = rnd.choice(arts)
        lines = src.text.split("\n")
        if len(lines) > 4:
            lines = lines[:rnd.randint(4, len(lines))]
        day = rnd.randrange(60)
        copies.append(Article(id=f"copy{i:03d}-{src.id}", text="\n".join(lines),
                              outlet=f"Outlet {rnd.randrange(30):02d}",
                              published=f"2020-{3 + day // 30:02d}-{1 + day % 30:02d}", content_hash=f"c{i}"))
    store = Store(tmp_path_factory.mktemp("big") / "big.db")
    with store.atomic() as c:
        for a in arts + copies:
            store.insert_article(a)
        c.executemany("INSERT INTO dup_links (article_id, canonical_id, kind, similarity)"
                      " VALUES (?, ?, 'near-duplicate', 0.9)", [(a.id, a.id.split("-", 1)[1]) for a in copies[:250]])
    put(store, "big", [a.id for a in arts + copies])
    return store, arts + copies


def test_big_story_reads_a_sample_spread_over_outlets_and_time(big_story: tuple[Store, list[Article]]) -> None:
    store, arts = big_story
    rep = SummariesStage().catch_up(store)
    assert rep.details["sampled"] == 1 and rep.details["parsed"] == NLP_SAMPLE < 40
    b = load_briefing(store, "big")
    assert b.n_articles == len(arts) == 322 and b.sampled == {"used": 40, "of": 322, "nlp_used": NLP_SAMPLE}
    read = {t.article_id for t in b.timeline}
    assert len(read) == 40
    linked = {r[0] for r in store.conn.execute("SELECT article_id FROM dup_links")}
    originals = [a for a in arts if a.id not in linked]
    assert len(originals) == 72 and read <= {a.id for a in originals}  # originals before copies
    by_id = {a.id: a for a in arts}
    assert len({by_id[i].outlet for i in read}) == len({a.outlet for a in originals})  # every outlet
    days = sorted(by_id[i].published for i in read)
    assert days[0] <= "2020-03-03" and days[-1] >= "2020-04-27"  # the whole time span
    # every part of the briefing reads the sample; entities, quotes and discrepancies its first NLP_SAMPLE
    linked = {r[0] for r in store.conn.execute("SELECT article_id FROM dup_links")}
    nlp_read = nlp_sample([by_id[i] for i in sorted(read)], linked, NLP_SAMPLE)
    parsed = {a.id for a in nlp_read}
    assert len(parsed) == NLP_SAMPLE and parsed <= read
    assert len({by_id[i].outlet for i in parsed}) == NLP_SAMPLE  # spread over outlets too
    assert b.summary and all(set(s.article_ids) <= read for s in b.summary)
    assert b.entities and all(set(e.article_ids) <= parsed for e in b.entities)
    assert all(r.article_id in parsed for q in b.quotes for r in q.renderings)
    assert all(set(v.article_ids) <= parsed for d in b.discrepancies for v in d.values)
    assert all(set(o.article_ids) <= read for o in b.additions)
    text = render_briefing_text(b)
    assert "read from 40 of 322 articles" in text and f"quotes and figures from {NLP_SAMPLE} of them" in text
    # the paragraphs the briefing needs were parsed once each (:mod:`newsfold.summarize.needs`)
    distinct = {p.text for paras in plan(nlp_read).values() for p in paras if p.parse}
    assert 0 < len(distinct) < len({p for i in parsed for p in paragraphs(by_id[i].text)})
    assert rep.details["paragraphs_parsed"] == len(distinct)
    assert store.conn.execute("SELECT count(*) FROM paragraph_analyses").fetchone()[0] == len(distinct)


def test_choose_sample_prefers_originals_spread_over_outlets_and_time() -> None:
    members = [Member(f"a{i:03d}", outlet=f"o{i % 3}", published=f"2020-01-{1 + i // 4:02d}", duplicate=i % 2 == 1)
               for i in range(100)]
    assert choose_sample(members[:10], 10) == [m.id for m in members[:10]]
    picked = choose_sample(members, 10)
    assert len(picked) == len(set(picked)) == 10
    chosen = [m for m in members if m.id in picked]
    assert not any(m.duplicate for m in chosen)
    assert {m.outlet for m in chosen} == {"o0", "o1", "o2"}
    assert min(m.published for m in chosen) <= "2020-01-03" and max(m.published for m in chosen) >= "2020-01-23"
    # an article joining the story changes the sample only when it is picked itself
    for day in range(1, 26, 3):
        joined = choose_sample(members + [Member("new", outlet="o1", published=f"2020-01-{day:02d}T12:00")], 10)
        assert joined == picked or "new" in joined
    assert choose_sample(members + [Member("copy", outlet="o9", duplicate=True)], 10) == picked
    # fewer originals than the sample: all of them, then copies
    few = [Member(f"b{i}", duplicate=i >= 3) for i in range(20)]
    got = choose_sample(few, 5)
    assert {"b0", "b1", "b2"} <= set(got) and len(got) == 5


def test_nlp_sample_is_a_stable_part_of_the_sample() -> None:
    members = [Member(f"a{i:03d}", outlet=f"o{i % 7}", published=f"2020-01-{1 + i // 5:02d}", duplicate=i % 3 == 0)
               for i in range(120)]
    arts = [Article(id=m.id, text="", outlet=m.outlet, published=m.published) for m in members]
    dups = {m.id for m in members if m.duplicate}
    big = choose_sample(members, 40)
    small = [a.id for a in nlp_sample([a for a in arts if a.id in big], dups, 12)]
    assert len(small) == 12 and set(small) <= set(big) and set(small) == set(choose_sample(members, 12))
    assert len({a.outlet for a in arts if a.id in small}) == 7  # every outlet
    assert [a.id for a in nlp_sample(arts[:10], dups, 12)] == [a.id for a in arts[:10]]  # a small story: all


def test_shared_paragraphs_are_parsed_once(tmp_path: Path) -> None:
    """A copy in another story reuses its original's parsed paragraphs: nothing is parsed again."""
    rows = next(iter(ecb_events().values()))[:2]
    store = Store(tmp_path / "p.db")
    put(store, "s0", insert(store, rows[:1]))
    stage = SummariesStage()
    first = stage.catch_up(store)
    needed = [p for p in plan(store.get_articles([rows[0]["id"]]))[rows[0]["id"]] if p.parse]
    assert first.details["parsed"] == 1 and first.details["paragraphs_parsed"] == len(needed) > 0
    copy = {"id": "copy", "text": rows[0]["text"] + "\n\nThe Associated Press contributed to this report from Paris."}
    put(store, "s1", insert(store, [copy]))
    rep = stage.catch_up(store)
    assert rep.processed == 1 and rep.details["parsed"] == 0 and rep.details["paragraphs_parsed"] == 0
    an = stage.analyses(store, [store.get_articles([rows[0]["id"]]), store.get_articles(["copy"])])[0]
    orig, cp = an[rows[0]["id"]], an["copy"]
    assert cp.entities == orig.entities and cp.quotes == orig.quotes and cp.facts == orig.facts


def test_sentence_vectors_are_stored_and_a_rewrite_encodes_none_again(tmp_path: Path, monkeypatch) -> None:
    """A briefing written again (another process: nothing cached) reads its sentences' vectors from the store."""
    from newsfold.summarize import sentence_encoder

    rows = next(iter(ecb_events().values()))[:5]
    store = Store(tmp_path / "v.db")
    put(store, "s", insert(store, rows))
    SummariesStage().catch_up(store)
    stored = store.conn.execute("SELECT count(*) FROM sentence_vectors").fetchone()[0]
    assert stored > 0
    first = load_briefing(store, "s")
    enc = sentence_encoder()
    if enc is None:
        pytest.skip("the MiniLM encoder is not installed")
    calls: list[str] = []
    real = enc.encoder.encode
    monkeypatch.setattr(enc.encoder, "encode", lambda texts: calls.extend(texts) or real(texts))
    enc.forget()
    with store.atomic() as c:
        c.execute("DELETE FROM summaries")
    SummariesStage().catch_up(store)
    assert calls == [] and load_briefing(store, "s").summary == first.summary
    assert store.conn.execute("SELECT count(*) FROM sentence_vectors").fetchone()[0] == stored


def test_only_paragraphs_whose_records_read_the_parse_are_parsed_and_records_are_those_of_the_full_pipeline() -> None:
    """Every paragraph of the seeds and of a few ECB+ events: entities everywhere, tags and dependencies only where
    a quotation or a figure is read from them, and the records the whole spaCy pipeline gives."""
    from newsfold.summarize.analysis import BATCH_SIZE, analyse_paragraphs, needs_syntax
    from newsfold.summarize.discrepancies import extract_facts
    from newsfold.summarize.entities import entity_mentions
    from newsfold.summarize.nlp import parse
    from newsfold.summarize.quotes import extract_quotations
    from newsfold.summarize.records import ParagraphAnalysis

    texts = [p for f in sorted(EXAMPLES.glob("0*.txt")) for p in paragraphs(f.read_text(encoding="utf-8"))]
    texts += [p for rows in list(ecb_events().values())[:3] for r in rows for p in paragraphs(r["text"])]
    docs = parse(texts, batch_size=BATCH_SIZE, syntax=needs_syntax)
    parsed = [d.has_annotation("DEP") for d in docs]
    assert all(d.has_annotation("ENT_IOB") for d in docs) and 0 < sum(parsed) < len(texts)
    assert not any(needs_syntax(t, d) for t, d, p in zip(texts, docs, parsed) if not p)
    whole = [ParagraphAnalysis(entities=entity_mentions(d), facts=extract_facts(d), quotes=extract_quotations(t, d))
             for t, d in zip(texts, parse(texts, batch_size=BATCH_SIZE))]
    got = analyse_paragraphs(texts)
    assert sum(bool(a.facts) for a in got) > 0 and sum(bool(a.quotes) for a in got) > 0
    assert [a.to_json() for a in got] == [a.to_json() for a in whole]


def test_the_parse_process_gives_the_records_of_an_in_process_parse_and_a_dead_one_falls_back(caplog) -> None:
    """spaCy runs in a child process beside the briefings; its records are those of a parse here, and when the
    child cannot parse (it exits at once) the paragraphs are parsed here, with a warning, not lost."""
    import sys

    from newsfold.summarize.analysis import analyse_paragraphs
    from newsfold.summarize.worker import ParseWorker, analyse, worker

    texts = [p for f in sorted(EXAMPLES.glob("0*.txt"))[:2] for p in paragraphs(f.read_text(encoding="utf-8"))]
    here = [a.to_json() for a in analyse_paragraphs(texts)]
    assert [a.to_json() for a in analyse(texts)] == here
    assert not worker().failed and worker().cpu_seconds > 0  # it was the child that parsed them
    dead = ParseWorker([sys.executable, "-c", "import sys; sys.exit(3)"])
    assert dead.analyse(texts) is None and dead.failed
    assert "parsed in this process" in caplog.text
    assert dead.analyse(texts[:1]) is None  # not started again


def test_a_fork_of_a_process_with_a_parse_process_starts_its_own() -> None:
    """A process forked after the parse process started (a web or engine worker) must not talk on its parent's
    pipe: it starts a child of its own, and the parent's keeps answering the parent."""
    import os

    from newsfold.summarize.worker import worker

    w = worker()
    assert w.analyse(["Vladimir Putin spoke in Moscow."]) is not None
    mine = w._proc.pid if w._proc is not None else None
    r, wr = os.pipe()
    pid = os.fork()
    if pid == 0:  # the fork: parse, then say which child answered
        got = w.analyse(["Angela Merkel spoke in Berlin."])
        os.write(wr, f"{w._proc.pid if w._proc else 0} {bool(got and got[0].entities)}".encode())
        os._exit(0)
    os.waitpid(pid, 0)
    theirs, ok = os.read(r, 100).decode().split()
    assert ok == "True" and int(theirs) not in (0, mine)
    got = w.analyse(["Emmanuel Macron spoke in Paris."])
    assert got is not None and ("Paris", "GPE") in got[0].entities and w._proc is not None and w._proc.pid == mine
