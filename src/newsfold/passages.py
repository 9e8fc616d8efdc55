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

from .models import Article, Passage
from .sentences import split_sentences

_WORDS = re.compile(r"[^\W_]+")


@dataclass
class _Sentence:
    text: str
    grams: set[tuple[str, ...]]


def _sentences(text: str, n: int) -> list[_Sentence]:
    out = []
    for s in split_sentences(text):
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
