"""Which sentences of a story restate which: MiniLM similarity plus shared names and numbers.

Citations (:func:`.citations.citations`), "what each outlet adds"
(:func:`.additions.additions`) and the summary's redundancy check
(:class:`.selection.Restatements`) ask the same question of two sentences: does
one state the other's fact, in any words (a paraphrase, a translation)?  The lexical tests of :mod:`.selection` catch copies
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
seed pairs, P 0.727 / R 0.667 on the ECB+ ones with unsigned int8 weights,
and P 0.875 / R 0.778 and P 0.750 / R 0.750 with the signed ones used on a
CPU with VNNI (:func:`.stage.sentence_encoder`); F1 was flat (0.77–0.79)
for thresholds from 0.78 to 0.82.  Chosen on the seed pairs alone they
would keep ECB+ recall at 0.5, so they were not:
``python bench/summary_pairs.py --score`` prints both.  MiniLM is a topic
model more than a paraphrase model: restatements in very different words
(below about 0.7 cosine) still go unmatched.

Cost is bounded: a story encodes at most ``MAX_ENCODED`` sentences, in the
order the questions come (the summary's sentences and each other article's
lexically closest sentence first, then the articles' earliest sentences for
"what each outlet adds"), and every sentence's vector is cached by its
text (:class:`SentenceEncoder`) and stored (``sentence_vectors``, by the Summaries
stage), so wire copies and a refreshed story cost nothing more.  A pair
found to restate is remembered (:meth:`Alignment.restating`): what
citations found, "what each outlet adds" does not ask again.
Past the budget the lexical tests stand alone.  Without the
encoder (its weights not installed) the lexical tests stand alone.
Each sentence encoded costs about 3 ms of CPU (MiniLM int8, ~26 tokens): the
encoder is most of the briefings' CPU outside spaCy.  A budget of 24 would
have ``bench/summaries.py --db`` encode 1,353 sentences on the 64 stories of
ECB+ instead of 1,513 (5.0 CPU s instead of 5.5) and the briefings cite 948
other articles instead of 963 (``tests/data/summary_checked.jsonl`` and
``bench/summary_devset.jsonl`` score the same); it is not taken: the
stage's pace is its spaCy process's (:mod:`.worker`), beside which the
briefings encode, so it would save CPU but no time.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from typing import Protocol

import numpy as np

from ..text import anchor_tokens, text_key

RESTATE = 0.81
NAME_WEIGHT = 0.15
NUMBER_CLASH = 0.05
MAX_ENCODED = 32       # sentences encoded per story for citations and additions, at most
CACHE_SIZE = 20000     # sentence vectors kept (by text)
MAX_TOKENS = 64

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def model_key(precision: str) -> str:
    """The ``sentence_vectors.model`` of vectors from the MiniLM export ``precision``, each sentence encoded alone."""
    return f"minilm-{precision}-{MAX_TOKENS}-alone"


class Encoder(Protocol):
    """What encodes sentences: unit vectors, one row per text (``MiniLMEncoder`` of the stories stage)."""

    def encode(self, texts: list[str]) -> np.ndarray: ...


class SentenceEncoder:
    """An encoder's sentence vectors, cached by text, and the model name they are stored under.

    Built once by the caller (the Summaries stage: :func:`.stage.sentence_encoder`)
    and passed to the briefing, so no summarize module imports another
    stage.  Each text is encoded alone: the int8 model quantizes activations
    per batch, so a sentence's vector would depend on the sentences encoded
    with it (and a decision near a threshold on the order of questions);
    alone, it costs about the same per sentence (``bench/summaries.py
    --encoders``).  ``model`` names the vectors in the store
    (:func:`model_key`): those of another export are never mixed in.
    Every vector used is also kept for :meth:`take_fresh` (the caller stores
    them, ``sentence_vectors``).  Safe to share between threads.
    """

    def __init__(self, encoder: Encoder, model: str, cache_size: int = CACHE_SIZE) -> None:
        self.encoder = encoder
        self.model = model
        self.cache_size = cache_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._fresh: dict[str, np.ndarray] = {}  # used since the last :meth:`take_fresh` (for the store)
        self._lock = threading.Lock()
        self.encoded = 0  # texts encoded so far (not found cached)

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of ``texts`` (cached by text)."""
        with self._lock:
            todo = list(dict.fromkeys(t for t in texts if t not in self._cache))
        got = {t: self.encoder.encode([t])[0] for t in todo}
        with self._lock:
            self.encoded += len(got)
            self._cache.update(got)
            for t in texts:
                self._cache.move_to_end(t)
                self._fresh[t] = self._cache[t]
            out = [self._cache[t] for t in texts]
            self._trim()
        return np.stack(out) if out else np.zeros((0, 384), dtype=np.float32)

    def remember(self, found: dict[str, np.ndarray]) -> None:
        """Known vectors (stored ones, by text): a question about these sentences encodes nothing."""
        with self._lock:
            self._cache.update(found)
            self._trim()

    def take_fresh(self) -> dict[str, np.ndarray]:
        """The vectors used since the last call (by text; encoded now or before), for the caller to store."""
        with self._lock:
            out, self._fresh = self._fresh, {}
        return out

    def forget(self) -> None:
        """Drop every cached vector (what a new process knows)."""
        with self._lock:
            self._cache.clear()
            self._fresh.clear()

    def _trim(self) -> None:
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)


def sentence_key(text: str) -> str:
    """The key of a sentence's stored vector: a hash of its text."""
    return text_key(text)


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
    lexical tests still apply).  Without an ``encoder`` every pair is.
    """

    def __init__(self, texts: Sequence[str], encoder: SentenceEncoder | None,
                 max_encoded: int = MAX_ENCODED) -> None:
        self.texts = list(texts)
        self.encoder = encoder
        self.max_encoded = max_encoded if encoder is not None else 0
        self._vec: dict[int, np.ndarray] = {}
        self._said: dict[int, set[int]] = {}  # the pairs answered "restates" so far, both ways
        self.encoded = 0

    def _vectors(self, idx: Sequence[int]) -> dict[int, np.ndarray]:
        want = [i for i in dict.fromkeys(idx) if i not in self._vec]
        room = self.max_encoded - self.encoded
        if want and room > 0:
            want = want[:room]
            assert self.encoder is not None  # max_encoded is 0 without one
            got = self.encoder.vectors([self.texts[i] for i in want])
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
            if j in vec and score(float(vec[i] @ vec[j]), self.texts[i], self.texts[j]) >= RESTATE:
                out[k] = True
                self._said.setdefault(i, set()).add(j)
                self._said.setdefault(j, set()).add(i)
        return out

    def restating(self, i: int) -> set[int]:
        """The sentences already found to restate sentence ``i`` (or that ``i`` restates): asking again costs nothing."""
        return self._said.get(i, set())
