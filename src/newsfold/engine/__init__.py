"""Engines: where batch stages run (``local``: this process; ``ray``: a Ray cluster).

``get_engine("ray", address=...)`` imports Ray only then, so newsfold works
without it.
"""

from __future__ import annotations

from typing import Any

from .base import BatchReport, Engine, EngineError, Output, groups_of, read_links, read_passages
from .inputs import InputError
from .local import LocalEngine

ENGINES = ("local", "ray")


def get_engine(name: str, **options: Any) -> Engine:
    """The engine called ``name`` (``local`` or ``ray``), built with ``options``."""
    if name == "local":
        return LocalEngine()
    if name == "ray":
        from .ray_engine import RayEngine

        return RayEngine(**options)
    raise EngineError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")


__all__ = ["BatchReport", "Engine", "EngineError", "ENGINES", "InputError", "LocalEngine", "Output", "get_engine",
           "groups_of", "read_links", "read_passages"]
