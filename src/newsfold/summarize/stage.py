"""The Summaries stage: one stored briefing per story, refreshed when its membership changes.

A story's ``story_version`` is a hash of its sorted article ids.  The stage's
backlog is every live story whose stored version differs from its current
one (or that has none); stories that were merged away or lost all their
articles lose their briefing, unless a live story now has exactly their
articles (a story renamed by a refold): the briefing then moves to it as
it is.  A story whose articles did not change is never rewritten.

Stories are done in chunks.  For each, the stage picks the articles the
briefing reads (all of them, or a sample of a big story, chosen from the
articles' outlet, date and ``dup_links`` without reading their text) and,
of those, the ones its entities, quotes and discrepancies read
(:func:`.sample.nlp_sample`); of those, the paragraphs the briefing needs
parsed (:func:`.needs.plan`: leads, and quotations and figures that other
articles restate).  It reads their stored analyses (``paragraph_analyses``),
parses the missing ones in one spaCy pass for the whole chunk (in spaCy's
own process, :mod:`.worker`, asked from a thread, while the chunk and the
previous one are drafted and written here, ``WORKERS`` stories at a time,
with the sentence encoder :func:`sentence_encoder` and the dedup stage's
passages it hands each briefing; in this process when that one cannot
start), and writes
the new paragraph analyses, the briefings, the stories' headlines and
their full-text rows in one transaction: a killed run resumes where it
stopped and never parses a paragraph or writes a briefing twice.  Reading a
briefing (:func:`load_briefing`) never recomputes it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from collections.abc import Iterable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from ..models import Article, Passage
from ..stages import ProgressFn, StageReport, no_progress
from ..store.db import Store
from ..stories import writes
from .align import MAX_TOKENS, SentenceEncoder, model_key, sentence_key
from .briefing import Briefing
from .core import complete_briefing, draft_briefing
from .sample import NLP_SAMPLE, SAMPLE_SIZE, Member, choose_sample, nlp_sample
from .worker import worker

if TYPE_CHECKING:
    from .records import ArticleAnalysis, ParagraphAnalysis
    from .needs import Paragraph

log = logging.getLogger(__name__)

WORKERS = 2  # stories of a chunk briefed side by side (besides the parse thread)


@lru_cache(maxsize=1)
def sentence_encoder() -> SentenceEncoder | None:
    """The restatement tests' sentence encoder (MiniLM, the stories stage's model, cut at ``MAX_TOKENS``), loaded
    once per process; None, with a warning, when its weights are not installed (the lexical tests then stand alone).

    Its weights are signed int8 on a CPU with VNNI (twice as fast there, as accurate), else unsigned
    (:data:`newsfold.stories.minilm_onnx.PRECISIONS`); their vectors are stored under different keys."""
    try:
        from ..stories.minilm_onnx import default_precision
        from ..stories.represent import MiniLMEncoder

        precision = default_precision()
        # one sentence at a time (:class:`.align.SentenceEncoder`): a second thread would only wait
        enc = MiniLMEncoder(max_tokens=MAX_TOKENS, precision=precision, threads=1)
        enc.encode(["warm up"])
    except Exception as e:  # the weights are an optional install: say so once, keep the lexical tests
        log.warning("sentence alignment by meaning is off (MiniLM encoder unavailable: %s)", e)
        return None
    return SentenceEncoder(enc, model_key(precision))


def story_version(article_ids: Iterable[str]) -> str:
    """A short hash of the sorted article ids: changes exactly when membership does."""
    return hashlib.sha1("\n".join(sorted(article_ids)).encode()).hexdigest()[:16]


@dataclass
class _Pending:
    story_id: str
    article_ids: list[str]
    version: str


@dataclass
class _Chunk:
    """A chunk of stories read for their briefings; ``job`` gives its paragraph analyses (:class:`_Parser`)."""

    pending: list[_Pending]
    reads: dict[str, list[str]]
    dups: set[str]
    arts_of: dict[str, list[Article]]
    stories: list[list[Article]] = field(default_factory=list)    # the articles the NLP reads, per story
    job: Future[_Parsed] | None = None


@dataclass
class _Parsed:
    """What a chunk's stories need parsed (``plans``), their paragraph analyses, and those parsed now."""

    plans: list[dict[str, list[Paragraph]]]
    known: dict[str, ParagraphAnalysis]
    fresh: dict[str, ParagraphAnalysis]


class _Parser:
    """spaCy's side of the stage, run in a thread one chunk after another: it plans each story's paragraphs
    (:func:`.needs.plan`), reads their stored analyses (on a connection of its own) and has the missing ones
    parsed (by the worker process, :mod:`.worker`, when ``in_worker``), each distinct paragraph once in a run."""

    def __init__(self, store: Store, in_worker: bool = True) -> None:
        self.store = store
        self.in_worker = in_worker  # parse in the worker process (:mod:`.worker`), else in this one
        self._conn: sqlite3.Connection | None = None
        self.parsed: dict[str, ParagraphAnalysis] = {}

    def conn(self) -> sqlite3.Connection:
        if self.store.path == ":memory:":  # one connection only: used from the caller's thread (see catch_up)
            return self.store.conn
        if self._conn is None:
            self._conn = sqlite3.connect(self.store.path, check_same_thread=False, timeout=30)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __call__(self, stories: list[list[Article]]) -> _Parsed:
        from .analysis import model_key, to_parse
        from .records import ParagraphAnalysis
        from .needs import plan
        from .worker import analyse

        plans = [plan(arts) for arts in stories]
        wanted: dict[str, str] = {}
        for pl in plans:
            wanted.update(to_parse(pl))
        known = {k: self.parsed[k] for k in wanted if k in self.parsed}
        key = model_key()
        rest = sorted(k for k in wanted if k not in known)
        for i in range(0, len(rest), 500):
            chunk = rest[i:i + 500]
            for h, model, js in self.conn().execute(
                    "SELECT hash, model, analysis_json FROM paragraph_analyses WHERE hash IN"
                    f" ({','.join('?' * len(chunk))})", chunk):
                if model == key:
                    known[h] = ParagraphAnalysis.from_json(js)
        new = {k: t for k, t in wanted.items() if k not in known}
        fresh = dict(zip(new, analyse(list(new.values()), in_worker=self.in_worker))) if new else {}
        self.parsed.update(fresh)
        known.update(fresh)
        return _Parsed(plans, known, fresh)


def load_briefing(store: Store, story_id: str) -> Briefing | None:
    """The stored briefing of ``story_id``, or None when the stage has not written one."""
    row = store.conn.execute("SELECT briefing_json FROM summaries WHERE story_id = ?", (story_id,)).fetchone()
    if row is None:
        return None
    return Briefing.from_dict(json.loads(row[0]))


def is_stale(store: Store, story_id: str) -> bool:
    """True when the story's membership changed since its briefing was written (or it has none)."""
    ids = [r[0] for r in store.conn.execute("SELECT article_id FROM story_articles WHERE story_id = ?", (story_id,))]
    row = store.conn.execute("SELECT story_version FROM summaries WHERE story_id = ?", (story_id,)).fetchone()
    return row is None or row[0] != story_version(ids)


class SummariesStage:
    """Keep ``summaries`` (and ``stories.headline``, ``stories_fts``, ``paragraph_analyses``,
    ``sentence_vectors``) in step with the stories."""

    name = "summaries"

    def __init__(self, max_words: int = 100, batch_size: int = 8, with_nlp: bool = True,
                 sample_size: int = SAMPLE_SIZE, nlp_sample_size: int = NLP_SAMPLE,
                 encoder: SentenceEncoder | None = None, workers: int = WORKERS, parse_process: bool = True) -> None:
        self.encoder = encoder  # None: :func:`sentence_encoder`, loaded on first use
        self.workers = workers
        self.parse_process = parse_process  # parse in the worker process (:mod:`.worker`), else in a thread
        self.max_words = max_words
        self.batch_size = batch_size
        self.with_nlp = with_nlp
        self.sample_size = sample_size
        self.nlp_sample_size = nlp_sample_size

    def backlog(self, store: Store) -> tuple[list[_Pending], list[str], dict[str, str]]:
        """Stories to (re)summarize, stories whose briefing must go, and briefings to move (old id → new id)."""
        members: dict[str, list[str]] = {}
        for sid, aid in store.conn.execute("SELECT story_id, article_id FROM story_articles"):
            members.setdefault(sid, []).append(aid)
        stored = {r[0]: r[1] for r in store.conn.execute("SELECT story_id, story_version FROM summaries")}
        pending, drop = [], []
        for sid, state in store.conn.execute("SELECT id, state FROM stories ORDER BY id"):
            ids = members.get(sid, [])
            if state == "merged" or not ids:
                if sid in stored:
                    drop.append(sid)
                continue
            v = story_version(ids)
            if stored.get(sid) != v:
                pending.append(_Pending(sid, sorted(ids), v))
        live = {r[0] for r in store.conn.execute("SELECT id FROM stories")}
        drop.extend(sid for sid in stored if sid not in live)
        # a dropped story's briefing fits a pending story with exactly its articles: move it, do not redo it
        by_version = {stored[sid]: sid for sid in drop}
        moved: dict[str, str] = {}
        for p in pending:
            old = by_version.pop(p.version, None)
            if old is not None:
                moved[old] = p.story_id
        if moved:
            drop = [sid for sid in drop if sid not in moved]
            targets = set(moved.values())
            pending = [p for p in pending if p.story_id not in targets]
        return pending, drop, moved

    def catch_up(self, store: Store, progress: ProgressFn = no_progress) -> StageReport:
        pending, drop, moved = self.backlog(store)
        report = StageReport(stage=self.name, details={"stale": len(pending), "removed": len(drop), "empty": 0,
                                                       "moved": len(moved), "sampled": 0, "parsed": 0,
                                                       "paragraphs_parsed": 0})
        if drop or moved:
            with store.atomic() as conn:
                for old, new in moved.items():
                    self._move(conn, old, new)
                for sid in drop:
                    conn.execute("DELETE FROM summaries WHERE story_id = ?", (sid,))
                    conn.execute("DELETE FROM stories_fts WHERE story_id = ?", (sid,))
        total = len(pending)
        progress(self.name, 0, total)
        chunks = [pending[k:k + self.batch_size] for k in range(0, total, self.batch_size)]
        # spaCy parses in its own process (:mod:`.worker`), asked from a thread, while the briefings are drafted
        # and written: a chunk's paragraphs while it is drafted and the previous chunk is finished
        pw = worker() if self.with_nlp and self.parse_process and pending else None
        if pw is not None:
            pw.start()  # spaCy loads there while the first chunk is read
        cpu0 = pw.cpu_seconds if pw is not None else 0.0
        parse = _Parser(store, in_worker=pw is not None)
        threaded = store.path != ":memory:"
        try:
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="nf-parse") as pool, \
                    ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="nf-brief") as workers:
                ahead: _Chunk | None = None
                for chunk in chunks:
                    read = self._read(store, chunk, parse, pool if threaded else None)
                    if ahead is not None:
                        self._finish(store, ahead, report, progress, total, workers)
                    ahead = read
                if ahead is not None:
                    self._finish(store, ahead, report, progress, total, workers)
        finally:
            parse.close()
            if pw is not None:
                report.details["parse_process_cpu_seconds"] = round(max(0.0, pw.cpu_seconds - cpu0), 2)
                report.details["parse_process_peak_mb"] = round(pw.peak_mb)
        return report

    def _read(self, store: Store, chunk: list[_Pending], parse: _Parser, pool: Executor | None) -> _Chunk:
        """Read a chunk of stories (the articles each briefing reads) and hand their parse to ``pool``
        (done here without one)."""
        reads = {p.story_id: self.sample(store, p) for p in chunk}
        articles = {a.id: a for a in store.get_articles(sorted({i for ids in reads.values() for i in ids}))}
        dups = _duplicates(store, list(articles))
        arts_of = {p.story_id: [articles[i] for i in reads[p.story_id] if i in articles] for p in chunk}
        out = _Chunk(chunk, reads, dups, arts_of)
        if self.with_nlp:
            out.stories = [nlp_sample(arts, dups, self.nlp_sample_size) for arts in arts_of.values()]
            if pool is not None:
                out.job = pool.submit(parse, out.stories)
            else:
                out.job = Future()
                out.job.set_result(parse(out.stories))
        return out

    @staticmethod
    def _combine(c: _Chunk, parsed: _Parsed) -> dict[str, ArticleAnalysis]:
        """The chunk's article analyses from its stories' parsed paragraphs."""
        from .analysis import combine_story

        out: dict[str, ArticleAnalysis] = {}
        for arts, pl in zip(c.stories, parsed.plans):
            out.update(combine_story(arts, pl, parsed.known))
        return out

    @staticmethod
    def _n_parsed(c: _Chunk, parsed: _Parsed) -> int:
        """The chunk's articles with a paragraph parsed now."""
        from .analysis import paragraph_key

        return sum(any(p.parse and paragraph_key(p.text) in parsed.fresh for p in pl[a.id])
                   for arts, pl in zip(c.stories, parsed.plans) for a in arts)

    def _finish(self, store: Store, c: _Chunk, report: StageReport, progress: ProgressFn, total: int,
                workers: Executor) -> None:
        """Write the chunk's briefings and the paragraph analyses it parsed, in one transaction."""
        from .analysis import model_key

        encoder = self.encoder or sentence_encoder()
        if encoder is not None:
            _load_vectors(store, [a for arts in c.arts_of.values() for a in arts], encoder)
        # what needs no parse first (the chunk's paragraphs are parsed meanwhile), then the rest; the stories
        # of a chunk are drafted and completed side by side (the encoder and numpy release the interpreter lock)
        passages = {p.story_id: _passages(store, c.reads[p.story_id]) for p in c.pending}
        drafts = list(workers.map(lambda p: draft_briefing(
            c.arts_of[p.story_id], max_words=self.max_words, passages=passages[p.story_id], encoder=encoder,
            story_id=p.story_id, version=p.version, with_nlp=self.with_nlp, n_articles=len(p.article_ids),
            duplicates=c.dups, sample_size=self.sample_size, nlp_sample_size=self.nlp_sample_size), c.pending))
        parsed = c.job.result() if c.job is not None else _Parsed([], {}, {})
        analyses = self._combine(c, parsed) if self.with_nlp else {}
        report.details["parsed"] += self._n_parsed(c, parsed)
        done = []
        for p, briefing in zip(c.pending, workers.map(lambda d: complete_briefing(d, analyses), drafts)):
            _mark_updates(store, briefing)
            report.details["empty"] += int(not briefing.summary)
            report.details["sampled"] += int(briefing.sampled is not None)
            done.append((p, briefing))
        with store.atomic() as conn:
            if parsed.fresh:
                conn.executemany(
                    "INSERT OR IGNORE INTO paragraph_analyses (hash, model, analysis_json) VALUES (?, ?, ?)",
                    [(k, model_key(), pa.to_json()) for k, pa in parsed.fresh.items()])
            if encoder is not None:
                _store_vectors(conn, encoder)
            for p, b in done:
                self._write(conn, p, b)
        report.details["paragraphs_parsed"] += len(parsed.fresh)
        report.processed += len(done)
        progress(self.name, report.processed, total)

    def sample(self, store: Store, p: _Pending) -> list[str]:
        """The ids of the articles the story's briefing reads: all of them, or a sample of a big story."""
        if len(p.article_ids) <= self.sample_size:
            return p.article_ids
        rows = store.conn.execute(
            "SELECT a.id, a.outlet, a.published, d.article_id IS NOT NULL FROM story_articles sa"
            " JOIN articles a ON a.id = sa.article_id LEFT JOIN dup_links d ON d.article_id = sa.article_id"
            " WHERE sa.story_id = ?", (p.story_id,)).fetchall()
        return sorted(choose_sample([Member(r[0], r[1], r[2], bool(r[3])) for r in rows], self.sample_size))

    def analyses(self, store: Store, stories: list[list[Article]]) -> tuple[
            dict[str, ArticleAnalysis], dict[str, ParagraphAnalysis], int]:
        """The analyses of the stories' articles, the paragraph analyses parsed now (not stored), and how
        many articles had a paragraph parsed now.

        Each story's briefing parses the paragraphs it needs (:func:`.needs.plan`);
        stored paragraph analyses of the same model are reused, and the
        missing ones of all ``stories`` are parsed in one spaCy pass.
        """
        c = _Chunk([], {}, set(), {}, stories=[list(arts) for arts in stories])
        parse = _Parser(store)
        try:
            parsed = parse(c.stories)
        finally:
            parse.close()
        return self._combine(c, parsed), parsed.fresh, self._n_parsed(c, parsed)

    @staticmethod
    def _move(conn: sqlite3.Connection, old: str, new: str) -> None:
        """Re-key the briefing of ``old`` to ``new`` (same articles): its content and ``updated_at`` stay."""
        row = conn.execute("SELECT briefing_json, story_version, updated_at FROM summaries WHERE story_id = ?",
                           (old,)).fetchone()
        d = json.loads(row[0])
        d["story_id"] = new
        b = Briefing.from_dict(d)
        conn.execute("DELETE FROM summaries WHERE story_id IN (?, ?)", (old, new))
        conn.execute("INSERT INTO summaries (story_id, briefing_json, story_version, updated_at) VALUES (?, ?, ?, ?)",
                     (new, json.dumps(d, ensure_ascii=False), row[1], row[2]))
        conn.execute("DELETE FROM stories_fts WHERE story_id IN (?, ?)", (old, new))
        conn.execute("INSERT INTO stories_fts (story_id, headline, summary) VALUES (?, ?, ?)",
                     (new, b.headline, b.summary_text))
        if b.headline:
            writes.set_headline(conn, new, b.headline)

    @staticmethod
    def _write(conn: sqlite3.Connection, p: _Pending, b: Briefing) -> None:
        conn.execute(
            "INSERT INTO summaries (story_id, briefing_json, story_version, updated_at)"
            " VALUES (?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))"
            " ON CONFLICT(story_id) DO UPDATE SET briefing_json = excluded.briefing_json,"
            " story_version = excluded.story_version, updated_at = excluded.updated_at",
            (p.story_id, json.dumps(b.to_dict(), ensure_ascii=False), p.version))
        if b.headline:
            writes.set_headline(conn, p.story_id, b.headline)
        conn.execute("DELETE FROM stories_fts WHERE story_id = ?", (p.story_id,))
        conn.execute("INSERT INTO stories_fts (story_id, headline, summary) VALUES (?, ?, ?)",
                     (p.story_id, b.headline, b.summary_text))


def _mark_updates(store: Store, b: Briefing) -> None:
    """Say in ``b``'s timeline which of its articles were updated (a new text replaced an earlier one), and when."""
    from ..store.versions import updated

    found = updated(store.conn, [t.article_id for t in b.timeline])
    for t in b.timeline:
        if t.article_id in found:
            t.versions, t.updated_at = found[t.article_id]


def _rows_in(store: Store, query: str, values: list[str], size: int = 500) -> Iterable[sqlite3.Row]:
    """Rows of ``query`` (its ``{}`` an IN list) for ``values``, asked in chunks of ``size``."""
    for i in range(0, len(values), size):
        chunk = values[i:i + size]
        yield from store.conn.execute(query.format(",".join("?" * len(chunk))), chunk)


def _load_vectors(store: Store, articles: list[Article], encoder: SentenceEncoder) -> None:
    """Give the restatement tests (:mod:`.align`) the stored vectors of the articles' sentences."""
    from ..sentences import split_sentences

    if store.conn.execute("SELECT 1 FROM sentence_vectors LIMIT 1").fetchone() is None:
        return  # a first run: nothing stored yet
    by_key = {sentence_key(t): t for a in articles for t in split_sentences(a.text or "")}
    found = {}
    for h, model, blob in _rows_in(store, "SELECT hash, model, vector FROM sentence_vectors WHERE hash IN ({})",
                                   sorted(by_key)):
        if model == encoder.model:
            found[by_key[h]] = np.frombuffer(blob, dtype=np.float32)
    encoder.remember(found)


def _store_vectors(conn: sqlite3.Connection, encoder: SentenceEncoder) -> None:
    """Store the sentence vectors used since the last call (each distinct sentence once)."""
    conn.executemany("INSERT OR IGNORE INTO sentence_vectors (hash, model, vector) VALUES (?, ?, ?)",
                     [(sentence_key(t), encoder.model, np.asarray(v, dtype=np.float32).tobytes())
                      for t, v in encoder.take_fresh().items()])


def _duplicates(store: Store, ids: list[str]) -> set[str]:
    """Those of ``ids`` that are copies of another article (a ``dup_links`` row)."""
    return {r[0] for r in _rows_in(store, "SELECT article_id FROM dup_links WHERE article_id IN ({})", ids)}


def _passages(store: Store, ids: list[str]) -> list[Passage]:
    """Re-used passages the dedup stage found between the story's articles."""
    if len(ids) < 2:
        return []
    out: list[Passage] = []
    wanted = set(ids)
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        q = (f"SELECT article_id, source_id, sentence, source_sentence, similarity, direction FROM passages"
             f" WHERE article_id IN ({','.join('?' * len(chunk))})")
        for r in store.conn.execute(q, chunk):
            if r["source_id"] in wanted:
                out.append(Passage(r["article_id"], r["source_id"], r["sentence"], r["source_sentence"],
                                   r["similarity"], r["direction"]))
    return out
