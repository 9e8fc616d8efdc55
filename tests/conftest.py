"""Shared fixtures: paths to the bundled data, stores filled from the seeds."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from nfpaths import ECBPLUS, EXAMPLES, ROOT, TEST_DATA, TEST_OUTPUT  # noqa: E402,F401


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


@pytest.fixture(scope="session")
def ray_session():
    """One local Ray (2 CPUs) for every Ray test of the run, shut down at its end (each start costs seconds)."""
    import logging

    ray = pytest.importorskip("ray")
    logging.getLogger("ray").setLevel(logging.WARNING)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
    try:
        yield ray
    finally:
        ray.shutdown()
