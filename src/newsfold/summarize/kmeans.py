"""k-means of a story's sentences (the diversity term's parts, :mod:`.select`), in numpy.

It computes what scikit-learn's ``KMeans(init="random", n_init=1,
random_state=seed, max_iter=...)`` computes on a sparse matrix, in the same
order of operations (Lloyd's iterations, empty parts moved to the points
farthest from their centres, convergence when no label changes or the
centres move less than ``tol`` times the mean feature variance), so the
parts are the same; importing ``sklearn.cluster`` cost more (over a second
per process with scikit-learn itself) than the briefings' k-means.
``tests/summarize/test_kmeans.py`` compares the two on ECB+ stories.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse


def kmeans_labels(X: sparse.csr_matrix | np.ndarray, k: int, *, seed: int = 0, max_iter: int = 300,
                  tol: float = 1e-4) -> np.ndarray:
    """The part (0..k-1) of each row of ``X``: Lloyd's k-means from ``k`` distinct rows drawn at random."""
    X = sparse.csr_matrix(X, dtype=np.float64)
    n = X.shape[0]
    rng = np.random.RandomState(seed)
    seeds = rng.choice(n, size=k, replace=False, p=np.full(n, 1.0) / float(n))
    centers = X[seeds].toarray()
    threshold = _tolerance(X, tol)
    labels_old = np.full(n, -1, dtype=np.int64)
    labels = labels_old
    strict = False
    for _ in range(max_iter):
        labels = _nearest(X, centers)
        new = _new_centers(X, labels, centers, k)
        shift = np.sqrt(((new - centers) ** 2).sum(axis=1))
        centers = new
        if np.array_equal(labels, labels_old):
            strict = True
            break
        if float((shift ** 2).sum()) <= threshold:
            break
        labels_old = labels
    if not strict:
        labels = _nearest(X, centers)
    return labels


def _nearest(X: sparse.csr_matrix, centers: np.ndarray) -> np.ndarray:
    """Each row's closest centre (the first of equals), by |c|² - 2 x·c as scikit-learn ranks them."""
    sq = np.einsum("ij,ij->i", centers, centers)
    return np.argmin(sq[None, :] - 2 * np.asarray(X @ centers.T), axis=1)


def _new_centers(X: sparse.csr_matrix, labels: np.ndarray, old: np.ndarray, k: int) -> np.ndarray:
    """The mean of each part's rows; an empty part takes the row farthest from its own centre."""
    n = X.shape[0]
    member = sparse.csr_matrix((np.ones(n), (labels, np.arange(n))), shape=(k, n))
    sums = np.asarray((member @ X).toarray())
    weight = np.bincount(labels, minlength=k).astype(np.float64)
    empty = np.flatnonzero(weight == 0)
    if empty.size:
        dist = _distances_to(X, old, labels)
        if dist.max() != 0:
            far = np.argpartition(dist, -empty.size)[:-empty.size - 1:-1]
            for new_id, idx in zip(empty, far):
                row = slice(X.indptr[idx], X.indptr[idx + 1])
                cols, vals = X.indices[row], X.data[row]
                sums[labels[idx], cols] -= vals
                sums[new_id, cols] = vals
                weight[new_id] = 1.0
                weight[labels[idx]] -= 1.0
    full = weight > 0
    sums[full] *= (1.0 / weight[full])[:, None]
    if not full.all():
        sums[~full] = sums[int(np.argmax(weight))]
    return sums


def _distances_to(X: sparse.csr_matrix, centers: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Squared distance of each row to its centre, summed term by term in the row's order (as scikit-learn does)."""
    n = X.shape[0]
    sq = np.einsum("ij,ij->i", centers, centers)
    nnz = np.diff(X.indptr)
    width = int(nnz.max()) if n else 0
    terms = np.zeros((n, max(width, 1)))
    rows = np.repeat(np.arange(n), nnz)
    pos = np.arange(X.nnz) - np.repeat(X.indptr[:-1], nnz)
    b = centers[labels[rows], X.indices]
    t = X.data - b
    terms[rows, pos] = t * t - b * b
    out = np.cumsum(terms, axis=1)[:, -1] + sq[labels]
    return np.maximum(out, 0.0)


def _tolerance(X: sparse.csr_matrix, tol: float) -> float:
    """``tol`` times the mean variance of the columns."""
    n = X.shape[0]
    mean = np.asarray(X.sum(axis=0)).ravel() / n
    sq = np.asarray(X.multiply(X).sum(axis=0)).ravel() / n
    return float(np.mean(sq - mean ** 2) * tol)
