"""Ingest: read → clean → store, in transactional batches, with a ledger entry per input.

A batch of inputs is committed as one transaction (articles, their ledger
entries and the per-outlet line counts together), so a crash loses at most
the batch in flight and a re-run adds exactly what is missing: inputs whose
article is already stored are ``duplicate``.

An id names one text.  When an input's id is already held by a different
text from another input (two folders' ``story.txt``, one JSONL ``id``
reused), the newcomer is kept under another id, never dropped: the file's
path relative to its input root for a one-article file, else
``<id>~<first 8 hex of its content hash>``.  Its ledger entry is
``accepted`` with a reason that starts "id conflict", and the report counts
it (``--strict`` fails on it).  Both rules depend only on the input, so a
re-run finds the same ids and records ``duplicate``; so does the same input
(same ``source_ref``) added again after an edit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from .clean import Cleaner
from .clean.repeats import RepeatedLines
from .models import Article, LedgerEntry, RawDocument
from .read import MAX_BYTES, InputPath, expand_inputs, read_path
from .store.db import Store

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
    # accepted under another id, because their own id holds a different text
    conflicts: list[LedgerEntry] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.accepted + self.duplicate + self.rejected

    def summary(self) -> str:
        kept = f" ({len(self.conflicts)} under a new id after an id conflict)" if self.conflicts else ""
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
        new: list[Article] = []
        pending: dict[str, tuple[str, str]] = {}  # id → (content hash, source), this batch's new articles
        outcomes = []
        for raw, name in batch:
            try:
                out = self.cleaner.clean(raw)
            except Exception as e:  # a cleaning bug must not take the batch down
                log.exception("cleaning failed for %s", raw.ref)
                outcomes.append((raw, name, None, f"internal error while cleaning ({type(e).__name__}: {e}); "
                                                  "please report"))
                continue
            outcomes.append((raw, name, out.article, out.error))
        candidate_ids = [a.id for _, _, a, _ in outcomes if a is not None]
        stored = self._stored(candidate_ids)
        for raw, name, art, err in outcomes:
            if art is None:
                entries.append(LedgerEntry(raw.ref, "rejected", err or "unknown error"))
                continue
            own_id = art.id
            held = pending.get(own_id) or stored.get(own_id)
            if held is not None and not _same(held, art):
                held, art.id = self._free_id(art, name, pending, stored)
            if held is not None:
                why = (f"article {art.id} is already stored" if art.id == own_id else
                       f"article {art.id} is already stored (kept under that id because {own_id!r} holds a "
                       "different text)")
                entries.append(LedgerEntry(raw.ref, "duplicate", why, art.id))
                continue
            pending[art.id] = (art.content_hash, art.source_ref)
            new.append(art)
            if art.id == own_id:
                entries.append(LedgerEntry(raw.ref, "accepted", "", art.id))
            else:
                entries.append(LedgerEntry(raw.ref, "accepted", f"id conflict: {own_id!r} already holds a different "
                                                                 f"text, so this one is kept as {art.id!r}", art.id))
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
                if e.reason.startswith("id conflict"):
                    report.conflicts.append(e)
            elif e.outcome == "duplicate":
                report.duplicate += 1
            else:
                report.rejected += 1
                report.rejections.append(e)

    def _stored(self, ids: Iterable[str]) -> dict[str, tuple[str, str]]:
        """(content hash, source) of each stored article of ``ids``."""
        ids = list(ids)
        found: dict[str, tuple[str, str]] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            found.update((r[0], (r[1], r[2])) for r in self.store.conn.execute(
                f"SELECT id, content_hash, source_ref FROM articles WHERE id IN ({','.join('?' * len(chunk))})", chunk))
        return found

    def _free_id(self, art: Article, name: str | None, pending: dict[str, tuple[str, str]],
                 stored: dict[str, tuple[str, str]]) -> tuple[tuple[str, str] | None, str]:
        """The id ``art`` takes when its own holds another input's text: (what that id holds, None when it
        is free; the id).

        Candidates, in order: the file's path under its input root (one-article
        files), ``<id>~<hash8>``, ``<id>~<hash16>``, ``<id>~<hash>``; the first
        that is free or already holds this very input.
        """
        h = art.content_hash
        candidates = [name] if name and name != art.id else []
        candidates += [f"{art.id}~{h[:8]}", f"{art.id}~{h[:16]}", f"{art.id}~{h}"]
        stored.update(self._stored([c for c in candidates if c not in stored]))
        for c in candidates:
            held = pending.get(c) or stored.get(c)
            if held is None or _same(held, art):
                return held, c
        raise RuntimeError(f"no free id for {art.id!r}")  # a SHA-1 collision


def _same(held: tuple[str, str], art: Article) -> bool:
    """Whether a stored (content hash, source) is ``art`` again: the same text, or the same input re-read."""
    return held[0] == art.content_hash or held[1] == art.source_ref


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
