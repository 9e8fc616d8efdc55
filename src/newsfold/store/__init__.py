"""Storage: one SQLite file (schema and migrations in :mod:`.schema`), read and written by :class:`Store`."""

from .db import Store, StoreError, default_path

__all__ = ["Store", "StoreError", "default_path"]
