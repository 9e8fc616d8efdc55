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
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

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
    batch), pairs that already have passages are skipped, and a cheap
    word-trigram overlap screens pairs before sentence matching.
    """

    name = "passages"

    def __init__(self, batch_size: int = 200, max_members: int = 200, min_similarity: float = 0.6,
                 min_shared: int = 5) -> None:
        self.batch_size = int(batch_size)
        self.max_members = int(max_members)
        self.min_similarity = float(min_similarity)
        self.min_shared = int(min_shared)

    def catch_up(self, store: "Store", progress: "ProgressFn | None" = None) -> "StageReport":
        from .stages import StageReport

        backlog_sql = (
            "SELECT sa.article_id, sa.story_id FROM story_articles sa JOIN articles a ON a.id = sa.article_id"
            " LEFT JOIN passage_checks pc ON pc.article_id = sa.article_id"
            " WHERE pc.article_id IS NULL OR pc.story_id != sa.story_id ORDER BY a.seq LIMIT ?")
        total = int(store.conn.execute(
            "SELECT count(*) FROM story_articles sa LEFT JOIN passage_checks pc ON pc.article_id = sa.article_id"
            " WHERE pc.article_id IS NULL OR pc.story_id != sa.story_id").fetchone()[0])
        report = StageReport(self.name, details={"pairs": 0, "passages": 0})
        if progress:
            progress(self.name, 0, total)
        while True:
            rows = store.conn.execute(backlog_sql, (self.batch_size,)).fetchall()
            if not rows:
                break
            with store.atomic():
                for r in rows:
                    self._check(store, r["article_id"], r["story_id"], report)
                    store.conn.execute("INSERT OR REPLACE INTO passage_checks (article_id, story_id) VALUES (?, ?)",
                                       (r["article_id"], r["story_id"]))
            report.processed += len(rows)
            if progress:
                progress(self.name, report.processed, total)
        return report

    def _check(self, store: "Store", article_id: str, story_id: str, report: "StageReport") -> None:
        mates = [r["article_id"] for r in store.conn.execute(
            "SELECT sa.article_id FROM story_articles sa JOIN passage_checks pc ON pc.article_id = sa.article_id"
            " WHERE sa.story_id = ? AND pc.story_id = sa.story_id AND sa.article_id != ? LIMIT ?",
            (story_id, article_id, self.max_members))]
        if not mates:
            return
        me = store.get_article(article_id)
        if me is None:
            return
        mine = _trigrams(me.text)
        for other in store.get_articles(mates):
            done = store.conn.execute(
                "SELECT 1 FROM passages WHERE (article_id = ? AND source_id = ?) OR (article_id = ? AND source_id = ?)"
                " LIMIT 1", (article_id, other.id, other.id, article_id)).fetchone()
            if done or len(mine & _trigrams(other.text)) < self.min_shared:
                continue
            report.details["pairs"] += 1
            ps = find_passages(me, other, min_similarity=self.min_similarity, min_shared=self.min_shared)
            store.conn.executemany(
                "INSERT INTO passages (article_id, source_id, sentence, source_sentence, similarity, direction)"
                " VALUES (?,?,?,?,?,?)",
                [(p.article_id, p.source_id, p.sentence, p.source_sentence, p.similarity, p.direction) for p in ps])
            report.details["passages"] += len(ps)


def _trigrams(text: str) -> set[tuple[str, ...]]:
    w = _WORDS.findall(text.lower())
    return {tuple(w[i:i + 3]) for i in range(len(w) - 2)}
