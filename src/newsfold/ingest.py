"""Ingest: read → clean → store, in transactional batches, with a ledger entry per input.

A batch of inputs is committed as one transaction (articles, their ledger
entries and the per-outlet line counts together), so a crash loses at most
the batch in flight and a re-run adds exactly what is missing: inputs whose
article is already stored are ``duplicate``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from .clean import Cleaner
from .clean.repeats import RepeatedLines
from .models import Article, LedgerEntry, RawDocument
from .read import MAX_BYTES, expand_inputs, read_path
from .store import Store

log = logging.getLogger(__name__)

# on_progress(files_done, files_total, counts_so_far)
IngestProgress = Callable[[int, int, "IngestReport"], None]


@dataclass
class IngestReport:
    run_id: str
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0
    article_ids: list[str] = field(default_factory=list)
    rejections: list[LedgerEntry] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.accepted + self.duplicate + self.rejected

    def summary(self) -> str:
        return f"{self.accepted} accepted, {self.duplicate} duplicates, {self.rejected} rejected"


@dataclass
class Ingester:
    """Ingest raw documents into a store; ``repeat_min_docs`` tunes the learned-boilerplate rule."""

    store: Store
    batch_size: int = 500
    repeat_min_docs: int = 3
    max_bytes: int = MAX_BYTES
    cleaner: Cleaner = field(default_factory=Cleaner)

    def __post_init__(self) -> None:
        self.repeats = RepeatedLines(self.store.conn, min_docs=self.repeat_min_docs)

    def ingest_paths(self, paths: Iterable[str], *, on_progress: IngestProgress | None = None,
                     run_id: str | None = None) -> IngestReport:
        files = list(expand_inputs(paths))
        report = IngestReport(run_id or self.store.new_run_id())

        def docs() -> Iterator[RawDocument]:
            for i, f in enumerate(files):
                yield from read_path(f, max_bytes=self.max_bytes)
                if on_progress:
                    on_progress(i + 1, len(files), report)

        return self.ingest_documents(docs(), report=report)

    def ingest_documents(self, docs: Iterable[RawDocument], *, report: IngestReport | None = None) -> IngestReport:
        report = report or IngestReport(self.store.new_run_id())
        batch: list[RawDocument] = []
        for raw in docs:
            batch.append(raw)
            if len(batch) >= self.batch_size:
                self._commit_batch(batch, report)
                batch = []
        if batch:
            self._commit_batch(batch, report)
        return report

    def _commit_batch(self, batch: list[RawDocument], report: IngestReport) -> None:
        entries: list[LedgerEntry] = []
        new: list[Article] = []
        pending_ids: set[str] = set()
        outcomes = []
        for raw in batch:
            try:
                out = self.cleaner.clean(raw)
            except Exception as e:  # a cleaning bug must not take the batch down
                log.exception("cleaning failed for %s", raw.ref)
                outcomes.append((raw, None, f"internal error while cleaning ({type(e).__name__}: {e}); please report"))
                continue
            outcomes.append((raw, out.article, out.error))
        candidate_ids = [a.id for _, a, _ in outcomes if a is not None]
        stored = self.store.existing_ids(candidate_ids)
        for raw, art, err in outcomes:
            if art is None:
                entries.append(LedgerEntry(raw.ref, "rejected", err or "unknown error"))
            elif art.id in stored or art.id in pending_ids:
                entries.append(LedgerEntry(raw.ref, "duplicate", f"article {art.id} is already stored", art.id))
            else:
                pending_ids.add(art.id)
                new.append(art)
                entries.append(LedgerEntry(raw.ref, "accepted", "", art.id))
        self.repeats.observe(new)
        by_id = {a.id: a for a in new}
        for e in entries:
            if e.outcome == "accepted" and e.article_id:
                a = self.repeats.strip(by_id[e.article_id])
                if not a.text.strip():
                    e.outcome, e.reason = "rejected", "no article text left after removing boilerplate"
                    by_id.pop(a.id)
        try:
            with self.store.atomic():
                self.store.insert_articles(by_id.values())
                self.store.add_ledger_entries(report.run_id, entries)
                self.repeats.flush()
        except BaseException:
            self.repeats.forget_unflushed()
            raise
        for e in entries:
            if e.outcome == "accepted":
                report.accepted += 1
                report.article_ids.append(e.article_id or "")
            elif e.outcome == "duplicate":
                report.duplicate += 1
            else:
                report.rejected += 1
                report.rejections.append(e)


def ingest_paths(store: Store, paths: Iterable[str], **kw: object) -> IngestReport:
    """Convenience: ingest files, directories, globs or ``-`` into ``store``."""
    on_progress = kw.pop("on_progress", None)
    return Ingester(store, **kw).ingest_paths(paths, on_progress=on_progress)  # type: ignore[arg-type]


def ingest_records(store: Store, records: Iterable[dict], *, ref: str = "<records>", **kw: object) -> IngestReport:
    """Ingest JSON-like dicts (the API's POST body), one ledger entry each."""
    from .read.records import record_to_raw

    docs = (record_to_raw(r, f"{ref}#{i}") for i, r in enumerate(records))
    return Ingester(store, **kw).ingest_documents(docs)  # type: ignore[arg-type]
