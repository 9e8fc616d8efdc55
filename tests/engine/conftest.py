"""One local Ray for every Ray test of the session (starting Ray costs about 20 s)."""

from __future__ import annotations

import logging

import pytest


@pytest.fixture(scope="session")
def ray_session():
    """A local Ray with two CPUs, started on first use and shut down after the last test."""
    ray = pytest.importorskip("ray")
    logging.getLogger("ray").setLevel(logging.WARNING)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
    try:
        yield ray
    finally:
        ray.shutdown()
