"""newsfold: fold a pile or a stream of news articles into deduplicated, cited stories.

    >>> import newsfold
    >>> store = newsfold.Store("news.db")
    >>> report = newsfold.run_pipeline(store, ["examples/"])
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from .clean import Cleaner  # noqa: E402
from .ingest import Ingester, IngestReport, ingest_paths, ingest_records  # noqa: E402
from .models import Article, DupLink, LedgerEntry, Passage, RawDocument, RemovedLine, Story  # noqa: E402
from .pipeline import catch_up, run_pipeline  # noqa: E402
from .read import iter_documents  # noqa: E402
from .store import Store, StoreError  # noqa: E402

__version__ = "0.1.0"

__all__ = ["Article", "Cleaner", "DupLink", "IngestReport", "Ingester", "LedgerEntry", "Passage", "RawDocument",
           "RemovedLine", "Store", "StoreError", "Story", "catch_up", "ingest_paths", "ingest_records",
           "iter_documents", "run_pipeline", "__version__"]
