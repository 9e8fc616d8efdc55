"""``--engine ray`` gives the local engine's duplicate groups, also when a worker dies mid-run.

They share the run's one local Ray (2 CPUs, ``ray_session`` in tests/engine/conftest.py).
"""

from __future__ import annotations

import importlib.util
import json
import random
import sys
from pathlib import Path

import pytest

from newsfold.dedup.config import DedupConfig
from newsfold.engine import Output, get_engine, groups_of, read_links, read_passages
from newsfold.engine.faults import CrashOnce
from nfpaths import ROOT

ray = pytest.importorskip("ray")
pytestmark = [pytest.mark.ray, pytest.mark.slow]


@pytest.fixture(scope="module")
def ray_engine(ray_session):
    return get_engine("ray", partitions=4)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ECB+ with syndicated copies, plus generated articles and their copies, some dated, in two files."""
    spec = importlib.util.spec_from_file_location("gen_syndication", ROOT / "bench" / "gen_syndication.py")
    gen = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    sys.modules["gen_syndication"] = gen  # its dataclasses look their module up
    spec.loader.exec_module(gen)
    rnd = random.Random(11)
    docs = [{"id": d.id, "text": d.text, "title": d.title} for d in gen.syndication_corpus(13, 300)]
    n = 0
    for chunk in gen.stream_texts(1500, chunk=500, copy_rate=0.2, seed=5):
        for t in chunk:
            docs.append({"id": f"gen{n}", "text": t})
            n += 1
    for d in docs:  # dates decide the canonical where they exist; ties fall to length, then order
        if rnd.random() < 0.5:
            d["published"] = f"2019-03-{rnd.randint(1, 4):02d}"
    d = tmp_path_factory.mktemp("gen")
    half = len(docs) // 2
    for name, part in (("a.jsonl", docs[:half]), ("b.jsonl", docs[half:])):
        (d / name).write_text("".join(json.dumps(x) + "\n" for x in part), encoding="utf-8")
    return d


def _same(a: Output, b: Output) -> None:
    la, lb = read_links(a), read_links(b)
    assert la, "no duplicate groups found: the corpus does not test anything"
    assert groups_of(la) == groups_of(lb)
    assert la == lb  # same canonical, relation and score for every member
    pa_, pb = read_passages(a), read_passages(b)
    assert pa_, "no re-used passages found"
    if a.kind != b.kind:  # Parquet holds no row order
        pa_, pb = sorted(map(repr, pa_)), sorted(map(repr, pb))
    assert pa_ == pb  # same re-used sentences (from two stores: in the same order)


def test_ray_equals_local_on_ecbplus(ray_engine, ecbplus_path: Path, tmp_path: Path) -> None:
    cfg = DedupConfig()
    local, remote = Output("store", str(tmp_path / "local.db")), Output("store", str(tmp_path / "ray.db"))
    get_engine("local").dedup([str(ecbplus_path)], cfg, local)
    report = ray_engine.dedup([str(ecbplus_path)], cfg, remote)
    assert report.articles == 772
    _same(local, remote)


def test_ray_equals_local_on_generated_corpus(ray_engine, generated: Path, tmp_path: Path) -> None:
    cfg = DedupConfig()
    local, remote = Output("parquet", str(tmp_path / "local")), Output("parquet", str(tmp_path / "ray"))
    lr = get_engine("local").dedup([str(generated / "*.jsonl")], cfg, local)
    rr = ray_engine.dedup([str(generated)], cfg, remote)
    assert lr.articles == rr.articles > 2900
    assert rr.groups == lr.groups > 300
    _same(local, remote)


def test_a_worker_killed_mid_run_changes_nothing(ecbplus_path: Path, generated: Path, tmp_path: Path,
                                                 ray_engine) -> None:
    marker = tmp_path / "crashed"
    engine = get_engine("ray", partitions=4, batch_size=200, before_batch=CrashOnce(str(marker)))
    out = Output("parquet", str(tmp_path / "ray"))
    engine.dedup([str(generated / "a.jsonl")], DedupConfig(), out)
    assert marker.exists(), "no worker was killed"
    local = Output("parquet", str(tmp_path / "local"))
    get_engine("local").dedup([str(generated / "a.jsonl")], DedupConfig(), local)
    _same(local, out)


def test_batch_dedup_command_on_ray(ray_engine, ecbplus_path: Path, tmp_path: Path) -> None:
    """`newsfold batch dedup --engine ray --out DIR` writes the local engine's links as Parquet."""
    from click.testing import CliRunner

    from newsfold.present.cli import cli

    out = tmp_path / "groups"
    r = CliRunner().invoke(cli, ["-q", "batch", "dedup", str(ecbplus_path), "--engine", "ray", "--out", str(out),
                                 "--partitions", "4", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["engine"] == "ray"
    assert sorted(p.name for p in out.iterdir()) == ["articles", "links", "passages"]
    assert not list(tmp_path.glob(".groups.tmp-*")), "the temporary output was left behind"
    local = Output("store", str(tmp_path / "local.db"))
    get_engine("local").dedup([str(ecbplus_path)], DedupConfig(), local)
    _same(local, Output("parquet", str(out)))
    assert ray.is_initialized(), "the command shut down a Ray it did not start"


def test_ray_reads_a_folder_of_text_files_as_add_does(ray_engine, tmp_path: Path) -> None:
    """Text files go through add's reader, cleaner and ids on Ray too: the same articles and links."""
    import shutil
    import sqlite3

    from nfpaths import EXAMPLES

    d = tmp_path / "in"
    shutil.copytree(EXAMPLES, d)
    seed = sorted(EXAMPLES.glob("*.txt"))[0]
    (d / "wire").mkdir()
    (d / "wire" / "copy.txt").write_text(seed.read_text(encoding="utf-8") + "\nShare this story.\n", encoding="utf-8")
    local, remote = Output("store", str(tmp_path / "local.db")), Output("store", str(tmp_path / "ray.db"))
    get_engine("local").dedup([str(d)], DedupConfig(), local)
    report = ray_engine.dedup([str(d)], DedupConfig(), remote)
    assert report.articles == 6

    def articles(o: Output) -> list[tuple]:
        with sqlite3.connect(o.path) as c:
            return c.execute("SELECT seq, id, text, title, published FROM articles ORDER BY seq").fetchall()

    assert articles(remote) == articles(local)
    assert read_links(remote) == read_links(local) and len(read_links(local)) == 1
