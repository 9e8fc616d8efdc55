"""Every command a user can type is documented in the README (and has --help)."""

from __future__ import annotations

import re

from click.testing import CliRunner
from nfpaths import ROOT

from newsfold.present.cli import cli


def test_every_command_is_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [name for name in cli.commands if not re.search(rf"newsfold {re.escape(name)}\b", readme)]
    assert not missing, f"commands missing from README.md: {missing}"


def test_every_command_has_help():
    runner = CliRunner()
    for name in cli.commands:
        res = runner.invoke(cli, [name, "--help"])
        assert res.exit_code == 0, (name, res.output)
        assert "Usage:" in res.output


def test_the_readme_is_short_and_its_figures_say_their_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) < 250
    for page in ("benchmarks.md", "architecture.md", "guide.md"):
        assert (ROOT / "docs" / page).is_file() and f"docs/{page}" in readme
    figures = readme.split("## What it does, in figures", 1)[1].split("\n## ", 1)[0]
    rows = [r for r in figures.splitlines() if r.startswith("| ") and not r.startswith("| what")]
    assert rows and all(r.split("|")[3].strip().startswith("`") for r in rows), "each figure names its command"
