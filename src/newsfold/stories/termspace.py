"""The term space the same-story decision reads: unit TF-IDF vectors and candidate pairs through rare terms.

:class:`TermSpace` turns :class:`~newsfold.stories.represent.ArticleFeatures`
into sparse unit vectors (sublinear tf × IDF of the corpus being folded,
names and numbers boosted).  :func:`candidate_pairs` finds, for every
article, the articles worth a decision: those that share its rarest
distinctive terms (an inverted index, as a sparse product in row chunks),
ranked by what those terms contribute.  No article × article matrix over
the whole input is ever built.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .represent import ArticleFeatures, is_evidence


@dataclass
class TermSpace:
    """Unit TF-IDF rows for a list of articles (``matrix``), with the vocabulary and its IDF."""

    vocab: dict[str, int]
    names: list[str]
    idf: np.ndarray
    df: np.ndarray
    evidence: np.ndarray
    matrix: sp.csr_matrix

    @classmethod
    def fit(cls, feats: list[ArticleFeatures], evidence_boost: float = 1.0) -> "TermSpace":
        vocab: dict[str, int] = {}
        indptr = [0]
        cols: list[int] = []
        vals: list[float] = []
        for f in feats:
            for t, w in f.terms.items():
                cols.append(vocab.setdefault(t, len(vocab)))
                vals.append(w)
            indptr.append(len(cols))
        n = len(feats)
        m = sp.csr_matrix((np.array(vals, dtype=np.float64), np.array(cols, dtype=np.int64), np.array(indptr)),
                          shape=(n, len(vocab)))
        names = list(vocab)
        df = np.bincount(m.indices, minlength=len(vocab)).astype(np.float64)
        idf = np.log((n + 1) / (df + 1)) + 1.0
        ev = np.fromiter((is_evidence(t) for t in names), dtype=bool, count=len(names))
        m = m @ sp.diags(idf * (1.0 + evidence_boost * ev))
        norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        m = (sp.diags(1.0 / norms) @ m).tocsr()
        return cls(vocab=vocab, names=names, idf=idf, df=df, evidence=ev, matrix=m)

    def row(self, i: int) -> dict[int, float]:
        """Article ``i``'s unit vector as ``term id → weight``."""
        a, b = self.matrix.indptr[i], self.matrix.indptr[i + 1]
        return dict(zip(self.matrix.indices[a:b].tolist(), self.matrix.data[a:b].tolist()))


def key_matrix(space: TermSpace, key_terms: int, max_df: int) -> sp.csr_matrix:
    """Each row keeps only its ``key_terms`` rarest terms found in 2..``max_df`` articles (names first)."""
    m = space.matrix
    rows, cols, vals = [], [], []
    df = space.df
    for i in range(m.shape[0]):
        a, b = m.indptr[i], m.indptr[i + 1]
        idx = m.indices[a:b]
        ok = (df[idx] >= 2) & (df[idx] <= max_df)
        if not ok.any():
            continue
        cand = idx[ok]
        w = m.data[a:b][ok]
        # names and numbers before other words, then the rarest
        order = np.lexsort((df[cand], ~space.evidence[cand]))[:key_terms]
        rows.extend([i] * len(order))
        cols.extend(cand[order].tolist())
        vals.extend(w[order].tolist())
    return sp.csr_matrix((vals, (rows, cols)), shape=m.shape)


def candidate_pairs(space: TermSpace, k: int = 30, key_terms: int = 64, max_df: int | None = None,
                    budget: int = 20_000_000) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``(i, j)``, ``i < j``: each article's ``k`` best partners among those sharing a key term.

    Key terms are found in at most ``max_df`` articles (2% of the input, between
    50 and 500); rows are taken in chunks whose product holds about ``budget``
    entries, so memory stays flat however large the input.
    """
    n = space.matrix.shape[0]
    if n < 2:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    max_df = max_df if max_df is not None else min(500, max(50, int(0.02 * n)))
    keys = key_matrix(space, key_terms, max_df)
    keys_t = keys.T.tocsr()
    # what each row's product costs: the articles its key terms lead to
    cost = np.asarray((keys > 0).astype(np.float64) @ space.df.reshape(-1, 1)).ravel() if keys.nnz else np.zeros(n)
    out_i: list[np.ndarray] = []
    out_j: list[np.ndarray] = []
    start = 0
    while start < n:
        stop = start + 1 + int(np.searchsorted(np.cumsum(cost[start + 1:]), budget))
        stop = min(n, max(stop, start + 1))
        part = (keys[start:stop] @ keys_t).tocsr()
        for r in range(part.shape[0]):
            a, b = part.indptr[r], part.indptr[r + 1]
            if b == a:
                continue
            cols, vals = part.indices[a:b], part.data[a:b]
            i = start + r
            keep = cols != i
            cols, vals = cols[keep], vals[keep]
            if len(cols) > k:
                top = np.argpartition(-vals, k - 1)[:k]
                cols = cols[top]
            out_i.append(np.full(len(cols), i, dtype=np.int64))
            out_j.append(cols.astype(np.int64))
        start = stop
    if not out_i:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    ii, jj = np.concatenate(out_i), np.concatenate(out_j)
    lo, hi = np.minimum(ii, jj), np.maximum(ii, jj)
    pairs = np.unique(lo * n + hi)
    return pairs // n, pairs % n
