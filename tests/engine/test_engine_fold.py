"""Batch story folding by time window: the windows, the merge across them, and ``--engine ray`` = ``local``.

The Ray tests share the run's one local Ray (2 CPUs, ``ray_session`` in
tests/engine/conftest.py).  They use the static encoder (MiniLM is about 60
times slower on CPU; the procedure is the same for both).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import random
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from newsfold.engine import Output, get_engine
from newsfold.present.parquet import read_partition
from newsfold.stories.windows import UNDATED, FoldConfig, story_roots, windows_of
from newsfold.store.db import Store
from nfpaths import ROOT

STATIC = FoldConfig(encoder="static", with_nlp=False)


def _rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def _events(path: Path) -> dict[str, list[dict]]:
    """The rows of a labelled file by event, in file order."""
    events: dict[str, list[dict]] = {}
    for r in _rows(path):
        events.setdefault(r["event"], []).append(r)
    return events


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2,000 generated articles (ECB+ texts re-used with edits) dated over 120 days, 2% undated, in two files."""
    spec = importlib.util.spec_from_file_location("gen_corpus", ROOT / "bench" / "gen_corpus.py")
    gen = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    sys.modules["gen_corpus"] = gen
    spec.loader.exec_module(gen)
    rnd = random.Random(3)
    start = dt.date(2019, 1, 1)
    docs = []
    for i, d in enumerate(gen.generate(2000, seed=5)):
        d["published"] = (start + dt.timedelta(days=rnd.randrange(120))).isoformat()
        if i % 50 == 0:
            del d["published"]
        docs.append(d)
    out = tmp_path_factory.mktemp("gen")
    _write(out / "a.jsonl", docs[:1000])
    _write(out / "b.jsonl", docs[1000:])
    return out


@pytest.fixture(scope="module")
def local_ecbplus(ecbplus_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Output:
    out = Output("store", str(tmp_path_factory.mktemp("local") / "local.db"))
    get_engine("local").fold([str(ecbplus_path)], STATIC, out)
    return out


# ------------------------------------------------------------ no Ray
def test_windows_overlap_and_undated_articles_share_one() -> None:
    cfg = FoldConfig(days=14, step=7)
    day = np.array([dt.date(2019, 3, 5).toordinal(), UNDATED, UNDATED], dtype=np.int64)
    rows, wins = windows_of(day, cfg)
    first = wins[rows == 0]
    assert len(first) == 2 and first[1] == first[0] + 1  # a dated article lies in two consecutive windows
    assert list(wins[rows > 0]) == [UNDATED, UNDATED]
    starts = [w * 7 for w in first]
    assert all(s <= day[0] < s + 14 for s in starts)


def test_components_join_stories_that_share_an_article() -> None:
    # window stories (nodes) 10, 20, 30, 40; stitched: 10 — 20 — 30; 40 alone
    keys = np.array([1, 2, 3, 9, 5, 6], dtype=np.int64)
    nodes = np.array([10, 10, 20, 30, 40, 40], dtype=np.int64)
    root = story_roots(keys, nodes, np.array([20, 30], dtype=np.int64), np.array([10, 20], dtype=np.int64))
    assert root == {1: 1, 2: 1, 3: 1, 9: 1, 5: 5, 6: 5}


@pytest.mark.slow
def test_ecbplus_is_folded_whole_as_add_folds_it(local_ecbplus: Output, ecbplus_path: Path, tmp_path: Path) -> None:
    """772 articles are under the whole-corpus limit: one window, so the fold is what `add` (its batch
    refold of a store this size, copies with their canonicals) gives."""
    from click.testing import CliRunner

    from newsfold.present.cli import cli

    db = tmp_path / "add.db"
    r = CliRunner().invoke(cli, ["-q", "add", str(ecbplus_path), "--db", str(db), "--encoder", "static",
                                 "--setting", "briefing_nlp", "false"])
    assert r.exit_code == 0, r.output
    part = read_partition(local_ecbplus)
    assert set(part.values()) == set(read_partition(Output("store", str(db))).values())
    with Store(local_ecbplus.path) as store:
        assert store.conn.execute("SELECT count(*) FROM story_skips").fetchone()[0] == 1
        assert store.conn.execute("SELECT count(*) FROM summaries").fetchone()[0] == len(part)
        hits = store.conn.execute("SELECT count(*) FROM stories_fts WHERE stories_fts MATCH 'earthquake'").fetchone()
        assert hits[0] >= 1


def test_a_story_longer_than_a_window_stays_one(ecbplus_path: Path, tmp_path: Path) -> None:
    """One event's reports spread over 30 days fall in four windows and still come out as one story.

    (28-day windows: with 14-day ones each window holds about six of these
    articles, too few for the clusterer, which then splits the event.)
    """
    events = _events(ecbplus_path)
    big = max(events.values(), key=len)[:12]
    other = next(v for v in events.values() if v[0]["topic"] != big[0]["topic"] and len(v) >= 6)[:6]
    day0 = dt.date(2019, 5, 1)
    docs = [{"id": r["id"], "text": r["text"], "published": (day0 + dt.timedelta(days=30 * i // len(big))).isoformat()}
            for i, r in enumerate(big)]
    docs += [{"id": r["id"], "text": r["text"], "published": "2019-05-10"} for r in other]
    path = _write(tmp_path / "spread.jsonl", docs)
    out = Output("parquet", str(tmp_path / "out"))
    cfg = FoldConfig(encoder="static", summaries=False, days=28, step=14, whole_limit=0)
    report = get_engine("local").fold([str(path)], cfg, out)
    assert report.details["windows"] >= 4
    part = read_partition(out)
    of = {a: s for s, members in part.items() for a in members}
    assert len({of[r["id"]] for r in big}) == 1, "the event was cut at a window edge"
    # (whether `other` stays apart is the window clusterer's decision: with 14 articles in its window,
    # the stories stage's own batch fold of these 18 articles joins it too; the merge across windows
    # is tested on its own below)


def test_windows_join_only_stories_the_same_story_decision_joins(ecbplus_path: Path) -> None:
    """Two windows' stories that share an article are one story only when the decision that joins
    groups inside a window joins them: one article wrongly grouped cannot chain two events."""
    from newsfold.stories.windows import embed, features, stitch
    from newsfold.models import Article
    from newsfold.stories.represent import make_encoder

    events = _events(ecbplus_path)
    x = max(events.values(), key=len)[:8]
    y = next(v for v in events.values() if v[0]["topic"] != x[0]["topic"] and len(v) >= 8)[:8]
    arts = {i: Article(id=r["id"], text=r["text"]) for i, r in enumerate(x + y)}  # keys 0-7: event x, 8-15: y
    dense = embed(list(arts.values()), make_encoder("static")).dense
    feats = dict(zip(arts, features(list(arts.values()), dense)))

    def side(stories: list[list[int]]) -> tuple:
        keys = sorted(k for s in stories for k in s)
        root = {k: min(s) for s in stories for k in s}
        return np.array(keys), np.array([root[k] for k in keys]), [feats[k] for k in keys]

    # left window: x's first five; right window: x's last three, and y with x's article 4 mis-grouped
    left = side([[0, 1, 2, 3, 4]])
    right = side([[5, 6, 7], [4, *range(8, 16)]])
    a, b = stitch(left, right, STATIC)
    assert list(zip(a.tolist(), b.tolist())) == [], "one shared article chained two events"
    right = side([[4, 5, 6, 7], list(range(8, 16))])
    a, b = stitch(left, right, STATIC)
    assert list(zip(a.tolist(), b.tolist())) == [(0, 4)], "the same event was not joined across windows"


# --------------------------------------------------------------- Ray (one session-wide Ray: tests/engine/conftest.py)
DATED = FoldConfig(encoder="static", summaries=False, whole_limit=0)  # windows, not one whole fold


@pytest.fixture(scope="module")
def local_dated(generated: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Output, object]:
    """The local engine's windowed fold of the generated corpus (what every Ray fold must give)."""
    out = Output("store", str(tmp_path_factory.mktemp("local-dated") / "local.db"))
    return out, get_engine("local").fold([str(generated)], DATED, out)


@pytest.mark.ray
@pytest.mark.slow
def test_fold_command_on_ray_equals_local_on_ecbplus(ray_session, local_ecbplus: Output, ecbplus_path: Path,
                                                    tmp_path: Path) -> None:
    """`newsfold batch fold --engine ray --out DIR`: the local engine's stories, headlines and summaries."""
    from click.testing import CliRunner

    from newsfold.present.cli import cli

    out = tmp_path / "stories"
    r = CliRunner().invoke(cli, ["-q", "batch", "fold", str(ecbplus_path), "--engine", "ray", "--encoder",
                                 "static", "--no-nlp", "--partitions", "4", "--out", str(out), "--json"])
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    assert report["engine"] == "ray" and report["articles"] == 772 and report["details"]["windows"] == 1
    assert sorted(p.name for p in out.iterdir()) == ["articles", "links", "stories"]
    assert not list(tmp_path.glob(".stories.tmp-*")), "the temporary output was left behind"
    local = read_partition(local_ecbplus)
    assert read_partition(Output("parquet", str(out))) == local
    assert len(local) > 40  # real stories (add gives these same ones), not one blob
    stories = pq.read_table(out / "stories").to_pylist()
    with Store(local_ecbplus.path) as store:
        want = {row[0]: (row[1], row[2]) for row in store.conn.execute(
            "SELECT s.id, s.headline, f.summary FROM stories s JOIN stories_fts f ON f.story_id = s.id")}
    assert {s["story_id"]: (s["headline"], s["summary"]) for s in stories} == want
    assert sum(1 for s in stories if s["summary"]) > 0.8 * len(stories)
    assert ray_session.is_initialized(), "the command shut down a Ray it did not start"


@pytest.mark.ray
@pytest.mark.slow
def test_ray_equals_local_on_a_dated_generated_corpus(ray_session, generated: Path, local_dated, tmp_path: Path) -> None:
    local, lr = local_dated
    remote = Output("parquet", str(tmp_path / "ray"))
    rr = get_engine("ray", partitions=4).fold([str(generated / "*.jsonl")], DATED, remote)
    assert lr.articles == rr.articles == 2000
    assert lr.details["windows"] == rr.details["windows"] > 10
    assert lr.details["window_links"] == rr.details["window_links"]
    part = read_partition(local)
    assert read_partition(remote) == part
    sizes = sorted(len(m) for m in part.values())
    # real stories, not all singletons (on this corpus of ECB+ variants the stage's own whole-corpus fold
    # makes one story of most articles; the windows cannot do better than the clusterer in them)
    assert len(part) > 20 and sizes[-1] > 10


@pytest.mark.ray
@pytest.mark.slow
def test_a_worker_killed_during_a_ray_fold_loses_nothing(ray_session, generated: Path, local_dated,
                                                         tmp_path: Path) -> None:
    """A worker dies (as by an out-of-memory kill) while folding a window: Ray re-runs its task, and the
    store holds every article, in the stories the local engine makes."""
    from newsfold.engine.faults import CrashOnce

    local, lr = local_dated
    marker = tmp_path / "crashed"
    remote = Output("store", str(tmp_path / "ray.db"))
    rr = get_engine("ray", partitions=4, before_batch=CrashOnce(str(marker))).fold([str(generated)], DATED, remote)
    assert marker.exists(), "no worker was killed"
    assert rr.articles == lr.articles == 2000 and rr.details["windows"] == lr.details["windows"]
    assert read_partition(remote) == read_partition(local)
    with Store(remote.path) as store:
        placed = store.conn.execute("SELECT count(*) FROM story_articles").fetchone()[0]
        skipped = store.conn.execute("SELECT count(*) FROM story_skips").fetchone()[0]
        assert placed + skipped == store.count_articles() == 2000
