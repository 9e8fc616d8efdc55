"""Which sentences of a story restate which: MiniLM similarity plus shared names and numbers.

Citations (:func:`.core.citations`), "what each outlet adds"
(:func:`.additions.additions`) and the summary's redundancy check
(:class:`.core.Restatements`) ask the same question of two sentences: does
one state the other's fact, in any words (a paraphrase, a translation)?  The lexical tests of :mod:`.core` catch copies
and light edits; :class:`Alignment` adds meaning: the two sentences' MiniLM
embeddings (the package's encoder, :class:`newsfold.stories.represent.MiniLMEncoder`)
are close, and they name the same people and places and state the same
numbers::

    score = cos(a, b) + NAME_WEIGHT * shared(a, b) - NUMBER_CLASH * clash(a, b) ≥ RESTATE

``shared`` is the share of the smaller sentence's names and numbers that the
other has; ``clash`` is 1 when both state numbers and share none.  The three
settings are the best F1 on all 163 hand-labelled pairs of
``tests/data/restatement_pairs.jsonl`` (seed story and ECB+), chosen when
sentences were encoded in batches; encoded one at a time (as now: the int8
model's vectors depend on the batch) they give P 0.909 / R 0.741 on the
seed pairs, P 0.727 / R 0.667 on the ECB+ ones, and F1 is flat (0.77–0.79)
for thresholds from 0.78 to 0.82.  Chosen on the seed pairs alone they
would keep ECB+ recall at 0.5, so they were not:
``python bench/summary_pairs.py --score`` prints both.  MiniLM is a topic
model more than a paraphrase model: restatements in very different words
(below about 0.7 cosine) still go unmatched.

Cost is bounded: a story encodes at most ``MAX_ENCODED`` sentences, in the
order the questions come (the summary's sentences and each other article's
lexically closest sentence first, then the articles' earliest sentences for
"what each outlet adds"), and every sentence's vector is cached in the
process by its text and stored (``sentence_vectors``, by the Summaries
stage), so wire copies and a refreshed story cost nothing more.
Past the budget the lexical tests stand alone.  Without the
encoder (its weights not installed) the lexical tests stand alone.
"""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from ..text import anchor_tokens, text_key

log = logging.getLogger(__name__)

RESTATE = 0.81
NAME_WEIGHT = 0.15
NUMBER_CLASH = 0.05
MAX_ENCODED = 32       # sentences encoded per story for citations and additions, at most
CACHE_SIZE = 20000     # sentence vectors kept (by text)
MAX_TOKENS = 64

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
MODEL_KEY = f"minilm-int8-channel-{MAX_TOKENS}-alone"  # the vectors' model (``sentence_vectors.model``)
_cache: OrderedDict[str, np.ndarray] = OrderedDict()
_fresh: dict[str, np.ndarray] = {}  # used since the last :func:`take_fresh` (for the store)


@lru_cache(maxsize=1)
def _encoder() -> Any:
    try:
        from ..stories.represent import MiniLMEncoder

        enc = MiniLMEncoder(max_tokens=MAX_TOKENS, threads=1)  # one sentence at a time: a second thread only waits
        enc.encode(["warm up"])
        return enc
    except Exception as e:  # the weights are an optional install: say so once, keep the lexical tests
        log.warning("sentence alignment by meaning is off (MiniLM encoder unavailable: %s)", e)
        return None


def vectors(texts: Sequence[str]) -> np.ndarray | None:
    """Unit MiniLM vectors of ``texts`` (cached by text), or None without the encoder."""
    enc = _encoder()
    if enc is None:
        return None
    todo = list(dict.fromkeys(t for t in texts if t not in _cache))
    # one text per call: the int8 model quantizes activations per batch, so a sentence's vector would
    # depend on the sentences encoded with it (and a decision near a threshold on the order of questions);
    # alone, it costs about the same per sentence
    for t in todo:
        _cache[t] = enc.encode([t])[0]
    if todo:
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    for t in texts:
        _cache.move_to_end(t)
        _fresh[t] = _cache[t]
    return np.stack([_cache[t] for t in texts]) if texts else np.zeros((0, 384), dtype=np.float32)


def sentence_key(text: str) -> str:
    """The key of a sentence's stored vector: a hash of its text."""
    return text_key(text)


def remember(found: dict[str, np.ndarray]) -> None:
    """Known vectors (stored ones, by text): a question about these sentences encodes nothing."""
    for t, v in found.items():
        _cache[t] = v
    while len(_cache) > CACHE_SIZE:
        _cache.popitem(last=False)


def take_fresh() -> dict[str, np.ndarray]:
    """The vectors used since the last call (by text; encoded now or before), for the caller to store."""
    out = dict(_fresh)
    _fresh.clear()
    return out


@lru_cache(maxsize=50_000)
def anchors(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """The names (capitalised words past the first) and the numbers a sentence states."""
    toks = anchor_tokens(text)
    names = frozenset(t.lower().rstrip(".'’").removesuffix("'s").removesuffix("’s")
                      for t in toks[1:] if t[:1].isupper())
    nums = frozenset(n.replace(",", "") for n in _NUMBER.findall(text))
    return names, nums


def score(cos: float, a: str, b: str) -> float:
    """How surely ``b`` restates ``a`` (see the module docstring), given their embeddings' cosine."""
    na, ua = anchors(a)
    nb, ub = anchors(b)
    sa, sb = na | ua, nb | ub
    shared = len(sa & sb) / max(1, min(len(sa), len(sb)))
    clash = 1.0 if ua and ub and not (ua & ub) else 0.0
    return float(cos + NAME_WEIGHT * shared - NUMBER_CLASH * clash)


class Alignment:
    """Restatement tests between the sentences ``texts`` of one story, by meaning, within a budget.

    ``restates(i, js)`` says, for each j, whether sentence j states sentence
    i's fact.  Sentences are encoded as the questions come (callers ask
    about the summary first, then the articles' earliest sentences), up to
    ``max_encoded``; a pair past the budget is answered False (the caller's
    lexical tests still apply).
    """

    def __init__(self, texts: Sequence[str], max_encoded: int = MAX_ENCODED) -> None:
        self.texts = list(texts)
        self.max_encoded = max_encoded
        self._vec: dict[int, np.ndarray] = {}
        self.encoded = 0

    def _vectors(self, idx: Sequence[int]) -> dict[int, np.ndarray]:
        want = [i for i in dict.fromkeys(idx) if i not in self._vec]
        room = self.max_encoded - self.encoded
        if want and room > 0:
            want = want[:room]
            got = vectors([self.texts[i] for i in want])
            if got is None:
                self.max_encoded = 0
                return self._vec
            self._vec.update(zip(want, got))
            self.encoded += len(want)
        return self._vec

    def can_ask(self, i: int) -> bool:
        """Whether a question about sentence ``i`` can still be answered by meaning (budget left, or it is encoded)."""
        return self.max_encoded > 0 and (i in self._vec or self.encoded < self.max_encoded)

    def restates(self, i: int, js: Sequence[int]) -> np.ndarray:
        out = np.zeros(len(js), dtype=bool)
        if not len(js) or self.max_encoded <= 0:
            return out
        vec = self._vectors([i, *js])
        if i not in vec:
            return out
        for k, j in enumerate(js):
            if j in vec:
                out[k] = score(float(vec[i] @ vec[j]), self.texts[i], self.texts[j]) >= RESTATE
        return out
