"""newsfold: fold a pile or a stream of news articles into deduplicated, cited stories.

    >>> import newsfold
    >>> labels = newsfold.fold(texts)          # one story label per text (see newsfold.api)
    >>> from newsfold.pipeline import run_pipeline
    >>> report = run_pipeline(newsfold.Store("news.db"), ["examples/"])

The package itself imports only the light parts (reading, cleaning, the
store), so listings start fast; :mod:`newsfold.pipeline` brings the stages.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from .api import AddResult, FoldedStory, Labels, Newsfold, fold  # noqa: E402
from .clean import Cleaner  # noqa: E402
from .ingest import Ingester, IngestReport, ingest_paths, ingest_records  # noqa: E402
from .models import Article, DupLink, LedgerEntry, Passage, RawDocument, RemovedLine, Story  # noqa: E402
from .read import iter_documents  # noqa: E402
from .store.db import Store, StoreError  # noqa: E402

__version__ = "0.1.0"

__all__ = ["AddResult", "Article", "Cleaner", "DupLink", "FoldedStory", "Labels", "Newsfold", "fold", "IngestReport", "Ingester", "LedgerEntry", "Passage", "RawDocument",
           "RemovedLine", "Store", "StoreError", "Story", "ingest_paths", "ingest_records",
           "iter_documents", "__version__"]
