"""Briefings an editor would sign: citations that survive paraphrase, additions that are really new."""

from __future__ import annotations

import json

import pytest

from newsfold.ingest import ingest_paths
from newsfold.models import Article
from newsfold.store.db import Store
from newsfold.summarize import Briefing, SummariesStage, load_briefing, sentence_encoder
from newsfold.summarize.additions import additions
from newsfold.summarize.align import RESTATE, score
from newsfold.summarize.citations import alignment, citations
from newsfold.summarize.selection import Restatements, select_summary
from nfpaths import EXAMPLES, TEST_DATA

PAIRS = TEST_DATA / "restatement_pairs.jsonl"


@pytest.fixture(scope="module")
def seed_story(tmp_path_factory: pytest.TempPathFactory) -> tuple[Briefing, dict[str, str], Store]:
    """The seeds through ingest and the Summaries stage: 000–003 one story, 004 (a year earlier) another."""
    store = Store(tmp_path_factory.mktemp("quality") / "seeds.db")
    ingest_paths(store, [str(EXAMPLES)])
    seed = {a.id: a.source_ref.split("/")[-1][:3] for _, a in store.iter_articles()}
    with store.atomic() as c:
        for sid, members in (("s1", [i for i, n in seed.items() if n != "004"]),
                             ("s2", [i for i, n in seed.items() if n == "004"])):
            c.execute("INSERT INTO stories (id, size) VALUES (?, ?)", (sid, len(members)))
            c.executemany("INSERT INTO story_articles (article_id, story_id) VALUES (?, ?)",
                          [(i, sid) for i in members])
    SummariesStage().catch_up(store)
    b = load_briefing(store, "s1")
    assert b is not None
    return b, seed, store


def test_seed_kremlin_statement_cites_the_translation_and_is_not_its_addition(seed_story) -> None:
    b, seed, _ = seed_story
    statement = [s for s in b.summary if "strategic stability" in s.text or "dialogue" in s.text]
    assert statement, b.summary_text
    for s in statement:
        assert {"000", "001", "002"} <= {seed[i] for i in s.article_ids}, (s.text, s.article_ids)
    translation = [a for a in b.additions if {seed[i] for i in a.article_ids} == {"001"}]
    for a in translation:
        for x in a.sentences:
            assert "strategic stability" not in x.text and "open to dialogue" not in x.text, x.text


def test_seed_other_outlets_letters_are_still_an_addition(seed_story) -> None:
    b, seed, _ = seed_story
    for name in ("Macron", "Merkel", "Pope", "Guterres", "Lagarde", "Infantino"):
        who = [a for a in b.additions
               if any(name in x.text for x in a.sentences) or any(name in e for e in a.entities)]
        assert [{seed[i] for i in a.article_ids} for a in who] == [{"003"}], name

    # 003 names no outlet: its section is labelled by its file, never merged with another unknown outlet's
    labels = [a.outlet for a in b.additions]
    assert len(labels) == len(set(labels)) and "unknown outlet" not in labels, labels
    assert any(label.startswith("unknown outlet (file 003_") for label in labels), labels


def test_seed_briefing_has_no_fact_of_the_previous_year(seed_story) -> None:
    b, seed, store = seed_story
    old = store.get_articles([i for i, n in seed.items() if n == "004"])[0]
    assert "2017" not in b.summary_text and "2017" not in json.dumps([s.text for s in b.summary])
    assert not any(s.text in old.text for s in b.summary)
    assert not any(d for d in b.discrepancies if any("2017" in v.value for v in d.values))


def test_seed_summary_states_the_letter_first_and_each_fact_once(seed_story) -> None:
    b, seed, store = seed_story
    first = b.summary[0].text
    assert "letter" in first and "Sunday" in first, first  # the event and its date
    story = store.get_articles([i for i, n in seed.items() if n != "004"])
    sel = select_summary(story, distinct=False)
    at = {u.text: k for k, u in enumerate(sel.units)}
    same = Restatements(sel.units, sel.terms, alignment(sel, sentence_encoder()))  # the citations' restatement test
    ks = [at[s.text] for s in b.summary]
    assert len(ks) >= 2
    assert not [(sel.units[i].text, sel.units[j].text) for n, i in enumerate(ks) for j in ks[n + 1:] if same(i, j)]


def test_seed_facts_that_other_articles_report_are_no_outlets_addition(seed_story) -> None:
    b, seed, _ = seed_story
    assert all(len(a.sentences) == a.n_sentences for a in b.additions)  # every addition is shown: all are checked
    for name in ("Argentina", "Helsinki", "Skripal"):
        listed = [(a.outlet, x.text) for a in b.additions for x in a.sentences if name in x.text]
        listed += [(a.outlet, e) for a in b.additions for e in a.entities if name in e]
        assert not listed, (name, listed)


def _story() -> list[Article]:
    a = Article(id="wire", outlet="Wire One", text=(
        "Health officials said the outbreak had sickened 40 people in three counties since early May.\n"
        "Inspectors traced the illness to a salad supplier whose lettuce was sold at several grocery chains.\n"
        "The supplier has recalled its products and suspended shipments while tests continue."))
    b = Article(id="local", outlet="Valley Daily", text=(
        "Since the beginning of May, 40 residents of three counties have fallen ill in the outbreak, "
        "according to health authorities.\n"
        "A high school cafeteria closed for two days last week as a precaution, the principal said.\n"
        "Parents were told to watch for fever and stomach cramps and to call a doctor."))
    return [a, b]


def test_a_paraphrase_is_cited_and_is_no_addition() -> None:
    arts = _story()
    sel = select_summary(arts, encoder=sentence_encoder())
    lead = next(i for i, u in enumerate(sel.units) if u.text.startswith("Health officials"))
    para = next(u.text for u in sel.units if u.text.startswith("Since the beginning"))
    sel.chosen = [lead]
    # the words differ too much for the lexical tests: only meaning finds it
    assert citations(sel)[lead] == ["wire"]
    assert citations(sel, align=alignment(sel, sentence_encoder()))[lead] == ["wire", "local"]
    added = {x.text for o in additions(arts, sel, align=alignment(sel, sentence_encoder())) for x in o.sentences}
    assert para not in added and "Parents were told to watch for fever and stomach cramps and to call a doctor." in added


def test_restatement_threshold_holds_on_the_labelled_pairs() -> None:
    """The bundled hand-labelled pairs: the chosen threshold keeps precision and recall (seeds and ECB+)."""
    rows = [json.loads(line) for line in PAIRS.open(encoding="utf-8")]
    assert len(rows) >= 150 and {r["label"] for r in rows} == {0, 1}
    enc = sentence_encoder()
    va, vb = enc.vectors([r["a"] for r in rows]), enc.vectors([r["b"] for r in rows])
    said = [score(float(x @ y), r["a"], r["b"]) >= RESTATE for r, x, y in zip(rows, va, vb)]
    tp = sum(s and r["label"] == 1 for s, r in zip(said, rows))
    precision, recall = tp / max(1, sum(said)), tp / sum(r["label"] == 1 for r in rows)
    assert precision >= 0.8 and recall >= 0.7, (precision, recall)


@pytest.mark.slow
def test_sentence_encoder_agrees_with_the_float32_model_on_the_labelled_pairs() -> None:
    """The int8 export the sentence encoder runs here (signed weights on a CPU with VNNI, else unsigned) gives
    the labelled pairs' sentences nearly the float32 model's vectors, and nearly all its restatement decisions."""
    from newsfold.stories.represent import MiniLMEncoder
    from newsfold.summarize.align import MAX_TOKENS

    rows = [json.loads(line) for line in PAIRS.open(encoding="utf-8")]
    enc = sentence_encoder()
    fp32 = MiniLMEncoder(max_tokens=MAX_TOKENS, precision="fp32", threads=1)
    for side in ("a", "b"):
        v, f = enc.vectors([r[side] for r in rows]), fp32.encode([r[side] for r in rows])
        cos = (v * f).sum(axis=1)
        assert float(cos.mean()) > 0.98 and float(cos.min()) > 0.95, (side, enc.model, cos.min())
    va, vb = enc.vectors([r["a"] for r in rows]), enc.vectors([r["b"] for r in rows])
    fa, fb = fp32.encode([r["a"] for r in rows]), fp32.encode([r["b"] for r in rows])
    said = [score(float(x @ y), r["a"], r["b"]) >= RESTATE for r, x, y in zip(rows, va, vb)]
    said32 = [score(float(x @ y), r["a"], r["b"]) >= RESTATE for r, x, y in zip(rows, fa, fb)]
    assert sum(a == b for a, b in zip(said, said32)) >= 0.95 * len(rows), enc.model

# ------------------------------------------------------------ discrepancies
QUAKE_A = (
    "A magnitude 6.1 earthquake struck the mountainous north of the country early on Monday, killing at least "
    "12 people, the civil protection agency said.\n"
    "Rescue teams were searching the rubble of collapsed houses in three villages near the epicentre.\n"
    "The regional governor said roads to the worst-hit valley had been cut by landslides.")
QUAKE_B = (
    "At least 19 people were killed when a strong earthquake hit the country's mountainous north early on "
    "Monday, the civil protection agency said.\n"
    "Hundreds of families spent the night outdoors as aftershocks shook the region.\n"
    "Army helicopters flew water and tents to villages cut off by landslides.")
QUAKE_C = (
    "At least 40 people were injured when a strong earthquake hit the country's mountainous north early on "
    "Monday, the civil protection agency said.\n"
    "When a strong earthquake hit the country's mountainous north in 1998, at least 250 people were killed, "
    "the civil protection agency said.\n"
    "Army helicopters flew water and tents to villages cut off by landslides.")


def _flags(*texts: str):
    from newsfold.summarize.analysis import analyse
    from newsfold.summarize.discrepancies import find_discrepancies

    arts = [Article(id=f"r{k}", text=t) for k, t in enumerate(texts)]
    return find_discrepancies(arts, analyse(arts))


def test_two_death_tolls_for_one_event_are_flagged_with_both_sentences() -> None:
    found = _flags(QUAKE_A, QUAKE_B)
    assert len(found) == 1, found
    d = found[0]
    assert d.kind == "number" and d.subject == "deaths"
    by_value = {v.value: v for v in d.values}
    assert set(by_value) == {"12", "19"}
    assert by_value["12"].article_ids == ["r0"] and "killing at least 12 people" in by_value["12"].sentences[0]
    assert by_value["19"].article_ids == ["r1"] and "At least 19 people were killed" in by_value["19"].sentences[0]


def test_figures_about_different_things_are_not_flagged() -> None:
    # 40 injured vs 19 killed; 250 killed in an earlier year's quake vs 19 killed now: all in near-identical words
    assert _flags(QUAKE_B, QUAKE_C) == []
    # the same reports with the injured count and the old quake's year gone are flagged (the test can fail)
    assert _flags(QUAKE_B, QUAKE_C.replace("in 1998", "on Monday"))


# ------------------------------------------------------------ eval summaries
def test_eval_summaries_reports_rouge_and_citations_on_the_bundled_set(tmp_path) -> None:
    from click.testing import CliRunner

    from newsfold.present.cli import cli

    checked = TEST_DATA / "summary_checked.jsonl"
    res = CliRunner().invoke(cli, ["eval", "summaries", str(checked), "--json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)
    assert d["n_clusters"] == 5 and d["citations_judged"] >= 90
    # the recorded floors (issue 22): ROUGE and citations no lower than before, the new figures beside them
    assert 0.506 <= d["rouge1_recall"] <= 1 and 0 < d["rouge2_recall"] <= 1
    assert d["citation_precision"] >= 0.744 and d["citation_recall"] >= 0.763
    assert d["summary_pairs"] >= 30 and d["redundant_pairs"] == 0
    assert d["additions_listed"] >= 20 and d["additions_precision"] >= 0.9
    text = CliRunner().invoke(cli, ["eval", "summaries", str(checked)]).output
    assert "redundancy  0 of" in text and "additions  precision" in text
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "docs": [{"text": "One sentence here."}], "citations": [{"doc": "a"}]}\n')
    res = CliRunner().invoke(cli, ["eval", "summaries", str(bad)])
    assert res.exit_code == 1 and "'citations' must be" in res.output and "Traceback" not in res.output


# ------------------------------------------------------------ consensus
def test_consensus_counts_the_other_articles_that_state_a_fact_wire_copies_once() -> None:
    from newsfold.summarize.selection import consensus
    from newsfold.summarize.text import sentence_units

    lone = "A cafeteria at a high school closed for two days last week as a precaution, the principal said."
    arts = _story() + [
        Article(id="third", text="Health authorities say 40 people in three counties have been sickened by the "
                                 "outbreak since early May.\nThe recall covers bagged salads sold since April."),
        Article(id="copy", text=_story()[0].text),  # a wire copy of the first report
    ]
    arts[1].text = arts[1].text.replace(
        "A high school cafeteria closed for two days last week as a precaution, the principal said.", lone)
    units = sentence_units(arts)
    copy_units = {i for i, u in enumerate(units) if u.article_id == "copy"}
    candidates = [i for i, u in enumerate(units) if u.eligible and i not in copy_units]  # copies fold into originals
    got = consensus(units, candidates, sentence_encoder())
    shared = next(i for i in candidates if units[i].text.startswith("Health officials"))
    alone = next(i for i in candidates if units[i].text == lone)
    assert got[shared] >= 2 / 3 > got[alone] == 0.0


# ------------------------------------------------------------ entities
def test_entity_kinds_are_words_and_a_place_after_in_is_a_place(seed_story) -> None:
    """The seed story's kinds read as words; on ECB+, a town and a street the small model calls organisations
    and the articles name after "in" are places."""
    from newsfold.summarize.analysis import analyse
    from newsfold.summarize.entities import story_entities
    from nfpaths import ECBPLUS

    b, _, _ = seed_story
    kinds = {e.name: e.label for e in b.entities}
    assert set(kinds.values()) <= {"person", "place", "organisation", "group", "event", "date", "product", "work",
                                   "law"}
    assert kinds["Vladimir Putin"] == "person" and kinds["Moscow"] == "place" and kinds["Kremlin"] == "organisation"
    rows = [json.loads(line) for line in ECBPLUS.open(encoding="utf-8")]
    for event, name in (("18_ecbplus", "Royal Oak"), ("21_ecb", "American Boulevard")):
        arts = [Article(id=r["id"], text=r["text"]) for r in rows if r["event"] == event]
        found = {e.name: e.label for e in story_entities(arts, analyse(arts))}
        assert found.get(name) == "place", (name, found.get(name))


def test_no_headline_or_title_in_an_ecb_summary() -> None:
    """Two ECB+ events whose articles repeat headline lines in their text ("… Checks Out Of Rehab…",
    "… Restores Endangered Species Act Protections!"): the summaries hold sentences, not headlines."""
    from newsfold.summarize.text import is_headline_style
    from newsfold.text import words
    from nfpaths import ECBPLUS

    rows = [json.loads(line) for line in ECBPLUS.open(encoding="utf-8")]
    for event in ("1_ecbplus", "9_ecbplus"):
        arts = [Article(id=r["id"], text=r["text"], title=r.get("title")) for r in rows if r["event"] == event]
        titles = {" ".join(words(a.title or "")) for a in arts}
        sel = select_summary(arts, encoder=sentence_encoder())
        shown = [sel.units[i].text for i in sel.chosen]
        assert shown and not [s for s in shown if is_headline_style(s) or " ".join(words(s)) in titles], shown
