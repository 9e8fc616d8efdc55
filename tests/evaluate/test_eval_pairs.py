"""`newsfold eval pairs FILE`: fold every text of a pairs file together and count the pairs people judged right."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from click.testing import CliRunner
from nfpaths import ECBPLUS, EXAMPLES

from newsfold.present.cli import cli


def _seed(n: int) -> str:
    return next(EXAMPLES.glob(f"{n:03d}_*.txt")).read_text(encoding="utf-8")


def _ecb_events() -> dict[str, list[str]]:
    """ECB+ texts by event (file order)."""
    by_event: dict[str, list[str]] = defaultdict(list)
    for line in ECBPLUS.open(encoding="utf-8"):
        r = json.loads(line)
        by_event[r["event"]].append(r["text"])
    return by_event


def _pairs() -> list[dict]:
    ev = _ecb_events()
    big = [e for e, texts in ev.items() if len(texts) >= 3]
    a, b = big[0], big[-1]  # two events of different topics
    return [
        {"text1": _seed(0), "text2": _seed(1), "same_story": True},
        {"text1": _seed(2), "text2": _seed(3), "same_story": True},
        {"text1": ev[a][0], "text2": ev[a][1], "same_story": True},
        {"text1": _seed(1), "text2": ev[a][2], "same_story": False},
        {"text1": ev[a][0], "text2": ev[b][0], "same_story": False},
        {"text1": _seed(0), "text2": _seed(4), "same_story": None},  # no verdict: folded, not scored
    ]


def _write(path: Path, rows: list[dict]) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return str(path)


def test_pairs_scored_in_batch_and_online(tmp_path: Path) -> None:
    path = _write(tmp_path / "pairs.jsonl", _pairs())
    for mode in ("batch", "online"):
        res = CliRunner().invoke(cli, ["eval", "pairs", path, "--mode", mode, "--json"])
        assert res.exit_code == 0, res.output
        out = json.loads(res.output)
        assert (out["pairs"], out["same_pairs"], out["different_pairs"]) == (5, 3, 2)
        assert out["texts"] == 9  # a text that appears in several pairs is folded once
        # reports of one story fold together; other stories (the seeds' theme, another ECB+ topic) stay apart
        assert (out["same_split"], out["different_fused"], out["right"]) == (0, 0, 1.0), out
    text = CliRunner().invoke(cli, ["eval", "pairs", path])
    assert text.exit_code == 0
    assert "pairs right 1.0000 (5 of 5)" in text.output


def test_a_verdict_that_disagrees_with_the_fold_is_counted(tmp_path: Path) -> None:
    rows = _pairs()
    rows[0]["same_story"] = False  # people (here: the test) say two reports of one story differ
    res = CliRunner().invoke(cli, ["eval", "pairs", _write(tmp_path / "p.jsonl", rows), "--json"])
    out = json.loads(res.output)
    assert (out["same_pairs"], out["different_pairs"], out["different_fused"]) == (2, 3, 1)
    assert out["right"] == 0.8


def test_bad_pairs_files_get_a_clear_message(tmp_path: Path) -> None:
    good = json.dumps({"text1": _seed(0), "text2": _seed(1), "same_story": True})
    cases = {
        "notjson.jsonl": (good + "\n{not json\n", "p.jsonl:2 is not JSON"),
        "missing.jsonl": (json.dumps({"text1": "a", "text2": "b"}) + "\n", "has no `same_story`"),
        "verdict.jsonl": (json.dumps({"text1": "a b", "text2": "c d", "same_story": "yes"}) + "\n",
                          "must be true, false or null"),
        "empty.jsonl": (json.dumps({"text1": "", "text2": "b", "same_story": True}) + "\n", "empty"),
        "nolabel.jsonl": (json.dumps({"text1": "a b", "text2": "c d", "same_story": None}) + "\n",
                          "no pair with a true or false"),
        "list.jsonl": ("[1, 2]\n", "is not a JSON object"),
    }
    for name, (content, said) in cases.items():
        p = tmp_path / name
        p.write_text(content, encoding="utf-8")
        res = CliRunner().invoke(cli, ["eval", "pairs", str(p)])
        assert res.exit_code == 1, (name, res.output)
        assert said.replace("p.jsonl", name) in res.output, (name, res.output)
        assert "`text1`, `text2` and `same_story`" in res.output
        assert "Traceback" not in res.output
