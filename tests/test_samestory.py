"""The same-story model on real text: the seeds in a crowd, event dates, stored decisions, `eval pairs`."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsfold.cli import cli
from newsfold.cluster import BatchClusterer
from newsfold.eventdate import event_date
from newsfold.ingest import ingest_paths
from newsfold.models import Article
from newsfold.represent import ArticleFeatures, Featurizer, MiniLMEncoder
from newsfold.stories import StoriesStage
from newsfold.store import Store

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
ECB = ROOT / "data" / "ecbplus" / "ecbplus-dev.jsonl"
EXPECTED = {frozenset({"000", "001", "002", "003"}), frozenset({"004"})}


def _seed_articles(folder: Path) -> list[Article]:
    store = Store(":memory:")
    ingest_paths(store, [str(folder)])
    return [a for _, a in store.iter_articles()]


def _undated_copies(tmp: Path) -> Path:
    for p in EXAMPLES.glob("0*.txt"):
        (tmp / p.name).write_text(re.sub(r"\b(19|20)\d\d\b", "", p.read_text(encoding="utf-8")), encoding="utf-8")
    return tmp


@pytest.fixture(scope="module")
def encoder() -> MiniLMEncoder:
    return MiniLMEncoder()


@pytest.fixture(scope="module")
def ecb_features(encoder: MiniLMEncoder) -> list[ArticleFeatures]:
    rows = [json.loads(line) for line in ECB.open(encoding="utf-8")]
    return Featurizer(encoder).featurize([Article(id=f"ecb{i}", text=r["text"]) for i, r in enumerate(rows)])


def _seed_groups(arts: list[Article], feats: list[ArticleFeatures]) -> set[frozenset[str]]:
    labels = BatchClusterer().fit_predict(feats)
    name = {a.id: Path(a.source_ref.split(":")[0]).name[:3] for a in arts}
    groups: dict[int, set[str]] = {}
    for f, lab in zip(feats, labels):
        groups.setdefault(int(lab), set()).add(name.get(f.id, "ecb"))
    return {frozenset(g) for g in groups.values() if g & {"000", "001", "002", "003", "004"}}


def _seeds(tmp_path: Path, encoder: MiniLMEncoder, dated: bool) -> tuple[list[Article], list[ArticleFeatures]]:
    arts = _seed_articles(EXAMPLES if dated else _undated_copies(tmp_path))
    if not dated:
        for a in arts:
            a.published = None
    feats = Featurizer(encoder).featurize(arts)
    assert dated or all(f.event_date is None for f in feats)
    return arts, feats


@pytest.mark.parametrize("dated", [True, False])
def test_seeds_alone_fold_into_the_two_events(tmp_path: Path, encoder: MiniLMEncoder, dated: bool) -> None:
    arts, feats = _seeds(tmp_path, encoder, dated)
    assert _seed_groups(arts, feats) == EXPECTED


@pytest.mark.xfail(reason="issue 11, not reached yet: in a crowd the seeds' shared names turn rare (global IDF) and "
                          "the 2017 letter joins the 2018 story; no ECB+ article joins them", strict=False)
@pytest.mark.parametrize("dated", [True, False])
def test_seeds_fold_apart_from_the_whole_ecbplus_set(tmp_path: Path, encoder: MiniLMEncoder,
                                                      ecb_features: list[ArticleFeatures], dated: bool) -> None:
    """Folded together with the 772 ECB+ articles, the seeds still give {000–003} and {004}."""
    arts, feats = _seeds(tmp_path, encoder, dated)
    assert _seed_groups(arts, feats + ecb_features) == EXPECTED


@pytest.mark.parametrize("dated", [True, False])
def test_no_ecbplus_article_joins_the_seeds(tmp_path: Path, encoder: MiniLMEncoder,
                                            ecb_features: list[ArticleFeatures], dated: bool) -> None:
    arts, feats = _seeds(tmp_path, encoder, dated)
    assert all("ecb" not in g for g in _seed_groups(arts, feats + ecb_features))


def test_event_dates_resolve_relative_words_against_the_article_date() -> None:
    sunday = dt.date(2018, 12, 30)
    assert event_date("Moscow. Yesterday the Kremlin said it had received a letter.", sunday) == (
        dt.date(2018, 12, 29), "'yesterday'")
    assert event_date("The quake struck on Thursday near the coast.", sunday)[0] == dt.date(2018, 12, 27)
    assert event_date("Talks last week broke down.", sunday)[0] == dt.date(2018, 12, 23)
    assert event_date("A letter dated Dec. 28 was read out.", sunday)[0] == dt.date(2018, 12, 28)
    # a month and day after the reference is last year's
    assert event_date("As on Dec. 28, the office was closed.", dt.date(2019, 1, 2))[0] == dt.date(2018, 12, 28)
    assert event_date("On 14 March 2017 the plant closed.", sunday) == (dt.date(2017, 3, 14), "explicit date")
    # without a reference only an explicit date counts
    assert event_date("Yesterday the plant closed.", None) == (None, "none")
    assert event_date("No date here at all.", sunday) == (sunday, "its own date")


def test_every_placement_keeps_its_probability_and_reasons() -> None:
    store = Store(":memory:")
    ingest_paths(store, [str(EXAMPLES)])
    StoriesStage().catch_up(store)
    rows = store.conn.execute("SELECT reason, probability, evidence_json FROM story_articles").fetchall()
    assert len(rows) == 5
    decided = [r for r in rows if r["evidence_json"]]
    assert len(decided) >= 4  # every article after the first was compared with a story
    for r in decided:
        assert 0.0 <= r["probability"] <= 1.0
        ev = json.loads(r["evidence_json"])
        assert {"names", "dense", "body"} <= set(ev)
        assert "probability" in r["reason"] and ("apart" in r["reason"] or "same day" in r["reason"]
                                                  or "no event date" in r["reason"])


def test_eval_pairs_counts_the_pairs_right(tmp_path: Path) -> None:
    texts = {p.name[:3]: p.read_text(encoding="utf-8") for p in EXAMPLES.glob("0*.txt")}
    pairs = [("000", "001", True), ("002", "003", True), ("000", "004", False), ("003", "004", False),
             ("001", "002", None)]
    f = tmp_path / "pairs.jsonl"
    f.write_text("\n".join(json.dumps({"text1": texts[a], "text2": texts[b], "same_story": s}) for a, b, s in pairs),
                 encoding="utf-8")
    res = CliRunner().invoke(cli, ["eval", "pairs", str(f), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["pairs"] == 4 and out["texts"] == 5 and out["right"] == 1.0
    assert out["same_split"] == 0 and out["different_fused"] == 0
    text = CliRunner().invoke(cli, ["eval", "pairs", str(f)])
    assert "right: 1.0000" in text.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text1": "a"}\n', encoding="utf-8")
    res = CliRunner().invoke(cli, ["eval", "pairs", str(bad)])
    assert res.exit_code != 0 and "same_story" in res.output and "Traceback" not in res.output
