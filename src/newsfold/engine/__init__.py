"""Engines: where batch stages run (``local``: this process; ``ray``: a Ray cluster).

Importing this package is cheap (the CLI reads :data:`ENGINES`); the engines,
and pyarrow and Ray with them, are imported on use.
"""

from __future__ import annotations

import importlib
from typing import Any

ENGINES = ("local", "ray")

# the public names, by the module that defines them (imported on first use)
_EXPORTS = {"BatchReport": ".base", "Engine": ".base", "EngineError": ".base", "LocalEngine": ".local",
            "Output": "..present.parquet", "OutputError": "..present.parquet", "groups_of": "..present.parquet",
            "read_links": "..present.parquet", "read_passages": "..present.parquet",
            "read_partition": "..present.parquet", "InputError": "..read.splits"}


def get_engine(name: str, **options: Any) -> Any:
    """The engine called ``name`` (``local`` or ``ray``), built with ``options``."""
    if name == "local":
        return importlib.import_module(".local", __name__).LocalEngine()
    if name == "ray":
        return importlib.import_module(".ray_engine", __name__).RayEngine(**options)
    raise importlib.import_module(".base", __name__).EngineError(
        f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name], __name__), name)


__all__ = ["ENGINES", "get_engine", *_EXPORTS]
