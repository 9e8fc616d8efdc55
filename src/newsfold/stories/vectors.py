"""Stored dense vectors: an article is encoded once, whatever stage or run asks for its features.

:func:`featurize_stored` gives articles' features, reading the vectors kept
for them (or for an article with exactly the same model input, or for the
article a copy was linked to) and encoding only the rest; :func:`keep_vectors`
keeps what it encoded.  The stories stage, the refold and the engines read
features through it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..models import Article
from ..store.db import Store
from .represent import ArticleFeatures, Encoder, Featurizer


def load_vectors(store: Store, ids: list[str], key: str) -> dict[str, np.ndarray]:
    """The stored dense vectors of ``ids`` made by the encoder ``key`` (others are ignored)."""
    out: dict[str, np.ndarray] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        for r in store.conn.execute(f"SELECT article_id, encoder, vector FROM article_vectors "  # by primary key
                                    f"WHERE article_id IN ({','.join('?' * len(chunk))})", chunk):
            if r[1] == key:
                out[r[0]] = np.frombuffer(r[2], dtype=np.float32)
    return out


def lookup_inputs(store: Store, key: str) -> Callable[[list[str]], dict[str, np.ndarray]]:
    """Vectors by input key: an article whose model input another article already had is not encoded again."""

    def lookup(input_keys: list[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for i in range(0, len(input_keys), 500):
            chunk = input_keys[i:i + 500]
            for r in store.conn.execute(f"SELECT input_hash, vector FROM article_vectors WHERE encoder = ? "
                                        f"AND input_hash IN ({','.join('?' * len(chunk))})", [key, *chunk]):
                out[r[0]] = np.frombuffer(r[1], dtype=np.float32)
        return out

    return lookup


def save_vectors(store: Store, vectors: dict[str, np.ndarray], key: str, inputs: dict[str, str]) -> None:
    """Keep vectors for reuse (inside the caller's transaction); one row per article, the latest encoder wins."""
    store.conn.executemany(
        "INSERT OR REPLACE INTO article_vectors (article_id, encoder, input_hash, vector) VALUES (?,?,?,?)",
        [(i, key, inputs.get(i, ""), np.asarray(v, dtype=np.float32).tobytes()) for i, v in vectors.items()])


def canonicals(store: Store, ids: list[str]) -> dict[str, str]:
    """Copy → canonical article, for the ``ids`` that dedup linked to another article."""
    out: dict[str, str] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        out.update(store.conn.execute(f"SELECT article_id, canonical_id FROM dup_links "
                                      f"WHERE article_id IN ({','.join('?' * len(chunk))})", chunk).fetchall())
    return out


def featurize_stored(store: Store, featurizer: Featurizer, articles: list[Article]) -> list[ArticleFeatures]:
    """Features of ``articles``, encoding only those with no stored vector; a copy takes its canonical's.

    Reads only; the caller keeps ``featurizer.encoded_`` with :func:`keep_vectors` inside its transaction.
    """
    key = encoder_key(featurizer.encoder)
    ids = [a.id for a in articles]
    have = load_vectors(store, ids, key)
    canon = canonicals(store, [i for i in ids if i not in have])
    stored = load_vectors(store, sorted(set(canon.values())), key)
    have.update({c: stored[k] for c, k in canon.items() if k in stored})
    in_batch = set(ids)
    later = {c for c, k in canon.items() if c not in have and k in in_batch and k != c}
    lookup = lookup_inputs(store, key)
    feats = featurizer.featurize([a for a in articles if a.id not in later], have, lookup)
    encoded, inputs = dict(featurizer.encoded_), dict(featurizer.input_keys_)
    if later:  # copies of originals encoded just now
        have.update({c: encoded[canon[c]] for c in later if canon[c] in encoded})
        feats += featurizer.featurize([a for a in articles if a.id in later], have, lookup)
        encoded.update(featurizer.encoded_)
        inputs.update(featurizer.input_keys_)
    featurizer.encoded_, featurizer.input_keys_ = encoded, inputs
    by_id = {f.id: f for f in feats}
    return [by_id[i] for i in ids]


def keep_vectors(store: Store, featurizer: Featurizer) -> None:
    """Store the vectors the last :func:`featurize_stored` call encoded (inside the caller's transaction)."""
    if getattr(featurizer, "encoded_", None):
        save_vectors(store, featurizer.encoded_, encoder_key(featurizer.encoder), featurizer.input_keys_)


def encoder_key(encoder: Encoder) -> str:
    return str(getattr(encoder, "key", encoder.name))
