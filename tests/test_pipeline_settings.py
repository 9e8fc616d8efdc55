"""The pipeline as data: stages skipped with what needs them, settings checked and applied."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys

import pytest

from nfpaths import EXAMPLES

from newsfold.pipeline import SETTINGS, STAGES, closure, stage_options


def _nf(db, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "newsfold", "--db", str(db), *args], capture_output=True, text=True,
                          timeout=600)


def test_skipping_a_stage_skips_what_is_built_on_it():
    assert closure(["dedup"]) == {s.name for s in STAGES}
    assert closure(["stories"]) == {"stories", "refold", "passages", "summaries"}
    assert closure(["summaries"]) == {"summaries"}


def test_every_setting_default_is_the_default_of_the_stages_that_take_it():
    factories = {s.name: s.factory for s in STAGES}
    for setting in SETTINGS:
        for stage, keyword in setting.stages.items():
            default = inspect.signature(factories[stage]).parameters[keyword].default
            if default is None:  # a stage that takes None as "my built-in default"
                continue
            assert default == setting.default, (setting.name, stage)
    assert stage_options({"encoder": "static"}) == {"stories": {"encoder": "static"}, "refold": {"encoder": "static"}}


@pytest.mark.slow
def test_add_without_stories_then_add_again_catches_up_with_the_settings_given(tmp_path):
    db = tmp_path / "s.db"
    first = _nf(db, "add", "--no-stories", "--json", str(EXAMPLES))
    assert first.returncode == 0, first.stderr
    assert [s["stage"] for s in json.loads(first.stdout)["stages"]] == ["dedup"]
    assert json.loads(_nf(db, "stories", "--json").stdout)["stories"] == []

    # nothing new to read, but the skipped stages catch up; a short briefing was asked for
    second = _nf(db, "add", "--setting", "summary_words", "40", "--setting", "briefing_nlp", "false", "--json",
                 str(EXAMPLES))
    assert second.returncode == 0, second.stderr
    rep = json.loads(second.stdout)
    assert rep["accepted"] == 0
    assert [s["stage"] for s in rep["stages"]] == ["dedup", "stories", "refold", "passages", "summaries"]
    stories = json.loads(_nf(db, "stories", "--json").stdout)["stories"]
    assert sum(len(s["article_ids"]) for s in stories) == 5
    biggest = max(stories, key=lambda s: len(s["article_ids"]))
    story = json.loads(_nf(db, "story", biggest["id"], "--json").stdout)
    words = sum(len(s["text"].split()) for s in story["briefing"]["summary"])
    assert 0 < words <= 40


def test_a_bad_setting_is_a_usage_error_that_says_where_to_look(tmp_path):
    db = tmp_path / "b.db"
    unknown = _nf(db, "add", "--setting", "no_such_knob", "1", str(EXAMPLES))
    assert unknown.returncode == 2 and "newsfold settings" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    wrong = _nf(db, "add", "--setting", "quiet_days", "soon", str(EXAMPLES))
    assert wrong.returncode == 2 and "quiet_days takes a whole number" in wrong.stderr
    listed = json.loads(_nf(db, "settings", "--json").stdout)
    assert {r["name"] for r in listed} == {s.name for s in SETTINGS}
    assert next(r for r in listed if r["name"] == "encoder")["choices"][0] == "minilm"
