"""The library call ``newsfold.fold``: one story label per input, from texts, records or a DataFrame."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from nfpaths import EXAMPLES, ROOT

import newsfold

SEEDS = sorted(EXAMPLES.glob("0*.txt"))


def _texts() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in SEEDS]


def test_fold_texts_gives_the_seed_partition_with_headlines_and_reasons():
    labels = newsfold.fold(_texts())
    assert list(labels) == [0, 0, 0, 0, 1]  # 000-003 report the 2018 letter, 004 the year before
    first, second = labels.stories
    assert first.members == [0, 1, 2, 3] and second.members == [4]
    assert "Putin" in first.headline and first.id == labels.story_ids[0]
    assert all(first.reasons[i] for i in first.members[1:])  # why each joined


def test_fold_records_and_columns_and_what_gets_no_story():
    records = [{"text": t, "title": None} for t in _texts()] + [{"text": ""}, {"text": "Too short."}]
    labels = newsfold.fold(records, dates=["2018-12-30"] * 4 + ["2017-12-30", None, None])
    assert list(labels) == [0, 0, 0, 0, 1, -1, -1]
    assert "no 'text'" in labels.rejected[5] and labels.skipped[6]
    with pytest.raises(ValueError, match="one per input"):
        newsfold.fold(_texts(), dates=["2018-12-30"])
    with pytest.raises(TypeError, match="wrap it"):
        newsfold.fold(_texts()[0])


def test_fold_takes_a_dataframe():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"text": _texts(), "outlet": ["AFP", None, "Reuters", None, "AFP"],
                       "date": pd.to_datetime(["2018-12-30", None, "2018-12-30", None, "2017-12-30"])})
    df["story"] = newsfold.fold(df)
    assert df["story"].tolist() == [0, 0, 0, 0, 1]


def test_the_readme_library_example_runs_as_printed(tmp_path):
    import shutil

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    assert blocks, "README.md shows a ```python example"
    shutil.copytree(EXAMPLES, tmp_path / "examples")  # run where the README is read: beside examples/
    for code in blocks:
        out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        promised = re.findall(r"# -> (.+)$", code, re.M)  # the output the README shows after each print
        assert promised and all(p.strip() in out.stdout for p in promised), (promised, out.stdout)
    assert [p.name for p in tmp_path.iterdir()] == ["examples"]  # fold() in memory leaves no store behind


def test_a_newsfold_store_adds_and_reads_back_typed_results(tmp_path):
    nf = newsfold.Newsfold(str(tmp_path / "news.db"))
    with pytest.raises(FileNotFoundError, match="add articles first"):
        nf.stories()
    assert not (tmp_path / "news.db").exists()
    added = nf.add(str(EXAMPLES))
    assert added.ingest.accepted == 5 and [p.id[:3] for p in added.articles] == ["000", "001", "002", "003", "004"]
    went = {p.id[:3]: p.story_id for p in added.articles}
    assert len({went[k] for k in ("000", "001", "002", "003")}) == 1 and went["004"] != went["000"]
    assert {s.id: s.size for s in nf.stories()} == {went["000"]: 4, went["004"]: 1}
    story = nf.story(went["000"])
    assert story is not None and story.briefing is not None and len({a.outlet for a in story.articles}) == 4
    more = nf.add({"text": (ROOT / "tests/data/seed_followup_2018.txt").read_text(encoding="utf-8")})
    assert [p.story_id for p in more.articles] == [went["000"]]  # one more report of the 2018 letter joins it
    assert nf.story("nope") is None
