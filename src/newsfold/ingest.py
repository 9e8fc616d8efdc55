"""Ingest: read → clean → store, in transactional batches, with a ledger entry per input.

A batch of inputs is committed as one transaction (articles, their ledger
entries and the per-outlet line counts together), so a crash loses at most
the batch in flight and a re-run adds exactly what is missing: inputs whose
article is already stored are ``duplicate``.

Which article an input is (a duplicate, an update of a stored article, or a
new article under its own id or another) is decided by the rule in
:mod:`newsfold.identity`; the ledger says which ("update: …", "id
conflict: …"), and the report counts both (``--strict`` fails on an id
conflict).  An update replaces the article's text and keeps the old one
(:mod:`newsfold.store.versions`).  The rule depends only on the input and
the store, so a re-run records ``duplicate`` for everything it stored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from .clean import Cleaner
from .clean.repeats import RepeatedLines
from .models import Article, LedgerEntry, RawDocument
from .read import MAX_BYTES, InputPath, expand_inputs, read_path
from .identity import Identities
from .store.db import Store, unstorable
from .store.versions import replace_article

log = logging.getLogger(__name__)

UPDATE = "update"  # how an update's ledger reason starts

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
    # accepted under another id, because their own id holds a different text
    conflicts: list[LedgerEntry] = field(default_factory=list)
    # accepted as a new text of a stored article (see :mod:`newsfold.identity`)
    updates: list[LedgerEntry] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.accepted + self.duplicate + self.rejected

    def summary(self) -> str:
        n = len(self.updates)
        notes = ["1 an update of a stored article" if n == 1 else f"{n} updates of stored articles"] if n else []
        notes += [f"{len(self.conflicts)} under a new id after an id conflict"] if self.conflicts else []
        kept = f" ({', '.join(notes)})" if notes else ""
        return f"{self.accepted} accepted{kept}, {self.duplicate} duplicates, {self.rejected} rejected"


@dataclass
class Ingester:
    """Ingest raw documents into a store; ``repeat_min_docs`` tunes the learned-boilerplate rule."""

    store: Store
    batch_size: int = 500
    repeat_min_docs: int = 3
    max_bytes: int = MAX_BYTES
    follow_symlinks: bool = False
    cleaner: Cleaner = field(default_factory=Cleaner)

    def __post_init__(self) -> None:
        if self.max_bytes <= 0 or self.batch_size <= 0:
            raise ValueError(f"max_bytes and batch_size must be positive (got {self.max_bytes}, {self.batch_size})")
        self.repeats = RepeatedLines(self.store.conn, min_docs=self.repeat_min_docs)

    def ingest_paths(self, paths: Iterable[str], *, on_progress: IngestProgress | None = None,
                     run_id: str | None = None) -> IngestReport:
        files = list(expand_inputs(paths, follow_symlinks=self.follow_symlinks))
        report = IngestReport(run_id or self.store.new_run_id())

        def docs() -> Iterator[tuple[RawDocument, str | None]]:
            for i, f in enumerate(files):
                for raw in read_path(f, max_bytes=self.max_bytes):
                    yield raw, _file_name(raw, f)
                if on_progress:
                    on_progress(i + 1, len(files), report)

        return self._ingest(docs(), report)

    def ingest_documents(self, docs: Iterable[RawDocument], *, report: IngestReport | None = None) -> IngestReport:
        return self._ingest(((raw, None) for raw in docs), report or IngestReport(self.store.new_run_id()))

    def _ingest(self, docs: Iterable[tuple[RawDocument, str | None]], report: IngestReport) -> IngestReport:
        batch: list[tuple[RawDocument, str | None]] = []
        for item in docs:
            batch.append(item)
            if len(batch) >= self.batch_size:
                self._commit_batch(batch, report)
                batch = []
        if batch:
            self._commit_batch(batch, report)
        return report

    def _commit_batch(self, batch: list[tuple[RawDocument, str | None]], report: IngestReport) -> None:
        entries: list[LedgerEntry] = []
        kept: list[tuple[LedgerEntry, Article]] = []  # accepted: new articles and updates, in input order
        outcomes = []
        for raw, name in batch:
            try:
                out = self.cleaner.clean(raw)
            except Exception as e:  # a cleaning bug must not take the batch down
                log.exception("cleaning failed for %s", raw.ref)
                outcomes.append((raw, name, None, f"internal error while cleaning ({type(e).__name__}: {e}); "
                                                  "please report"))
                continue
            problem = unstorable(out.article) if out.article is not None else None
            outcomes.append((raw, name, None if problem else out.article, problem or out.error))
        known = Identities(self.store)
        known.load(a.id for _, _, a, _ in outcomes if a is not None)
        for raw, name, art, err in outcomes:
            if art is None:
                entries.append(LedgerEntry(raw.ref, "rejected", err or "unknown error"))
                continue
            own_id = art.id
            d = known.decide(art, name)
            art.id = d.id
            if d.kind == "duplicate":
                why = (f"article {art.id} is already stored" if art.id == own_id else
                       f"article {art.id} is already stored (kept under that id because {own_id!r} holds a "
                       "different text)")
                if d.held is not None and art.content_hash != d.held.content_hash:
                    why = f"an earlier text of article {art.id}, kept as one of its versions"
                entries.append(LedgerEntry(raw.ref, "duplicate", why, art.id))
                continue
            known.record(art)
            if d.kind == "update":
                how = "the same URL" if d.held and d.held.url and art.url else "the same file and id"
                e = LedgerEntry(raw.ref, "accepted", f"{UPDATE}: a new text of article {art.id} ({how}); it is "
                                                     "now current and the old text is kept", art.id)
            elif art.id == own_id:
                e = LedgerEntry(raw.ref, "accepted", "", art.id)
            else:
                e = LedgerEntry(raw.ref, "accepted", f"id conflict: {own_id!r} already holds a different text, so "
                                                     f"this one is kept as {art.id!r}", art.id)
            entries.append(e)
            kept.append((e, art))
        self.repeats.observe([a for e, a in kept if not _is_update(e)])
        stored: list[tuple[LedgerEntry, Article]] = []
        for e, a in kept:
            a = self.repeats.strip(a)
            if a.text.strip():
                stored.append((e, a))
            else:
                e.outcome, e.reason = "rejected", "no article text left after removing boilerplate"
        try:
            with self.store.atomic():
                self.store.insert_articles(a for e, a in stored if not _is_update(e))
                for e, a in stored:  # in input order: an article updated twice in one batch ends with its last
                    if _is_update(e) and self.store.has_article(a.id):
                        replace_article(self.store, a)
                    elif _is_update(e):  # its first text, in this batch, had nothing left after cleaning
                        self.store.insert_articles([a])
                self.store.add_ledger_entries(report.run_id, entries)
                self.repeats.flush()
        except BaseException:
            self.repeats.forget_unflushed()
            raise
        for e in entries:
            if e.outcome == "accepted":
                report.accepted += 1
                report.article_ids.append(e.article_id or "")
                if e.reason.startswith("id conflict"):
                    report.conflicts.append(e)
                elif _is_update(e):
                    report.updates.append(e)
            elif e.outcome == "duplicate":
                report.duplicate += 1
            else:
                report.rejected += 1
                report.rejections.append(e)


def _is_update(e: LedgerEntry) -> bool:
    return e.reason.startswith(UPDATE + ":")


def _file_name(raw: RawDocument, inp: InputPath) -> str | None:
    """The input file's path under its root, when ``raw`` is the file's one article (a record is not)."""
    return inp.rel if raw.ref == inp.path and inp.path != "-" else None


def ingest_paths(store: Store, paths: Iterable[str], **kw: object) -> IngestReport:
    """Convenience: ingest files, directories, globs or ``-`` into ``store``."""
    on_progress = kw.pop("on_progress", None)
    return Ingester(store, **kw).ingest_paths(paths, on_progress=on_progress)  # type: ignore[arg-type]


def ingest_records(store: Store, records: Iterable[dict], *, ref: str = "<records>", **kw: object) -> IngestReport:
    """Ingest JSON-like dicts (the API's POST body), one ledger entry each."""
    from .read.records import record_to_raw

    docs = (record_to_raw(r, f"{ref}#{i}") for i, r in enumerate(records))
    return Ingester(store, **kw).ingest_documents(docs)  # type: ignore[arg-type]
