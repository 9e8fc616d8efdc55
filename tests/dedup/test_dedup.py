"""The dedup stage, passages and the ``newsfold dedup`` command, on the seeds and ECB+."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsfold.present.cli import cli
from newsfold.dedup.config import DedupConfig
from newsfold.dedup.stage import DedupStage
from newsfold.present.query import links_for, list_groups, passages_for, stored_settings
from newsfold.models import Article
from newsfold.dedup.passages import find_passages
from newsfold.store.db import Store
from nfpaths import ROOT

EXAMPLES = ROOT / "examples"
ECBPLUS = ROOT / "data" / "ecbplus" / "ecbplus-dev.jsonl"


def seed_articles() -> dict[str, Article]:
    """The five seeds, raw, with the first line as title."""
    out = {}
    for p in sorted(EXAMPLES.glob("0*.txt")):
        text = p.read_text(encoding="utf-8").strip()
        out[p.name[:3]] = Article(id=p.name[:3], title=text.split("\n", 1)[0], text=text, content_hash=p.name)
    return out


@pytest.fixture(scope="module")
def ecb() -> list[str]:
    with open(ECBPLUS, encoding="utf-8") as fh:
        return [json.loads(line)["text"] for line in fh]


def add(store: Store, arts: list[Article]) -> None:
    with store.atomic():
        for a in arts:
            store.insert_article(a)


def syndicate(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    body = lines[1:] if len(lines) > 2 else lines
    keep = body[: max(2, int(len(body) * rng.uniform(0.75, 1.0)))]
    return "\n".join(["Syndicated: " + " ".join(lines[0].split()[:4])] + keep + ["© 2024 The Valley Post. All rights reserved."])


# ------------------------------------------------------------------ seeds
def test_seed_passages_003_from_002_and_no_copy_between_000_001() -> None:
    s = seed_articles()
    ps = find_passages(s["003"], s["002"])
    sents = " ".join(p.sentence for p in ps)
    assert len(ps) >= 4
    assert all(p.article_id == "003" and p.source_id == "002" for p in ps)
    assert "key issues it wanted to discuss with the United States" in sents
    assert "In a separate letter to Syrian President Bashar al-Assad" in sents
    assert "Britain expelled 23 Russian diplomats" in sents
    # the look-alike event from the previous year shares no sentence
    assert find_passages(s["004"], s["000"]) == []
    assert find_passages(s["004"], s["003"]) == []


def test_seed_stage_links_and_passages() -> None:
    store = Store(":memory:")
    s = seed_articles()
    add(store, list(s.values()))
    report = DedupStage().catch_up(store)
    assert report.processed == 5
    assert links_for(store.conn, "000") == [] and links_for(store.conn, "001") == []
    assert list_groups(store.conn) == []  # no two seeds are copies of each other
    assert not any({p.article_id, p.source_id} == {"000", "001"} for p in passages_for(store.conn, "000"))


def test_seed_passages_through_real_ingest_and_story_stage(store: Store) -> None:
    """Cleaned seeds: dedup folds nothing; once 000–003 share a story, 003's Reuters sentences are recorded."""
    from newsfold.ingest import ingest_paths
    from newsfold.dedup.passages import StoryPassagesStage

    ingest_paths(store, [str(EXAMPLES)])
    DedupStage().catch_up(store)
    assert list_groups(store.conn) == []
    ids = {a.id[:3]: a.id for a in store.list_articles()}
    with store.atomic():  # what the stories stage would write
        store.conn.execute("INSERT INTO stories (id, headline) VALUES ('s1', 'x'), ('s2', 'y')")
        for k in ("000", "001", "002", "003"):
            store.conn.execute("INSERT INTO story_articles (article_id, story_id) VALUES (?, 's1')", (ids[k],))
        store.conn.execute("INSERT INTO story_articles (article_id, story_id) VALUES (?, 's2')", (ids["004"],))
    stage = StoryPassagesStage()
    rep = stage.catch_up(store)
    assert rep.processed == 5
    got = passages_for(store.conn, ids["003"])
    assert any("key issues it wanted to discuss" in p.sentence and p.source_id == ids["002"] for p in got)
    assert not any(ids["004"] in (p.article_id, p.source_id) for p in got)
    n = store.conn.execute("SELECT count(*) FROM passages").fetchone()[0]
    assert stage.catch_up(store).processed == 0  # exactly once
    assert store.conn.execute("SELECT count(*) FROM passages").fetchone()[0] == n


def test_direction_follows_dates() -> None:
    s = seed_articles()
    s["002"].published, s["003"].published = "2018-12-30", "2018-12-31"
    ps = find_passages(s["002"], s["003"])  # argument order does not matter: dates decide
    assert ps and all(p.article_id == "003" and p.source_id == "002" and p.direction == "copied" for p in ps)


# ------------------------------------------------------------ syndication
def test_syndicated_copies_fold_onto_their_original(ecb: list[str]) -> None:
    rng = random.Random(11)
    store = Store(":memory:")
    originals = [Article(id=f"o{i}", text=t, content_hash=f"o{i}") for i, t in enumerate(ecb[:200])]
    picked = [i for i in rng.sample(range(200), 25) if len(ecb[i].split("\n")) >= 6]
    copies = [Article(id=f"c{i}", text=syndicate(ecb[i], rng), content_hash=f"c{i}") for i in picked]
    exact = Article(id="x0", text=ecb[picked[0]].upper(), content_hash="x0")  # same words, other case
    add(store, originals + copies + [exact])
    rep = DedupStage().catch_up(store)
    assert rep.processed == len(originals) + len(copies) + 1
    for i in picked:
        links = {link.article_id: link for link in links_for(store.conn, f"c{i}")}
        assert f"c{i}" in links, f"copy c{i} not folded"
        assert links[f"c{i}"].canonical_id == f"o{i}"  # no dates: the longest, then the first ingested
        assert links[f"c{i}"].kind in ("reprint", "near-duplicate")
    x = {link.article_id: link for link in links_for(store.conn, "x0")}["x0"]
    assert (x.kind, x.similarity, x.canonical_id) == ("exact", 1.0, f"o{picked[0]}")
    # nothing else was folded: unrelated ECB+ articles stay apart
    grouped = {link.article_id for g in list_groups(store.conn) for link in g.links} | {g.canonical_id for g in list_groups(store.conn)}
    assert grouped - {f"o{i}" for i in picked} - {f"c{i}" for i in picked} - {"x0"} <= _natural_copies(store)


def _natural_copies(store: Store) -> set[str]:
    """ECB+ itself holds a few reprints of one wire story; those may group too."""
    return {link.article_id for g in list_groups(store.conn) for link in g.links if link.article_id.startswith("o")} | {
        g.canonical_id for g in list_groups(store.conn) if g.canonical_id.startswith("o")}


def test_earliest_published_becomes_canonical_and_links_are_repointed(ecb: list[str]) -> None:
    rng = random.Random(2)
    base = next(t for t in ecb if len(t.split("\n")) > 10)
    store = Store(":memory:")
    stage = DedupStage()
    add(store, [Article(id="late", text=syndicate(base, rng), published="2020-03-03", content_hash="1"),
                Article(id="later", text=syndicate(base, rng), published="2020-03-04", content_hash="2")])
    stage.catch_up(store)
    assert {link.canonical_id for link in links_for(store.conn, "later")} == {"late"}
    add(store, [Article(id="wire", text=base, published="2020-03-01", content_hash="3")])
    stage.catch_up(store)  # incremental: only the new article is processed
    links = {link.article_id: link for link in links_for(store.conn, "late")}
    assert set(links) == {"late", "later"} and all(link.canonical_id == "wire" for link in links.values())
    assert all(p.direction == "copied" for p in passages_for(store.conn, "wire"))


def test_index_is_rebuilt_from_stored_signatures(tmp_path: Path, ecb: list[str]) -> None:
    db = tmp_path / "d.db"
    store = Store(db)
    add(store, [Article(id=f"o{i}", text=t, content_hash=str(i)) for i, t in enumerate(ecb[:100])])
    DedupStage().catch_up(store)
    store.close()
    store = Store(db)  # a new process: a new stage object, an empty in-memory index
    add(store, [Article(id="copy", text=syndicate(ecb[40], random.Random(0)), content_hash="c")])
    rep = DedupStage().catch_up(store)
    assert rep.processed == 1
    assert [link.canonical_id for link in links_for(store.conn, "copy") if link.article_id == "copy"] == ["o40"]
    assert DedupStage().catch_up(store).processed == 0
    store.close()


def test_empty_and_short_articles_never_match_everything(ecb: list[str]) -> None:
    store = Store(":memory:")
    short = ["", " ", "\n\n", "Photo", "AP", "Breaking news now", "Updated at noon today", "one two three four"]
    arts = [Article(id=f"s{i}", text=t, content_hash=f"s{i}") for i, t in enumerate(short)]
    arts += [Article(id=f"o{i}", text=t, content_hash=f"o{i}") for i, t in enumerate(ecb[:30])]
    add(store, arts)
    DedupStage().catch_up(store)
    assert list_groups(store.conn) == [] or all(not g.canonical_id.startswith("s") and
                                           not any(link.article_id.startswith("s") for link in g.links)
                                           for g in list_groups(store.conn))
    assert store.conn.execute("SELECT count(*) FROM fingerprints WHERE minhash IS NULL").fetchone()[0] == len(short)


def test_a_failed_batch_leaves_nothing_and_a_rerun_finishes(ecb: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(4)
    store = Store(":memory:")
    add(store, [Article(id=f"o{i}", text=t, content_hash=str(i)) for i, t in enumerate(ecb[:50])]
        + [Article(id="copy", text=syndicate(ecb[7], rng), content_hash="c")])
    stage = DedupStage()

    def boom(*a: object, **k: object) -> None:
        raise RuntimeError("crash mid-batch")

    monkeypatch.setattr(stage, "_join_groups", boom)
    with pytest.raises(RuntimeError):
        stage.catch_up(store)
    assert store.conn.execute("SELECT count(*) FROM fingerprints").fetchone()[0] == 0
    monkeypatch.undo()
    assert stage.catch_up(store).processed == 51
    assert any(link.article_id == "copy" for link in links_for(store.conn, "o7"))


def test_thresholds_are_stored_and_reused(ecb: list[str]) -> None:
    store = Store(":memory:")
    add(store, [Article(id="a", text=ecb[0], content_hash="a")])
    DedupStage(threshold=0.9, containment=0.85).catch_up(store)
    assert stored_settings(store.conn)["threshold"] == "0.9"
    stage = DedupStage()
    stage.catch_up(store)
    assert stage.config.threshold == 0.9 and stage.config.containment == 0.85


def test_bad_thresholds_refused_by_stage() -> None:
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        DedupStage(threshold=0)
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        DedupStage(containment=1.01)
    with pytest.raises(ValueError):
        DedupConfig(min_ratio=0)


# -------------------------------------------------------------------- CLI
def test_cli_dedup_jsonl_without_database(tmp_path: Path, ecb: list[str]) -> None:
    rng = random.Random(8)
    path = tmp_path / "in.jsonl"
    rows = [{"id": f"o{i}", "text": t} for i, t in enumerate(ecb[:40])]
    rows.append({"id": "copy", "text": syndicate(ecb[12], rng), "published": "2021-01-01"})
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\nnot json\n{\"title\": \"no text\"}\n", encoding="utf-8")
    res = CliRunner().invoke(cli, ["dedup", "--input", str(path), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["articles"] == 41
    assert len(out["skipped"]) == 2
    group = next(g for g in out["groups"] if {"o12", "copy"} <= {g["canonical"], *(m["id"] for m in g["members"])})
    assert group["canonical"] == "copy"  # the only dated article is the earliest published
    assert not (tmp_path / "newsfold.db").exists()


@pytest.mark.parametrize("bad", ["0", "1.2", "-1", "x"])
def test_cli_refuses_bad_thresholds(bad: str, tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["--db", str(tmp_path / "t.db"), "dedup", "--threshold", bad])
    assert res.exit_code == 2
    assert "--threshold" in res.output and "Traceback" not in res.output


def test_cli_dedup_on_a_store(tmp_path: Path, ecb: list[str]) -> None:
    db = tmp_path / "t.db"
    store = Store(db)
    add(store, [Article(id=f"o{i}", text=t, content_hash=str(i)) for i, t in enumerate(ecb[:30])]
        + [Article(id="copy", text=syndicate(ecb[3], random.Random(1)), content_hash="c")])
    store.close()
    res = CliRunner().invoke(cli, ["--db", str(db), "dedup", "--json"])
    assert res.exit_code == 0, res.output
    groups = json.loads(res.output)["groups"]
    assert any(g["canonical"] == "o3" and any(m["id"] == "copy" for m in g["members"]) for g in groups)
    res = CliRunner().invoke(cli, ["--db", str(db), "dedup"])
    assert "o3" in res.output and "copy" in res.output
    res = CliRunner().invoke(cli, ["--db", str(db), "dedup", "--rebuild", "--threshold", "0.95", "--containment",
                                   "0.99", "--json"])
    assert res.exit_code == 0 and json.loads(res.output)["settings"]["threshold"] == "0.95"


@pytest.mark.slow
def test_ten_megabyte_article_and_its_copy_through_the_stage(ecb: list[str]) -> None:
    import tracemalloc

    big = "\n".join(ecb * 8)[: 10 * 2**20]
    store = Store(":memory:")
    add(store, [Article(id="big", text=big, content_hash="b"),
                Article(id="copy", text="A local paragraph.\n" + big[: 2 * 2**20], content_hash="c"),
                Article(id="small", text=ecb[0], content_hash="s")])
    tracemalloc.start()
    DedupStage().catch_up(store)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 1024 * 2**20, f"peak {peak / 2**20:.0f} MB"
    link = next(link for link in links_for(store.conn, "big") if link.article_id == "copy")
    assert link.kind in ("near-duplicate", "reprint") and link.similarity >= 0.8


# ------------------------------------------------------- one passage matcher
def _passages_by_brute_force(text: str, source: str, min_similarity: float = 0.6,
                             min_shared: int = 5) -> list[tuple[str, str, float]]:
    """Every sentence pair compared on Python sets of word trigrams: what the numpy matcher must find."""
    from newsfold.sentences import split_sentences
    from newsfold.text import words

    def grams(s: str) -> set[tuple[str, ...]]:
        w = words(s)
        return {tuple(w[i:i + 3]) for i in range(len(w) - 2)}

    src = [(t, grams(t)) for t in split_sentences(source)]
    out = []
    for s in split_sentences(text):
        g = grams(s)
        if len(g) < min_shared:
            continue
        for t, h in src:
            k = len(g & h)
            if k >= min_shared and k / min(len(g), len(h)) >= min_similarity:
                out.append((s, t, round(k / min(len(g), len(h)), 4)))
    return out


def test_the_passage_matcher_finds_what_comparing_every_sentence_pair_finds(ecb: list[str]) -> None:
    """One matcher (word-id n-grams counted with numpy, one pair or many at once, with or without a cache)
    gives exactly the passages of a brute-force comparison, on the seeds, ECB+ and syndicated ECB+ copies."""
    from newsfold.dedup.passages import SentenceCache, match_many, match_sentences

    seeds = [a.text for a in seed_articles().values()]
    rng = random.Random(7)
    copies = [syndicate(t, rng) for t in ecb[:40]]
    pairs = [(a, b) for a in seeds for b in seeds if a != b]
    pairs += [(copies[i], ecb[i]) for i in range(40)] + [(ecb[i], ecb[i + 1]) for i in range(0, 200, 2)]
    expected = [_passages_by_brute_force(a, b) for a, b in pairs]
    assert sum(map(bool, expected)) >= 45  # the copies and the seeds' re-used wire sentences are there
    assert match_many(pairs) == expected
    cache = SentenceCache()
    assert [match_sentences(a, b, cache=cache) for a, b in pairs] == expected
    assert [match_sentences(a, b) for a, b in pairs[:20]] == expected[:20]
    # a cache too small for the batch numbers the pairs one at a time: the same passages
    assert match_many(pairs[:45], cache=SentenceCache(max_words=3000)) == expected[:45]
