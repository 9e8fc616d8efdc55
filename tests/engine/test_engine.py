"""The engine layer without Ray: inputs, the per-partition kernels, the local engine's outputs."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from newsfold.dedup import partitions
from newsfold.dedup.config import DedupConfig
from newsfold.engine import EngineError, Output, get_engine, groups_of, read_links
from newsfold.engine import kernels
from newsfold.read.splits import InputError, expand, plan, read_split
from newsfold.read import read_path


def _ecb(ecbplus_path: Path, n: int) -> list[dict]:
    with open(ecbplus_path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh][:n]


def test_jsonl_splits_read_every_line_once(tmp_path: Path, ecbplus_path: Path) -> None:
    """Cutting a file into byte ranges loses and repeats no record, and each record keeps the ref
    (``path:line``) and the rejection message `add` gives it."""
    f = tmp_path / "a.jsonl"
    rows = _ecb(ecbplus_path, 120)
    lines = [json.dumps({"id": r["id"], "text": r["text"]}) for r in rows]
    lines[50] = "not json"
    f.write_text("\n".join(lines[:70]) + "\n\n" + "\n".join(lines[70:]) + "\n", encoding="utf-8")
    whole = [(d.ref, d.id, d.error) for d in read_path(str(f))]
    pieces = plan(expand([str(f)]), split_bytes=4096)
    assert len(pieces) > 10
    cut = [(d.ref, d.id, d.error) for s in pieces for d in read_split(s)]
    assert cut == whole
    assert len(cut) == 120 and cut[50][2].startswith("line 51: invalid JSON") and cut[-1][0] == f"{f}:121"


def test_inputs_dirs_globs_parquet_and_bad_lines(tmp_path: Path, ecbplus_path: Path) -> None:
    rows = _ecb(ecbplus_path, 30)
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "b.jsonl").write_text(
        "".join(json.dumps({"id": r["id"], "text": r["text"]}) + "\n" for r in rows[:10])
        + "not json\n" + json.dumps({"id": "x"}) + "\n", encoding="utf-8")
    pq.write_table(pa.Table.from_pylist([{"id": r["id"], "text": r["text"]} for r in rows[10:]]),
                   tmp_path / "d" / "a.parquet", row_group_size=4)
    (tmp_path / "d" / "c.txt").write_text("A headline here\n\n" + rows[0]["text"], encoding="utf-8")
    by_dir = expand([str(tmp_path / "d")])
    by_glob = expand([str(tmp_path / "d" / "*.*")])
    assert [f.path for f in by_dir] == [f.path for f in by_glob]
    splits = plan(by_dir, split_bytes=1)
    assert [s.kind for s in splits][:5] == ["parquet"] * 5 and splits[-1].kind == "file"
    docs = [d for s in splits for d in read_split(s)]
    assert sorted(d.id for d in docs if not d.error) == sorted([r["id"] for r in rows] + ["c"])
    bad = [d.error for d in docs if d.error]
    assert len(bad) == 2 and "invalid JSON" in bad[0] and "no 'text'" in bad[1]
    with pytest.raises(InputError, match="no such file"):
        expand([str(tmp_path / "missing.jsonl")])


def test_bucket_pairs_match_brute_force() -> None:
    rng = np.random.default_rng(3)
    bh = rng.integers(0, 40, size=400).astype(np.uint64)
    keys = rng.integers(0, 150, size=400).astype(np.int64)
    new, old = partitions.bucket_pairs(bh, keys, max_bucket=1000)
    want = set()
    for h in set(bh.tolist()):
        members = sorted(set(keys[bh == h].tolist()))
        want |= {(b, a) for i, a in enumerate(members) for b in members[i + 1:]}
    assert set(zip(new.tolist(), old.tolist())) == want
    capped_new, capped_old = partitions.bucket_pairs(bh, keys, max_bucket=2)
    assert len(capped_new) < len(new)


def test_star_rounds_find_connected_components() -> None:
    """Large-star / small-star on one partition converge to stars centred on each component's minimum."""
    rng = np.random.default_rng(5)
    u = rng.integers(0, 300, size=260)
    v = rng.integers(0, 300, size=260)
    keep = u != v
    u, v = u[keep], v[keep]
    parent = list(range(300))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in zip(u.tolist(), v.tolist()):
        parent[max(find(a), find(b))] = min(find(a), find(b))
    eu, ev = u.astype(np.int64), v.astype(np.int64)
    for _ in range(40):
        a, b = kernels.large_star(np.concatenate([eu, ev]), np.concatenate([ev, eu]))
        nu, nv = kernels.small_star(np.maximum(a, b), np.minimum(a, b))
        if kernels.edge_digest(nu, nv) == kernels.edge_digest(eu, ev) and nu.size == eu.size:
            break
        eu, ev = nu, nv
    got = dict(zip(eu.tolist(), ev.tolist()))
    nodes = set(u.tolist()) | set(v.tolist())
    assert all(got.get(x, x) == find(x) for x in nodes)


def test_local_engine_parquet_output_is_the_stage_result(tmp_path: Path, ecbplus_path: Path) -> None:
    """The local engine's Parquet links are the dedup stage's links, and a failed run keeps the old output."""
    rows = _ecb(ecbplus_path, 200)
    rnd = random.Random(2)
    for i in range(20):  # a few copies, one with a date so the earliest published is canonical
        r = dict(rows[rnd.randrange(len(rows))])
        rows.append({"id": f"copy{i}", "text": r["text"] + "\nShare this story.",
                     "published": "2001-01-01" if i == 0 else None})
    f = tmp_path / "in.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = Output("parquet", str(tmp_path / "out"))
    report = get_engine("local").dedup([str(f)], DedupConfig(), out)
    links = read_links(out)
    assert report.articles == len(rows) and report.links == len(links) >= 20
    assert "copy0" in groups_of(links)
    db = Output("store", str(tmp_path / "s.db"))
    get_engine("local").dedup([str(f)], DedupConfig(), db)
    assert read_links(db) == links
    with pytest.raises(InputError):
        get_engine("local").dedup([str(tmp_path / "nope.jsonl")], DedupConfig(), out)
    assert read_links(out) == links
    with pytest.raises(EngineError, match="unknown engine"):
        get_engine("spark")


def test_batch_dedup_command(tmp_path: Path, ecbplus_path: Path) -> None:
    """`newsfold batch dedup` writes the groups `newsfold dedup` then lists, and says what went wrong."""
    from click.testing import CliRunner

    from newsfold.present.cli import cli

    db = str(tmp_path / "s.db")
    r = CliRunner().invoke(cli, ["batch", "dedup", str(ecbplus_path), "--db", db, "--json"])
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    assert report["engine"] == "local" and report["articles"] == 772 and report["groups"] > 0
    listed = CliRunner().invoke(cli, ["dedup", "--db", db, "--json"])
    assert len(json.loads(listed.stdout)["groups"]) == report["groups"]
    bad = CliRunner().invoke(cli, ["batch", "dedup", str(tmp_path / "none.jsonl"), "--out", str(tmp_path / "o")])
    assert bad.exit_code == 1 and "no such file" in bad.output and "Traceback" not in bad.output


def test_bloom_filter_keeps_every_key_and_little_else() -> None:
    rng = np.random.default_rng(9)
    keys = rng.integers(0, 2**50, size=5000)
    m = kernels.bloom_size(keys.size)
    half = np.bitwise_or(kernels.bloom_bits(keys[:2500], m), kernels.bloom_bits(keys[2500:], m))
    assert kernels.bloom_contains(keys, half, m).all()
    others = rng.integers(2**51, 2**52, size=20000)
    assert kernels.bloom_contains(others, half, m).mean() < 0.03
