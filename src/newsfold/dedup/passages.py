"""Re-used passages: the sentences of one article found near-verbatim in another.

Both articles are split into sentences (:func:`newsfold.sentences.split_sentences`)
and each sentence into word trigrams.  A sentence pair is a passage when the
trigrams they share cover at least ``min_similarity`` of the *shorter*
sentence and number at least ``min_shared``: so a wire sentence pasted into
a longer sentence of the copy is found, and two sentences that merely share
a name and a verb are not.

Direction: when both articles carry dates and they differ, the later one is
the copier (``direction="copied"``); otherwise ``"shared"``.

A :class:`SentenceCache` keeps what splitting found, per line and per text,
so a caller comparing one article with many (dedup's canonicals, a story's
members) splits each text once and each repeated line (a wire sentence, an
outlet's footer) once.
"""

from __future__ import annotations

import threading
from array import array
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..models import Article, Passage
from ..sentences import split_sentences
from ..text import words as split_words  # `words` names the word-id map below
from . import writes

if TYPE_CHECKING:
    from ..stages import ProgressFn, StageReport
    from ..store.db import Store


MAX_SENTENCES = 1000  # longer articles are compared on their first 1,000 sentences (bounded time and memory)


@dataclass
class SplitText:
    """A text's sentences (the first :data:`MAX_SENTENCES`) and their word n-grams as integer ids.

    Sentence ``i`` owns the distinct ids ``ids[owner == i]``, ``sizes[i]`` of
    them; ids are only comparable between texts split by the same
    :class:`SentenceCache` generation.
    """

    sentences: list[str]
    sizes: np.ndarray
    ids: np.ndarray
    owner: np.ndarray
    generation: int
    _by_gram: tuple[np.ndarray, np.ndarray] | None = None
    _asking: tuple[int, np.ndarray, np.ndarray] | None = None

    def by_gram(self) -> tuple[np.ndarray, np.ndarray]:
        """``(ids, owner)`` sorted by id: the text as a source to look sentences up in."""
        if self._by_gram is None:
            order = np.argsort(self.ids, kind="stable")
            self._by_gram = (self.ids[order], self.owner[order])
        return self._by_gram

    def asking(self, min_shared: int) -> tuple[np.ndarray, np.ndarray]:
        """``(ids, owner)`` of the sentences with at least ``min_shared`` n-grams: the text as a copier."""
        if self._asking is None or self._asking[0] != min_shared:
            keep = self.sizes[self.owner] >= min_shared
            self._asking = ((min_shared, self.ids, self.owner) if keep.all()
                            else (min_shared, self.ids[keep], self.owner[keep]))
        return self._asking[1], self._asking[2]


class _Full(Exception):
    """The word table has no room for another word id (see :class:`SentenceCache`)."""


class SentenceCache:
    """Texts split into sentences and n-gram ids, each line and each text once.

    :func:`split_sentences` breaks every line of a text on its own, so a
    line seen before is looked up, not split again.  Words get integer ids
    and an n-gram is its word ids packed into one 63-bit integer (exact: no
    hashing), so two split texts are matched with numpy.  Bounded: past
    half of ``max_words`` words or past ``max_lines`` lines everything is
    forgotten, at the start of a comparison (never in the middle of one),
    and a comparison that needs more words starts again on an empty cache;
    the last ``max_texts`` texts are kept whole.
    """

    def __init__(self, ngram: int = 3, max_words: int = 1 << 20, max_lines: int = 100_000,
                 max_texts: int = 4096) -> None:
        if not 1 <= int(ngram) <= 3:  # 21 bits per word id: a pair of texts (MAX_SENTENCES each) always fits
            raise ValueError(f"ngram must be 1, 2 or 3, got {ngram}")
        self.ngram = int(ngram)
        self._bits = 63 // self.ngram
        self.max_words = min(int(max_words), (1 << self._bits) - 1)
        self.max_lines = int(max_lines)
        self.max_texts = int(max_texts)
        self.generation = 0
        self.clear()

    def clear(self) -> None:
        """Forget every word, line and text (a new generation of ids)."""
        self.generation += 1
        self._words: dict[str, int] = {}
        self._lines: dict[str, tuple[tuple[str, ...], bytes, bytes]] = {}
        self._texts: OrderedDict[str, SplitText] = OrderedDict()

    def _trim(self) -> None:
        if len(self._words) > self.max_words // 2 or len(self._lines) > self.max_lines:
            self.clear()

    def split(self, text: str) -> SplitText:
        """``text`` split (cached).  May raise :class:`_Full`: callers use :meth:`split_all`."""
        got = self._texts.get(text)
        if got is not None:
            self._texts.move_to_end(text)
            return got
        cut = text[: MAX_SENTENCES * 400] if len(text) > MAX_SENTENCES * 400 else text
        sents: list[str] = []
        sizes: list[bytes] = []
        ids: list[bytes] = []
        for line in cut.split("\n"):
            entry = self._lines.get(line)
            if entry is None:
                entry = self._lines[line] = self._split_line(line)
            if entry[0]:
                sents.extend(entry[0])
                sizes.append(entry[1])
                ids.append(entry[2])
                if len(sents) >= MAX_SENTENCES:
                    break
        size = np.frombuffer(b"".join(sizes), dtype=np.int64)
        flat = np.frombuffer(b"".join(ids), dtype=np.int64)
        if len(sents) > MAX_SENTENCES:
            del sents[MAX_SENTENCES:]
            size = size[:MAX_SENTENCES]
            flat = flat[: int(size.sum())]
        out = SplitText(sents, size, flat, np.repeat(np.arange(size.size, dtype=np.int16), size), self.generation)
        self._texts[text] = out
        if len(self._texts) > self.max_texts:
            self._texts.popitem(last=False)
        return out

    def _split_line(self, line: str) -> tuple[tuple[str, ...], bytes, bytes]:
        n, bits, words = self.ngram, self._bits, self._words
        sents = split_sentences(line)
        sizes, ids = [], []
        for s in sents:
            found = split_words(s)
            w = list(map(words.get, found))
            if None in w:  # new words: give them ids
                w = [self._word_id(x) if i is None else i for i, x in zip(w, found)]
            if n == 3:
                grams = {(a << bits | b) << bits | c for a, b, c in zip(w, w[1:], w[2:])}
            else:
                grams = set()
                for i in range(len(w) - n + 1):
                    g = 0
                    for x in w[i:i + n]:
                        g = g << bits | x
                    grams.add(g)
            sizes.append(len(grams))
            ids.extend(grams)
        return tuple(line if s == line else s for s in sents), array("q", sizes).tobytes(), array("q", ids).tobytes()

    def _word_id(self, word: str) -> int:
        i = self._words.get(word)
        if i is None:
            if len(self._words) >= self.max_words:
                raise _Full
            i = self._words[word] = len(self._words)
        return i

    def split_all(self, texts: Sequence[str]) -> list[SplitText] | None:
        """All ``texts`` split in one generation, or None when they do not fit in an empty cache."""
        self._trim()
        for _ in range(2):
            try:
                out = [self.split(t) for t in texts]
                if all(x.generation == self.generation for x in out):
                    return out
            except _Full:
                pass
            self.clear()
        return None


def _order(a: Article, b: Article) -> tuple[Article, Article, str]:
    """``(copier, source, direction)`` for the pair."""
    pa, pb = a.published, b.published
    if pa and pb and pa[:10] != pb[:10]:
        return (a, b, "copied") if pa > pb else (b, a, "copied")
    if pa and pb and pa != pb and len(pa) > 10 and len(pb) > 10:
        return (a, b, "copied") if pa > pb else (b, a, "copied")
    return a, b, "shared"


def match_sentences(text: str, source_text: str, *, min_similarity: float = 0.6, min_shared: int = 5,
                    ngram: int = 3, cache: SentenceCache | None = None) -> list[tuple[str, str, float]]:
    """``(sentence, source_sentence, similarity)`` for every re-used sentence of ``text``.

    ``cache`` (for ``ngram``) keeps split texts between calls, for a caller
    that compares one text with many; without one, a small cache of this
    thread's own keeps the last texts (so comparing every pair of a story
    splits each article once).
    """
    return match_many([(text, source_text)], min_similarity=min_similarity, min_shared=min_shared, ngram=ngram,
                      cache=cache)[0]


def match_many(pairs: Sequence[tuple[str, str]], *, min_similarity: float = 0.6, min_shared: int = 5,
               ngram: int = 3, cache: SentenceCache | None = None) -> list[list[tuple[str, str, float]]]:
    """:func:`match_sentences` for each ``(text, source_text)`` pair, computed together.

    Every text is split once (``cache`` keeps them for later calls), and the
    n-grams of all pairs are looked up and counted in a few numpy passes.
    """
    cache = cache if cache is not None else _thread_cache(ngram)
    if cache.ngram != ngram:
        raise ValueError(f"this SentenceCache splits {cache.ngram}-grams, not {ngram}-grams: use one per ngram")
    if not pairs:
        return []
    slot: dict[str, int] = {}
    for a, b in pairs:
        slot.setdefault(a, len(slot))
        slot.setdefault(b, len(slot))
    splits = cache.split_all(list(slot))
    if splits is None:  # more distinct words than this cache numbers: each pair alone, in a full-size cache
        full = SentenceCache(ngram)  # 2**20 word ids: one pair (two cut texts, 200,000 words each at most) fits
        if len(pairs) == 1 and cache.max_words >= full.max_words:
            raise RuntimeError("one pair of texts holds more distinct words than a SentenceCache can number")
        return [match_many([p], min_similarity=min_similarity, min_shared=min_shared, ngram=ngram,
                           cache=full)[0] for p in pairs]
    out: list[list[tuple[str, str, float]]] = []
    lo = 0
    while lo < len(pairs):  # chunks of at most _MAX_CELLS sentence pairs
        hi, cells = lo, 0
        while hi < len(pairs) and (hi == lo or cells + _n_cells(pairs[hi], slot, splits) <= _MAX_CELLS):
            cells += _n_cells(pairs[hi], slot, splits)
            hi += 1
        out.extend(_match_split([(splits[slot[a]], splits[slot[b]]) for a, b in pairs[lo:hi]],
                                min_similarity, min_shared))
        lo = hi
    return out


_LOCAL = threading.local()


def _thread_cache(ngram: int) -> SentenceCache:
    """This thread's small :class:`SentenceCache` for ``ngram`` (a cache is not shared between threads)."""
    caches: dict[int, SentenceCache] = _LOCAL.__dict__.setdefault("caches", {})
    if ngram not in caches:
        caches[ngram] = SentenceCache(ngram, max_words=1 << 18, max_lines=20_000, max_texts=64)
    return caches[ngram]


_MAX_CELLS = 1 << 21  # sentence pairs counted at once (one int64 counter each)


def _n_cells(pair: tuple[str, str], slot: dict[str, int], splits: list[SplitText]) -> int:
    return len(splits[slot[pair[0]]].sentences) * len(splits[slot[pair[1]]].sentences)


def _match_split(pairs: list[tuple[SplitText, SplitText]], min_similarity: float,
                 min_shared: int) -> list[list[tuple[str, str, float]]]:
    """The re-used sentences of each ``(copier, source)`` pair of split texts.

    Each copier n-gram is looked up in its source's sorted n-grams; every
    (pair, copier sentence, source sentence) hit counts in one flat counter
    (pair ``p`` owns ``n_copier × n_source`` cells from ``start[p]``).
    """
    n = len(pairs)
    width = np.array([len(b.sentences) for _, b in pairs], dtype=np.int64)
    start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.array([len(a.sentences) for a, _ in pairs], dtype=np.int64) * width, out=start[1:])
    # look up each source's copiers together: one pair of binary searches per source text
    by_source: dict[int, list[int]] = {}
    for p, (_, b) in enumerate(pairs):
        by_source.setdefault(id(b), []).append(p)
    order: list[int] = []
    lefts, rights, rows, cols = [], [], [], []
    base = 0
    for ps in by_source.values():
        g, c = pairs[ps[0]][1].by_gram()
        asks = [pairs[p][0].asking(min_shared) for p in ps]
        q = np.concatenate([a[0] for a in asks]) if len(asks) > 1 else asks[0][0]
        lo = g.searchsorted(q, "left")
        rights.append(g.searchsorted(q, "right") - lo)
        lefts.append(lo + base)
        rows.extend(a[1] for a in asks)
        order.extend(ps)
        cols.append(c)
        base += g.size
    lens = np.array([r.size for r in rows], dtype=np.int64)
    lo = np.concatenate(lefts)
    cnt = np.concatenate(rights)
    row = np.concatenate(rows)
    pair = np.repeat(np.array(order, dtype=np.int64), lens)
    hit = cnt > 0
    out: list[list[tuple[str, str, float]]] = [[] for _ in range(n)]
    if not hit.any():
        return out
    lo, cnt, row, pair = lo[hit], cnt[hit], row[hit], pair[hit]
    # every (pair, copier sentence, source sentence) sharing an n-gram, once per shared n-gram
    first = np.repeat(np.cumsum(cnt) - cnt, cnt)
    pos = np.repeat(lo, cnt) + (np.arange(int(cnt.sum()), dtype=np.int64) - first)
    col = np.concatenate(cols)[pos]
    pair = np.repeat(pair, cnt)
    shared = np.bincount(start[pair] + np.repeat(row, cnt) * width[pair] + col, minlength=int(start[-1]))
    cells = np.flatnonzero(shared >= max(min_shared, 1))
    shared = shared[cells]
    pair = np.searchsorted(start, cells, side="right") - 1
    local = cells - start[pair]
    i, j = local // width[pair], local % width[pair]
    size_a = np.concatenate([a.sizes for a, _ in pairs])
    size_b = np.concatenate([b.sizes for _, b in pairs])
    sent_a = np.zeros(n, dtype=np.int64)
    sent_b = np.zeros(n, dtype=np.int64)
    np.cumsum([a.sizes.size for a, _ in pairs[:-1]], out=sent_a[1:])
    np.cumsum([b.sizes.size for _, b in pairs[:-1]], out=sent_b[1:])
    sim = shared / np.minimum(size_a[sent_a[pair] + i], size_b[sent_b[pair] + j])
    ok = sim >= min_similarity
    pair, i, j, sim = pair[ok], i[ok].tolist(), j[ok].tolist(), sim[ok]
    values, which = np.unique(sim, return_inverse=True)  # few distinct ratios: round each once
    rounded = [round(v, 4) for v in values.tolist()]
    sims = [rounded[k] for k in which.tolist()]
    bounds = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1], True]).tolist() if pair.size else [0]
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        a, b = pairs[int(pair[lo])]
        out[int(pair[lo])] = list(zip(map(a.sentences.__getitem__, i[lo:hi]), map(b.sentences.__getitem__, j[lo:hi]),
                                      sims[lo:hi]))
    return out


def find_passages(a: Article, b: Article, *, min_similarity: float = 0.6, min_shared: int = 5,
                  ngram: int = 3, cache: SentenceCache | None = None) -> list[Passage]:
    """Sentences one of ``a``/``b`` shares near-verbatim with the other.

    When dates tell who published first, the passages are the later
    article's sentences found in the earlier one (``copied``); otherwise
    ``a``'s sentences found in ``b`` (``shared``).  ``cache``: see
    :func:`match_sentences`.
    """
    copier, source, direction = _order(a, b)
    return [Passage(copier.id, source.id, s, t, sim, direction)  # type: ignore[arg-type]
            for s, t, sim in match_sentences(copier.text, source.text, min_similarity=min_similarity,
                                             min_shared=min_shared, ngram=ngram, cache=cache)]


def find_passages_many(pairs: Sequence[tuple[Article, Article]], *, min_similarity: float = 0.6,
                       min_shared: int = 5, ngram: int = 3,
                       cache: SentenceCache | None = None) -> list[list[Passage]]:
    """:func:`find_passages` for each pair, computed together (:func:`match_many`)."""
    ordered = [_order(a, b) for a, b in pairs]
    found = match_many([(c.text, s.text) for c, s, _ in ordered], min_similarity=min_similarity,
                       min_shared=min_shared, ngram=ngram, cache=cache)
    return [[Passage(c.id, s.id, x, y, sim, d) for x, y, sim in got]  # type: ignore[arg-type]
            for (c, s, d), got in zip(ordered, found)]


class StoryPassagesStage:
    """Post-stories stage: re-used passages between articles of the same story.

    Dedup records passages for the pairs its LSH proposes (copies and heavy
    re-use); a story can hold pairs that share only a few sentences (a site
    pasting wire paragraphs into its own report).  Backlog: story members
    with no ``passage_checks`` row for their current story.  Each is compared
    with the story's members checked before it (and earlier ones of the same
    batch), at most ``max_members`` of them; pairs that already have passages
    are skipped, and a cheap word-trigram overlap screens pairs before
    sentence matching.  An article that dedup folded onto a canonical (an
    exact copy, a near-duplicate or a reprint) is not compared again: its
    passages are the ones dedup recorded against its canonical.

    Cost: each story's compared members are read and hashed once per run
    (kept in memory, at most ``cache_articles`` of them), so a story of
    ``m`` members costs ``m`` reads and at most ``m × max_members`` set
    intersections, not ``m × max_members`` reads.
    """

    name = "passages"

    def __init__(self, batch_size: int = 500, max_members: int = 200, min_similarity: float = 0.6,
                 min_shared: int = 5, cache_articles: int = 20_000) -> None:
        self.batch_size = int(batch_size)
        self.max_members = int(max_members)
        self.min_similarity = float(min_similarity)
        self.min_shared = int(min_shared)
        self.cache_articles = int(cache_articles)

    def catch_up(self, store: "Store", progress: "ProgressFn | None" = None) -> "StageReport":
        from ..stages import StageReport

        backlog_sql = (
            "SELECT sa.article_id, sa.story_id FROM story_articles sa JOIN articles a ON a.id = sa.article_id"
            " LEFT JOIN passage_checks pc ON pc.article_id = sa.article_id"
            " WHERE pc.article_id IS NULL OR pc.story_id != sa.story_id ORDER BY a.seq LIMIT ?")
        total = int(store.conn.execute(
            "SELECT count(*) FROM story_articles sa LEFT JOIN passage_checks pc ON pc.article_id = sa.article_id"
            " WHERE pc.article_id IS NULL OR pc.story_id != sa.story_id").fetchone()[0])
        report = StageReport(self.name, details={"pairs": 0, "passages": 0, "copies": 0})
        if progress:
            progress(self.name, 0, total)
        copies = {r[0] for r in store.conn.execute("SELECT article_id FROM dup_links")}
        self._sentences = SentenceCache()  # each text split once per run
        cache: OrderedDict[str, _Members] = OrderedDict()
        while True:
            rows = store.conn.execute(backlog_sql, (self.batch_size,)).fetchall()
            if not rows:
                break
            with store.atomic():
                for r in rows:
                    aid, sid = r["article_id"], r["story_id"]
                    if aid in copies:
                        report.details["copies"] += 1
                    else:
                        self._check(store, aid, self._members(store, sid, cache), report)
                    writes.passage_check(store, aid, sid)
            report.processed += len(rows)
            if progress:
                progress(self.name, report.processed, total)
        return report

    def _members(self, store: "Store", story_id: str, cache: "OrderedDict[str, _Members]") -> "_Members":
        """The story's checked members that are not copies, with their trigram hashes (cached per run)."""
        m = cache.get(story_id)
        if m is not None:
            cache.move_to_end(story_id)
            return m
        ids = [r[0] for r in store.conn.execute(
            "SELECT sa.article_id FROM story_articles sa JOIN passage_checks pc ON pc.article_id = sa.article_id"
            " LEFT JOIN dup_links d ON d.article_id = sa.article_id"
            " WHERE sa.story_id = ? AND pc.story_id = sa.story_id AND d.article_id IS NULL LIMIT ?",
            (story_id, self.max_members))]
        m = _Members(ids, [_gram_hashes(a.text) for a in store.get_articles(ids)])
        cache[story_id] = m
        held = sum(len(x.ids) for x in cache.values())
        while held > self.cache_articles and len(cache) > 1:
            _, old = cache.popitem(last=False)
            held -= len(old.ids)
        return m

    def _check(self, store: "Store", article_id: str, members: "_Members", report: "StageReport") -> None:
        me = store.get_article(article_id)
        if me is None:
            return
        mine = _gram_hashes(me.text)
        if members.ids:
            done = {r[0] for r in store.conn.execute(
                "SELECT source_id FROM passages WHERE article_id = ? UNION SELECT article_id FROM passages"
                " WHERE source_id = ?", (article_id, article_id))}
            near = [oid for oid, grams in zip(members.ids, members.grams)
                    if oid != article_id and oid not in done
                    and np.intersect1d(mine, grams, assume_unique=True).size >= self.min_shared]
            others = store.get_articles(near)
            found = find_passages_many([(me, o) for o in others], min_similarity=self.min_similarity,
                                       min_shared=self.min_shared, cache=self._sentences)
            report.details["pairs"] += len(others)
            report.details["passages"] += writes.passages(store, [p for ps in found for p in ps])
        if article_id not in members.ids and len(members.ids) < self.max_members:
            members.ids.append(article_id)
            members.grams.append(mine)


@dataclass
class _Members:
    """A story's compared members and the hashes of their word trigrams (sorted, unique)."""

    ids: list[str]
    grams: list[np.ndarray]


def _gram_hashes(text: str) -> np.ndarray:
    """The article's word trigrams as sorted unique 64-bit hashes (a compact screen for shared wording)."""
    w = split_words(text)
    return np.unique(np.fromiter((hash((w[i], w[i + 1], w[i + 2])) for i in range(len(w) - 2)),
                                 dtype=np.int64, count=max(len(w) - 2, 0)))
