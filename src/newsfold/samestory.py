"""The same-story model: the probability that two sides report one real-world event.

A *side* is a :class:`Profile`: one article, or a story (the sums of its
articles' term weights and dense vectors, its event-date range, its size).
The same features and the same fitted logistic regression decide every
fold: an article against a story (online placement), two articles (the batch
fold's pairwise matrix) and two stories.

Features (:data:`FEATURES`), each in [0, 1] except ``log_size``:

- ``title``, ``lead``, ``body``: TF-IDF cosines of the headline, the first
  sentences and the whole text;
- ``names``: TF-IDF cosine over capitalised words that never occur in lower
  case in the same text (people, organisations, places);
- ``numbers``: TF-IDF cosine over tokens that start with a digit;
- ``dense``: the sentence encoder's cosine (0 when either side has none);
- ``dense_ctx``: the same cosine after each side's *context* is subtracted:
  the mean vector of the :data:`CONTEXT` nearest articles (online: of the
  nearest candidate stories' articles).  What two reports of one event share
  beyond their common theme (two earthquakes share "quake"; one earthquake's
  reports share its place and toll);
- ``dated``: 1 when both sides have an event date; ``near_3``, ``near_30``,
  ``near_365``: Gaussians of the gap between the two event-date ranges with
  widths of 3, 30 and 365 days (0 when undated);
- ``log_size``: log of the larger side's number of articles.

The coefficients (:data:`COEF`) are fitted by ``python bench/cluster_cv.py
--refit`` on the ECB+ developers' pairs and the SemEval-2022 task 8
development pairs and pasted here; nothing is trained at run time.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

FEATURES = ("title", "lead", "body", "names", "numbers", "dense", "dense_ctx", "dated", "near_3", "near_30",
            "near_365", "log_size")
CONTEXT = 40  # articles in the neighbourhood whose mean ``dense_ctx`` removes
WIDTHS = (3.0, 30.0, 365.0)

# fitted by `python bench/cluster_cv.py --semeval-weight 0.2 --refit` (the cuts do not change the fit)
COEF: tuple[float, ...] = (0.2050, -0.8067, -2.2048, 7.2696, 2.1248, 3.9367, 5.3208, -0.5636, -1.7012, 0.8814,
                          3.8277, -1.5812)
INTERCEPT: float = -5.7390
# average-linkage cut on the pairwise probability for the batch fold: `python bench/cluster_cv.py --grid` finds
# every cut from 0.3 to 0.5 within 0.002 of the best mean CV figure; the lowest keeps developing stories whole
BATCH_CUT: float = 0.3
# online: join the best story when its probability reaches this
ONLINE_CUT: float = 0.4

FIELDS = ("title", "lead", "body", "names", "numbers")
PROFILE_TERMS = {"title": 24, "lead": 48, "body": 64, "names": 32, "numbers": 16}


@dataclass
class Profile:
    """One side of a decision (see the module docstring); term weights are summed over articles."""

    title: dict[str, float] = field(default_factory=dict)
    lead: dict[str, float] = field(default_factory=dict)
    body: dict[str, float] = field(default_factory=dict)
    names: dict[str, float] = field(default_factory=dict)
    numbers: dict[str, float] = field(default_factory=dict)
    dense: np.ndarray | None = None
    first: dt.date | None = None
    last: dt.date | None = None
    size: int = 1

    def add(self, other: "Profile", cap: bool = True) -> None:
        """Fold ``other`` into this side (a story taking an article, or two stories merging)."""
        for name in FIELDS:
            mine = getattr(self, name)
            for t, w in getattr(other, name).items():
                mine[t] = mine.get(t, 0.0) + w
            if cap and len(mine) > PROFILE_TERMS[name]:
                keep = sorted(mine.items(), key=lambda x: -x[1])[:PROFILE_TERMS[name]]
                setattr(self, name, dict(keep))
        if other.dense is not None:
            self.dense = other.dense.astype(np.float32).copy() if self.dense is None else self.dense + other.dense
        for d in (other.first, other.last):
            if d is not None:
                self.first = d if self.first is None or d < self.first else self.first
                self.last = d if self.last is None or d > self.last else self.last
        self.size += other.size

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {n: {t: round(w, 4) for t, w in getattr(self, n).items()} for n in FIELDS}
        out.update(first=self.first.isoformat() if self.first else None,
                   last=self.last.isoformat() if self.last else None, size=self.size)
        return out

    @classmethod
    def from_json(cls, d: dict, dense: np.ndarray | None) -> "Profile":  # type: ignore[type-arg]
        def day(v: object) -> dt.date | None:
            return dt.date.fromisoformat(str(v)) if v else None

        return cls(**{n: dict(d.get(n) or {}) for n in FIELDS}, dense=dense, first=day(d.get("first")),
                   last=day(d.get("last")), size=int(d.get("size") or 1))


def _is_name(t: str, terms: dict[str, float]) -> bool:
    return t[:1].isupper() and t.lower() not in terms and not t[:1].isdigit()


def article_profile(terms: dict[str, float], title: dict[str, float], lead: dict[str, float],
                    dense: np.ndarray | None, date: dt.date | None) -> Profile:
    """One article's side from its term weights (title+body), title and lead terms, vector and event date."""
    names = {t: w for t, w in terms.items() if _is_name(t, terms)}
    numbers = {t: w for t, w in terms.items() if t[:1].isdigit()}
    return Profile(title=title, lead=lead, body=dict(terms), names=names, numbers=numbers, dense=dense,
                   first=date, last=date, size=1)


# ------------------------------------------------------------- features
IdfFn = Callable[[str], float]


def _field_matrix(dicts: Sequence[dict[str, float]], vocab: dict[str, int], idf: IdfFn) -> sp.csr_matrix:
    rows, cols, vals = [], [], []
    for i, d in enumerate(dicts):
        for t, w in d.items():
            j = vocab.get(t)
            if j is None:
                j = vocab[t] = len(vocab)
            rows.append(i)
            cols.append(j)
            vals.append(w * idf(t))
    m = sp.csr_matrix((vals, (rows, cols)), shape=(len(dicts), max(len(vocab), 1)), dtype=np.float64)
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ m)


def _dense(ps: Sequence[Profile], dim: int) -> np.ndarray:
    out = np.zeros((len(ps), dim))
    for i, p in enumerate(ps):
        if p.dense is not None and len(p.dense) == dim:
            n = float(np.linalg.norm(p.dense))
            if n:
                out[i] = p.dense / n
    return out


def context_means(vectors: np.ndarray, k: int = CONTEXT) -> np.ndarray:
    """Each row's context: the mean of its ``k`` nearest other rows (unit vectors, by cosine)."""
    n = len(vectors)
    if n < 2:
        return np.zeros_like(vectors)
    m = min(k, n - 1)
    s = vectors @ vectors.T
    np.fill_diagonal(s, -np.inf)
    nb = np.argpartition(-s, m - 1, axis=1)[:, :m]
    return vectors[nb].mean(axis=1)


def story_context(vec: np.ndarray, sums: np.ndarray, sizes: np.ndarray, k: int = CONTEXT) -> np.ndarray:
    """Online contexts, one per story: for the article compared with story ``s``, the mean article of the
    stories nearest the article (by centroid cosine) until ``k`` articles are counted, ``s`` left out (as
    the batch fold's context leaves the article itself out); zeros when nothing is left.  Both sides of the
    comparison take it.  ``sums`` holds each story's summed unit vectors."""
    if len(sums) == 0:
        return np.zeros_like(sums)
    norms = np.linalg.norm(sums, axis=1)
    order = np.argsort(-(sums @ vec) / np.maximum(norms, 1e-9))
    take = order[: int(np.searchsorted(np.cumsum(sizes[order]), k)) + 1]
    total, count = sums[take].sum(axis=0), float(sizes[take].sum())
    inside = np.zeros(len(sums), dtype=bool)
    inside[take] = True
    rest = count - np.where(inside, sizes, 0.0)
    each = (total[None, :] - np.where(inside[:, None], sums, 0.0)) / np.maximum(rest, 1.0)[:, None]
    each[rest <= 0] = 0.0
    return each


def _unit_rows(x: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(x, axis=1, keepdims=True)
    n[n == 0] = 1.0
    return x / n


def feature_matrices(a: Sequence[Profile], b: Sequence[Profile], idf: IdfFn, ctx_a: np.ndarray | None = None,
                     ctx_b: np.ndarray | None = None) -> list[np.ndarray]:
    """One ``len(a) × len(b)`` matrix per feature in :data:`FEATURES` order.

    ``ctx_a``/``ctx_b``: each side's context mean vector (see ``dense_ctx``); ``None``: no context.  With one
    article in ``a``, both may instead hold one row per member of ``b`` (a context per comparison).
    """
    out = []
    for name in FIELDS:
        vocab: dict[str, int] = {}
        ma = _field_matrix([getattr(p, name) for p in a], vocab, idf)
        mb = _field_matrix([getattr(p, name) for p in b], vocab, idf)
        ma.resize((ma.shape[0], len(vocab) or 1))
        mb.resize((mb.shape[0], len(vocab) or 1))
        out.append(np.asarray((ma @ mb.T).todense()))
    dim = next((len(p.dense) for p in list(a) + list(b) if p.dense is not None), 0)
    if dim:
        da, db = _dense(a, dim), _dense(b, dim)
        out.append(np.clip(da @ db.T, 0.0, 1.0))
        ca = _unit_rows(da - ctx_a if ctx_a is not None else da)
        cb = _unit_rows(db - ctx_b if ctx_b is not None else db)
        if len(a) == 1 and len(ca) == len(b) > 1:  # one article, a context per comparison
            out.append(np.clip((ca * cb).sum(axis=1), 0.0, 1.0)[None, :])
        else:
            out.append(np.clip(ca @ cb.T, 0.0, 1.0))
    else:
        out += [np.zeros((len(a), len(b))), np.zeros((len(a), len(b)))]
    lo_a = np.array([p.first.toordinal() if p.first else np.nan for p in a], dtype=float)
    hi_a = np.array([p.last.toordinal() if p.last else np.nan for p in a], dtype=float)
    lo_b = np.array([p.first.toordinal() if p.first else np.nan for p in b], dtype=float)
    hi_b = np.array([p.last.toordinal() if p.last else np.nan for p in b], dtype=float)
    gap = np.maximum(np.maximum(lo_a[:, None] - hi_b[None, :], lo_b[None, :] - hi_a[:, None]), 0.0)
    dated = ~np.isnan(gap)
    g = np.where(dated, gap, 0.0)
    out.append(dated.astype(float))
    for w in WIDTHS:
        out.append(np.where(dated, np.exp(-0.5 * (g / w) ** 2), 0.0))
    sa = np.array([p.size for p in a], dtype=float)
    sb = np.array([p.size for p in b], dtype=float)
    out.append(np.log(np.maximum(sa[:, None], sb[None, :])))
    return out


def day_gap(a: Profile, b: Profile) -> int | None:
    """Days between two sides' event-date ranges (0 when they overlap; None when either is undated)."""
    if a.first is None or b.first is None or a.last is None or b.last is None:
        return None
    return max(0, (a.first - b.last).days, (b.first - a.last).days)


# ---------------------------------------------------------------- model
@dataclass(frozen=True)
class SameStoryModel:
    """A logistic regression on :data:`FEATURES` (defaults: the shipped coefficients)."""

    coef: tuple[float, ...] = COEF
    intercept: float = INTERCEPT

    def logit(self, mats: list[np.ndarray]) -> np.ndarray:
        z = np.full(mats[0].shape, self.intercept)
        for w, m in zip(self.coef, mats):
            z += w * m
        return z

    def prob(self, mats: list[np.ndarray]) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-np.clip(self.logit(mats), -50, 50)))

    def reasons(self, x: Sequence[float], gap: int | None, top: int = 3) -> str:
        """The strongest evidence behind one decision, in words ("same names, similar text, 1 day apart")."""
        words = {"title": "similar headlines", "lead": "similar leads", "body": "similar text",
                 "names": "same names", "numbers": "same numbers", "dense": "close in meaning",
                 "dense_ctx": "close beyond their theme"}
        parts = []
        contrib = [(self.coef[k] * x[k], FEATURES[k]) for k in range(len(words))]
        for c, name in sorted(contrib, reverse=True)[:top]:
            if c > 0.25:
                parts.append(f"{words[name]} {x[FEATURES.index(name)]:.2f}")
        weak = [words[n].split()[-1] for c, n in contrib if n in ("names", "numbers") and x[FEATURES.index(n)] < 0.05]
        if weak:
            parts.append("no shared " + " or ".join(weak))
        if gap is not None:
            parts.append("same day" if gap == 0 else f"{gap} day{'s' if gap != 1 else ''} apart")
        else:
            parts.append("no event date on one side")
        return ", ".join(parts)


def idf_from(df: dict[str, int] | Callable[[str], int], n_docs: int) -> IdfFn:
    """IDF ``log((n + 1) / (df + 1)) + 1`` from document frequencies (a mapping or a lookup)."""
    get = df.get if isinstance(df, dict) else df
    n1 = n_docs + 1

    def idf(t: str) -> float:
        return math.log(n1 / ((get(t, 0) or 0) + 1)) + 1.0  # type: ignore[call-arg]

    return idf
