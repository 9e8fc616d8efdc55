"""Story briefings on real text: the seeds' story, bad input, the stage, the selector's guarantee, eval."""

from __future__ import annotations

import itertools
import json
import re

import numpy as np
import pytest
from click.testing import CliRunner

from newsfold.dedup.passages import find_passages
from newsfold.ingest import ingest_paths
from newsfold.models import Article
from newsfold.store.db import Store
from newsfold.summarize import Briefing, SummariesStage, load_briefing, render_briefing_text, summarize_story
from newsfold.summarize.quotes import quote_spans
from newsfold.summarize.select import GUARANTEE, SubmodularSelector
from newsfold.summarize.stage import sentence_encoder, story_version
from nfpaths import ECBPLUS, EXAMPLES

SEED_STORY = ("000_", "001_", "002_", "003_")


def add_story(store: Store, story_id: str, article_ids: list[str]) -> None:
    with store.atomic() as c:
        c.execute("INSERT INTO stories (id, size) VALUES (?, ?)", (story_id, len(article_ids)))
        for aid in article_ids:
            c.execute("INSERT INTO story_articles (article_id, story_id) VALUES (?, ?)", (aid, story_id))


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """The five seeds ingested (cleaned) into a store; 000–003 form story s1, 004 story s2."""
    store = Store(tmp_path_factory.mktemp("summ") / "seeds.db")
    ingest_paths(store, [str(EXAMPLES)])
    arts = [a for _, a in store.iter_articles()]
    story = [a.id for a in arts if any(f"/{p}" in a.source_ref for p in SEED_STORY)]
    other = [a.id for a in arts if a.id not in story]
    assert len(story) == 4 and len(other) == 1
    add_story(store, "s1", story)
    add_story(store, "s2", other)
    return store


@pytest.fixture(scope="module")
def briefing(seeds: Store) -> Briefing:
    ids = [r[0] for r in seeds.conn.execute("SELECT article_id FROM story_articles WHERE story_id = 's1'")]
    arts = seeds.get_articles(ids)
    reused = [p for i, x in enumerate(arts) for y in arts[i + 1:] for p in find_passages(x, y)]  # the dedup stage's
    return summarize_story(arts, passages=reused, encoder=sentence_encoder())


def _ids(store: Store, story: str) -> set[str]:
    return {r[0] for r in store.conn.execute("SELECT article_id FROM story_articles WHERE story_id = ?", (story,))}


def test_seed_summary_is_short_cited_and_on_the_event(seeds: Store, briefing: Briefing) -> None:
    story = _ids(seeds, "s1")
    assert briefing.summary, briefing.reason
    assert sum(len(s.text.split()) for s in briefing.summary) <= 100
    for s in briefing.summary:
        assert s.article_ids and set(s.article_ids) <= story
        assert s.article_ids[0] == s.source_id
        # verbatim from the cleaned text of its source, never a removed (boilerplate) line
        source = seeds.get_article(s.source_id)
        assert s.text in source.text
        assert not any(s.text in r.line for r in source.removed)
    text = briefing.summary_text
    assert re.search(r"Putin", text) and re.search(r"Trump", text) and re.search(r"dialogue", text)
    # the previous year's letter (004) leaks in nowhere
    other = seeds.get_articles(list(_ids(seeds, "s2")))[0]
    assert "2017" not in text and "pragmatic" not in text
    assert not any(s.text in other.text for s in briefing.summary)
    # most sentences are stated by more than one outlet
    assert max(len(s.article_ids) for s in briefing.summary) >= 3


def test_seed_statement_is_one_aligned_quote_in_three_renderings(briefing: Briefing) -> None:
    wanted = ["maximum number of subjects", "wide-ranging agenda", "extensive agenda"]
    groups = [q for q in briefing.quotes if any(w in r.text for r in q.renderings for w in wanted)]
    assert len(groups) == 1, [[r.text for r in q.renderings] for q in groups]
    q = groups[0]
    for w in wanted:
        assert sum(w in r.text for r in q.renderings) == 1, w
    assert len({r.article_id for r in q.renderings}) == len(q.renderings) >= 3
    # the other statement of the same quote ("most important factor") is a separate group
    assert not any("important factor" in r.text for r in q.renderings)
    assert any(r.speaker for r in q.renderings)


def test_seed_additions_show_the_one_outlet_with_the_other_letters(briefing: Briefing) -> None:
    def mentions(a, name: str) -> bool:
        return any(name in s.text for s in a.sentences) or any(name in e for e in a.entities)

    for name in ("Macron", "Merkel", "Pope"):
        outlets = [a.outlet for a in briefing.additions if mentions(a, name)]
        assert len(outlets) == 1, (name, outlets)
    only = [a for a in briefing.additions if mentions(a, "Macron")][0]
    assert mentions(only, "Merkel") and mentions(only, "Pope")
    # a sentence every outlet reports is nobody's addition
    for a in briefing.additions:
        assert not any("strategic stability" in s.text for s in a.sentences)


def test_seed_entities_timeline_headline(seeds: Store, briefing: Briefing) -> None:
    names = {e.name: e for e in briefing.entities}
    assert "Vladimir Putin" in names and len(names["Vladimir Putin"].article_ids) == 4
    assert "Putin" not in names  # merged into the full name
    assert "Trump" not in names and "Donald Trump" in names
    assert [t.article_id for t in briefing.timeline if t.published] == [
        t.article_id for t in sorted(briefing.timeline, key=lambda t: t.published or "~") if t.published]
    assert {t.article_id for t in briefing.timeline} == _ids(seeds, "s1")
    assert "Putin" in briefing.headline
    text = " ".join(render_briefing_text(briefing).split())
    for s in briefing.summary:
        assert " ".join(s.text.split()) in text
    assert "Quotes across outlets" in text and "What each outlet adds" in text


def test_briefing_json_round_trip(briefing: Briefing) -> None:
    d = json.loads(json.dumps(briefing.to_dict()))
    back = Briefing.from_dict(d)
    assert back == briefing
    d["future_field"] = 1  # a newer writer's field is ignored
    assert Briefing.from_dict(d).headline == briefing.headline


def test_one_article_story_summarizes_that_article(seeds: Store) -> None:
    a = seeds.get_articles(list(_ids(seeds, "s2")))[0]
    b = summarize_story([a], with_nlp=False)
    assert b.summary and b.reason is None
    assert all(s.article_ids == [a.id] and s.text in a.text for s in b.summary)
    assert b.n_words <= 100
    assert b.additions == []


def test_story_without_sentences_gets_an_empty_summary_with_a_reason() -> None:
    arts = [Article(id="x1", text="Home | World | Sport\nShare this\nMore"), Article(id="x2", text="  \n ")]
    b = summarize_story(arts)
    assert b.summary == [] and b.reason and "sentence" in b.reason
    assert summarize_story([Article(id="y", text="")]).reason
    assert summarize_story([]).reason


def test_stage_writes_once_and_refreshes_when_membership_changes(seeds: Store, tmp_path) -> None:
    store = Store(tmp_path / "stage.db")
    ingest_paths(store, [str(EXAMPLES)])
    ids = [a.id for _, a in store.iter_articles()]
    story = [i for i in ids if i.startswith(SEED_STORY)]
    add_story(store, "s1", story[:3])
    stage = SummariesStage(with_nlp=False)
    rep = stage.catch_up(store)
    assert rep.processed == 1
    b = load_briefing(store, "s1")
    assert b is not None and b.version == story_version(story[:3]) and b.summary
    headline = store.conn.execute("SELECT headline FROM stories WHERE id = 's1'").fetchone()[0]
    assert headline == b.headline != ""
    hit = store.conn.execute("SELECT story_id FROM stories_fts WHERE stories_fts MATCH 'Putin'").fetchall()
    assert [r[0] for r in hit] == ["s1"]
    assert stage.catch_up(store).processed == 0  # nothing changed: nothing recomputed
    with store.atomic() as c:
        c.execute("INSERT INTO story_articles (article_id, story_id) VALUES (?, 's1')", (story[3],))
    assert stage.catch_up(store).processed == 1
    assert load_briefing(store, "s1").version == story_version(story)
    assert store.conn.execute("SELECT count(*) FROM stories_fts").fetchone()[0] == 1
    with store.atomic() as c:
        c.execute("UPDATE stories SET state = 'merged' WHERE id = 's1'")
    rep = stage.catch_up(store)
    assert rep.details["removed"] == 1 and load_briefing(store, "s1") is None


def _brute_force(sel: SubmodularSelector, W, costs, cands) -> float:
    best = 0.0
    for k in range(1, len(cands) + 1):
        for combo in itertools.combinations(cands, k):
            if sum(costs[c] for c in combo) <= sel.max_words:
                best = max(best, sel._value(W, list(combo)))
    return best


def test_selector_keeps_the_approximation_guarantee() -> None:
    rng = np.random.default_rng(7)
    for trial in range(5):
        n = 11
        X = rng.random((n, 6)) ** 3
        X /= np.linalg.norm(X, axis=1, keepdims=True)
        W = X @ X.T
        costs = list(rng.integers(5, 40, size=n))
        sel = SubmodularSelector(max_words=60, cluster_ratio=0.3).fit(W, costs, list(range(n)), X=X)
        assert sum(costs[i] for i in sel.selected_) <= 60
        opt = _brute_force(sel, W, costs, list(range(n)))
        assert sel.objective_ >= GUARANTEE * opt - 1e-9
        assert sel.certified_ratio_ >= GUARANTEE - 1e-9


@pytest.mark.slow
def test_eval_summaries_cli(tmp_path) -> None:
    from newsfold.present.cli import cli

    rows = [json.loads(line) for line in open(ECBPLUS, encoding="utf-8")]
    by_event: dict[str, list[dict]] = {}
    for r in rows:
        by_event.setdefault(r["event"], []).append(r)
    clusters = []
    for k, (ev, docs) in enumerate(sorted(by_event.items())[:3]):
        ref = " ".join(docs[0]["text"].split()[:100])
        clusters.append({"id": f"c{k}", "docs": [{"id": d["id"], "text": d["text"]} for d in docs[1:6]],
                         "references": [ref]})
    f = tmp_path / "eval.jsonl"
    f.write_text("".join(json.dumps(c) + "\n" for c in clusters))
    out = tmp_path / "summaries.jsonl"
    res = CliRunner().invoke(cli, ["eval", "summaries", str(f), "--json", "--save", str(out)])
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)
    assert d["n_clusters"] == 3 and 0.2 < d["rouge1_recall"] <= 1 and 0 <= d["rouge2_f1"] <= 1
    assert d["clusters_per_second"] > 0
    saved = [json.loads(line) for line in out.read_text().splitlines()]
    assert [s["id"] for s in saved] == ["c0", "c1", "c2"] and all(len(s["summary"].split()) <= 100 for s in saved)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1, "docs": [{"title": "no text"}]}\n')
    res = CliRunner().invoke(cli, ["eval", "summaries", str(bad)])
    assert res.exit_code == 1 and "no 'text'" in res.output and "Traceback" not in res.output


def test_quote_spans_pair_mixed_marks() -> None:
    text = 'He said "open to dialogue on the agenda” and «more here» then “fine".\nAn "unclosed quote'
    spans = [text[a:b] for a, b in quote_spans(text)]
    assert spans == ["open to dialogue on the agenda", "more here", "fine"]


def test_discrepancies_flag_a_changed_figure_and_nothing_else(seeds: Store, briefing: Briefing) -> None:
    from newsfold.summarize.discrepancies import find_discrepancies, numbers_in
    from newsfold.summarize.analysis import analyse

    assert briefing.discrepancies == []  # the four seed reports agree on every figure
    arts = {a.source_ref.split("/")[-1][:3]: a for _, a in seeds.iter_articles()}
    a2, a3 = arts["002"], arts["003"]
    assert "expelled 23 Russian diplomats" in a3.text
    changed = Article(id="003-edited", text=a3.text.replace("expelled 23 Russian", "expelled 25 Russian"))
    found = find_discrepancies([a2, changed], analyse([a2, changed]))
    assert len(found) == 1
    d = found[0]
    assert d.kind == "number" and "diplomat" in d.subject.lower()
    assert {v.value: v.article_ids for v in d.values} == {"23": [a2.id], "25": ["003-edited"]}
    # the same sum written two ways is no discrepancy
    assert numbers_in("$US1 million") == numbers_in("one-million dollars") == {1e6}
    assert numbers_in("$140-150 million") == {140e6, 150e6}
