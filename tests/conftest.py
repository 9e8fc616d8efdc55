"""Shared fixtures: paths to the bundled data, stores filled from the seeds."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from nfpaths import ECBPLUS, EXAMPLES, ROOT, TEST_DATA, TEST_OUTPUT  # noqa: E402,F401

HEAVY = ("slow", "browser", "ray")  # the marks `make test-fast` leaves out
HEAVY_TIMEOUT_S = 900  # pytest-timeout for those (the others: `timeout` in pyproject.toml)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A heavy test (marked slow, browser or ray) gets the longer timeout unless it names its own."""
    for item in items:
        if item.get_closest_marker("timeout") is None and any(item.get_closest_marker(m) for m in HEAVY):
            item.add_marker(pytest.mark.timeout(HEAVY_TIMEOUT_S))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """No test ran (exit code 5): say so, so an empty selection is never read as a pass."""
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        session.config.get_terminal_writer().line(
            "newsfold: no test ran (exit code 5): check the paths, -k and -m given", red=True)


@pytest.fixture(scope="session")
def examples_dir() -> Path:
    return EXAMPLES


@pytest.fixture(scope="session")
def ecbplus_path() -> Path:
    return ECBPLUS


@pytest.fixture(scope="session")
def test_output() -> Path:
    TEST_OUTPUT.mkdir(exist_ok=True)
    return TEST_OUTPUT


@pytest.fixture()
def store(tmp_path_factory: pytest.TempPathFactory):
    """An empty store, in its own folder (so tests can ingest all of tmp_path)."""
    from newsfold.store.db import Store

    s = Store(tmp_path_factory.mktemp("db") / "test.db")
    yield s
    s.close()


@pytest.fixture()
def seed_store(store):
    """A store holding the five seeds, ingested only (no dedup/stories/summaries)."""
    from newsfold.ingest import ingest_paths

    ingest_paths(store, [str(EXAMPLES)])
    return store
