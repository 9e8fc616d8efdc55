"""Re-used passages: the sentences of one article found near-verbatim in another.

Both articles are split into sentences (:func:`newsfold.sentences.split_sentences`)
and each sentence into word trigrams.  A sentence pair is a passage when the
trigrams they share cover at least ``min_similarity`` of the *shorter*
sentence and number at least ``min_shared``: so a wire sentence pasted into
a longer sentence of the copy is found, and two sentences that merely share
a name and a verb are not.

Direction: when both articles carry dates and they differ, the later one is
the copier (``direction="copied"``); otherwise ``"shared"``.
"""

from __future__ import annotations

import re
from collections import OrderedDict, defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .models import Article, Passage
from .sentences import split_sentences

if TYPE_CHECKING:
    from .stages import ProgressFn, StageReport
    from .store import Store

_WORDS = re.compile(r"[^\W_]+")


@dataclass
class _Sentence:
    text: str
    grams: set[tuple[str, ...]]


MAX_SENTENCES = 1000  # longer articles are compared on their first 1,000 sentences (bounded time and memory)


def _sentences(text: str, n: int) -> list[_Sentence]:
    out = []
    sents = split_sentences(text[: MAX_SENTENCES * 400]) if len(text) > MAX_SENTENCES * 400 else split_sentences(text)
    for s in sents[:MAX_SENTENCES]:
        w = _WORDS.findall(s.lower())
        out.append(_Sentence(s, {tuple(w[i:i + n]) for i in range(len(w) - n + 1)}))
    return out


def _order(a: Article, b: Article) -> tuple[Article, Article, str]:
    """``(copier, source, direction)`` for the pair."""
    pa, pb = a.published, b.published
    if pa and pb and pa[:10] != pb[:10]:
        return (a, b, "copied") if pa > pb else (b, a, "copied")
    if pa and pb and pa != pb and len(pa) > 10 and len(pb) > 10:
        return (a, b, "copied") if pa > pb else (b, a, "copied")
    return a, b, "shared"


def match_sentences(text: str, source_text: str, *, min_similarity: float = 0.6, min_shared: int = 5,
                    ngram: int = 3) -> list[tuple[str, str, float]]:
    """``(sentence, source_sentence, similarity)`` for every re-used sentence of ``text``."""
    src = _sentences(source_text, ngram)
    index: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for j, s in enumerate(src):
        for g in s.grams:
            index[g].append(j)
    out: list[tuple[str, str, float]] = []
    for s in _sentences(text, ngram):
        if len(s.grams) < min_shared:
            continue
        shared: dict[int, int] = defaultdict(int)
        for g in s.grams:
            for j in index.get(g, ()):
                shared[j] += 1
        for j, k in sorted(shared.items()):
            if k < min_shared:
                continue
            sim = k / min(len(s.grams), len(src[j].grams))
            if sim >= min_similarity:
                out.append((s.text, src[j].text, round(sim, 4)))
    return out


def find_passages(a: Article, b: Article, *, min_similarity: float = 0.6, min_shared: int = 5,
                  ngram: int = 3) -> list[Passage]:
    """Sentences one of ``a``/``b`` shares near-verbatim with the other.

    When dates tell who published first, the passages are the later
    article's sentences found in the earlier one (``copied``); otherwise
    ``a``'s sentences found in ``b`` (``shared``).
    """
    copier, source, direction = _order(a, b)
    return [Passage(copier.id, source.id, s, t, sim, direction)  # type: ignore[arg-type]
            for s, t, sim in match_sentences(copier.text, source.text, min_similarity=min_similarity,
                                             min_shared=min_shared, ngram=ngram)]


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
        from .stages import StageReport

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
                    store.conn.execute("INSERT OR REPLACE INTO passage_checks (article_id, story_id) VALUES (?, ?)",
                                       (aid, sid))
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
            for other in store.get_articles(near):
                report.details["pairs"] += 1
                ps = find_passages(me, other, min_similarity=self.min_similarity, min_shared=self.min_shared)
                store.conn.executemany(
                    "INSERT INTO passages (article_id, source_id, sentence, source_sentence, similarity, direction)"
                    " VALUES (?,?,?,?,?,?)",
                    [(p.article_id, p.source_id, p.sentence, p.source_sentence, p.similarity, p.direction)
                     for p in ps])
                report.details["passages"] += len(ps)
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
    w = _WORDS.findall(text.lower())
    return np.unique(np.fromiter((hash((w[i], w[i + 1], w[i + 2])) for i in range(len(w) - 2)),
                                 dtype=np.int64, count=max(len(w) - 2, 0)))
