"""The README's quick start, typed as printed in a fresh folder: every command works, and one store is made."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from nfpaths import EXAMPLES, ROOT


def _quick_start() -> list[str]:
    """The commands of the README's first console block (comments dropped)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1]
    block = re.search(r"```console\n(.*?)```", section, re.S)
    assert block, "the README's quick start shows its commands in a ```console block"
    return [shlex.join(shlex.split(line, comments=True)) for line in block.group(1).splitlines() if line.strip()]


def _make_target(name: str) -> list[str]:
    """The newsfold commands of a Makefile target's recipe (its echo lines left out)."""
    make = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(rf"^{name}:.*\n((?:\t.*\n)+)", make, re.M)
    assert recipe, f"the Makefile has a {name} target"
    lines = [ln.strip() for ln in recipe.group(1).splitlines()]
    return [ln.replace("$(BIN)/newsfold", "newsfold") for ln in lines if ln.startswith("$(BIN)/newsfold")]


def _run(command: str, cwd: Path) -> subprocess.CompletedProcess:
    args = shlex.split(command, comments=True)
    assert args[0] == "newsfold", command
    env = {k: v for k, v in os.environ.items() if k != "NEWSFOLD_DB"}
    return subprocess.run([sys.executable, "-m", "newsfold", *args[1:]], cwd=cwd, capture_output=True, text=True,
                          timeout=600, env=env)


@pytest.mark.slow
def test_the_readme_quick_start_runs_as_printed_in_a_fresh_folder(tmp_path):
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    (tmp_path / "MORE").mkdir()  # "add your own files": one more report of the 2018 letter
    shutil.copy(ROOT / "tests" / "data" / "seed_followup_2018.txt", tmp_path / "MORE")
    commands = _quick_start()
    assert commands[0] == "make run" and commands[1] == ". .venv/bin/activate"
    assert "VENV := .venv" in (ROOT / "Makefile").read_text(encoding="utf-8")  # what the activate line names
    typed = [*_make_target("run"), *commands[2:]]
    outputs = {}
    for command in typed:
        out = _run(command, tmp_path)
        assert out.returncode == 0, (command, out.stderr)
        assert "Traceback" not in out.stderr, (command, out.stderr)
        outputs[command] = out.stdout
    added = outputs["newsfold add examples/"]
    assert added.count("→ s000001") == 4 and added.count("→ s000002") == 1  # where each seed went
    assert "No stories" not in outputs["newsfold stories"] and "s000001" in outputs["newsfold stories"]
    assert (tmp_path / "briefing.md").read_text(encoding="utf-8").startswith("#")
    stores = sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".db"))
    assert stores == ["newsfold.db"]  # one store, the one every command read
    left = {p.name for p in tmp_path.iterdir()} - {"examples", "MORE", "briefing.md", "newsfold.db"}
    assert left <= {"newsfold.db-wal", "newsfold.db-shm", "newsfold.db-writer.lock"}, left
    ignored = subprocess.run(["git", "check-ignore", "--no-index", "newsfold.db", "newsfold.db-writer.lock",
                              "examples.db-uploads/x"], cwd=ROOT, capture_output=True, text=True)
    assert len(ignored.stdout.split()) == 3, ignored  # the working files are git-ignored


def test_a_story_page_names_every_seed_outlet_apart(tmp_path):
    import json

    env = {k: v for k, v in os.environ.items() if k != "NEWSFOLD_DB"}
    nf = [sys.executable, "-m", "newsfold", "--db", str(tmp_path / "n.db")]
    assert subprocess.run([*nf, "add", str(EXAMPLES)], capture_output=True, env=env, timeout=600).returncode == 0
    story = json.loads(subprocess.run([*nf, "story", "s000001", "--json"], capture_output=True, text=True,
                                      env=env).stdout)
    labels = [a["outlet"] for a in story["articles"]]
    assert len(labels) == 4 and len(set(labels)) == 4, labels  # no two seeds share a label
    assert "unknown outlet (file 001_99501aa1479f7920.txt)" in labels and {"AFP", "Reuters"} <= set(labels)
    page = subprocess.run([*nf, "story", "s000001"], capture_output=True, text=True, env=env).stdout
    assert all(label in page for label in labels)
    assert "4 articles, 2 outlets, 2 unknown" in page  # two known outlets; the unknown ones are not counted as one
