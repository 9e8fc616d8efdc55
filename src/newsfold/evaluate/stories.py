"""Scores of the story fold on labelled files: B-cubed on an events file, pairs right on a same-story pairs file."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import asdict
from typing import Any

from ..models import Article
from .labelled import read_jsonl
from ..stories.cluster_batch import BatchClusterer
from ..stories.cluster_online import OnlineClusterer
from ..stories.represent import ArticleFeatures, Encoder, Featurizer, make_encoder
from ..stories.represent import DEFAULT_ENCODER

log = logging.getLogger(__name__)


def _fold_labels(feats: list[ArticleFeatures], enc: Encoder, mode: str,
                 clusterer: BatchClusterer | OnlineClusterer | None) -> list[int]:
    """One story number per article: the batch fold (``mode="batch"``) or online placement in order."""
    if mode == "online":
        oc = clusterer if isinstance(clusterer, OnlineClusterer) else OnlineClusterer.for_encoder(enc.name)
        return [oc.place(f).story for f in feats]
    bc = clusterer if isinstance(clusterer, BatchClusterer) else BatchClusterer.for_encoder(enc.name)
    return [int(x) for x in bc.fit_predict(feats)]


def labelled_articles(rows: list[dict[str, Any]], prefix: str = "row") -> list[Article]:
    """The rows as ``add`` stores them: read as records, cleaned, and stripped of the lines an outlet
    repeats across its articles (an in-memory store, the same :class:`~newsfold.ingest.Ingester`).

    Only ``text``/``html``, ``title``, ``url``, ``published`` and ``outlet``
    reach the article.  A row ``add`` would reject (nothing left after
    cleaning) keeps its title and no text, so every row is scored.
    """
    from ..ingest import Ingester
    from ..read.records import record_to_raw
    from ..store.db import Store

    store = Store(":memory:")
    try:
        docs = []
        for n, r in enumerate(rows):
            fields = {k: r[k] for k in ("text", "html", "title", "url", "published", "outlet") if k in r}
            fields["id"] = f"{prefix}{n}"
            docs.append(record_to_raw(fields, f"{prefix}{n}"))
        Ingester(store).ingest_documents(docs)
        stored = {a.id: a for a in store.get_articles([f"{prefix}{n}" for n in range(len(rows))])}
    finally:
        store.close()
    out = []
    for n, r in enumerate(rows):
        a = stored.get(f"{prefix}{n}") or Article(id=f"{prefix}{n}", text="", title=r.get("title"), url=r.get("url"),
                                                   published=r.get("published"), outlet=r.get("outlet"))
        out.append(a)
    return out


def evaluate_clustering(path: str, encoder: str | Encoder = DEFAULT_ENCODER, mode: str = "batch",
                        clusterer: BatchClusterer | OnlineClusterer | None = None) -> dict[str, Any]:
    """Fold the rows of a labelled JSONL file from scratch and score the stories against ``event``.

    Only ``text`` (and ``title``, ``url``, ``published``, ``outlet`` when
    present), cleaned as ``add`` cleans them, reach the clusterer; ``event``
    is read after clustering, for scoring.  Articles are fed in file order
    (``mode="online"``).
    """
    import time

    from ..evaluate.metrics import clustering_scores

    rows = read_jsonl(path, lambda r: None if "text" in r and "event" in r else "has no `text` or no `event`")
    articles = labelled_articles(rows)
    enc = make_encoder(encoder) if isinstance(encoder, str) else encoder
    t0 = time.perf_counter()
    feats = Featurizer(enc).featurize(articles)
    t1 = time.perf_counter()
    labels = _fold_labels(feats, enc, mode, clusterer)
    t2 = time.perf_counter()
    gold = [str(r["event"]) for r in rows]
    scores = clustering_scores(gold, labels)
    return {"file": path, "mode": mode, "encoder": getattr(enc, "name", type(enc).__name__),
            "articles": len(rows), "events": len(set(gold)), "stories": len(set(labels)),
            "scores": asdict(scores), "represent_s": t1 - t0, "cluster_s": t2 - t1,
            "articles_per_s": len(rows) / max(t2 - t0, 1e-9), "labels": labels}


def _pair_problem(row: dict[str, Any]) -> str | None:
    missing = [k for k in ("text1", "text2", "same_story") if k not in row]
    if missing:
        return "has no " + " or ".join(f"`{k}`" for k in missing)
    if row["same_story"] not in (True, False, None):
        return f"has `same_story` {row['same_story']!r} (must be true, false or null)"
    if not all(isinstance(row[k], str) and row[k].strip() for k in ("text1", "text2")):
        return "has an empty or non-text `text1`/`text2`"
    return None


def evaluate_pairs(path: str, encoder: str | Encoder = DEFAULT_ENCODER, mode: str = "batch",
                   clusterer: BatchClusterer | OnlineClusterer | None = None) -> dict[str, Any]:
    """Fold every text of a pairs file together and count the pairs that land as people judged.

    Each line: ``{"text1": ..., "text2": ..., "same_story": true|false|null}`` (``title1``/``title2``,
    ``published1``/``published2`` when present); pairs with ``same_story`` null are not scored.  A pair is
    right when its two texts land in one story exactly when people say same story.  Identical texts
    are folded once; texts are fed in file order (``mode="online"``).
    """
    rows = read_jsonl(path, _pair_problem)
    pairs = [r for r in rows if r["same_story"] is not None]
    if not pairs:
        raise ValueError(f"{path} has no pair with a true or false `same_story`")
    index: dict[tuple[str, Any, Any], int] = {}
    for p in rows:
        for k in ("1", "2"):
            index.setdefault((p[f"text{k}"], p.get(f"title{k}"), p.get(f"published{k}")), len(index))
    articles = [Article(id=f"t{i}", text=t, title=title, published=pub) for (t, title, pub), i in index.items()]
    enc = make_encoder(encoder) if isinstance(encoder, str) else encoder
    labels = _fold_labels(Featurizer(enc).featurize(articles), enc, mode, clusterer)
    counts: Counter[tuple[bool, bool]] = Counter()
    for p in pairs:
        a, b = (index[(p[f"text{k}"], p.get(f"title{k}"), p.get(f"published{k}"))] for k in ("1", "2"))
        counts[(bool(p["same_story"]), labels[a] == labels[b])] += 1
    right = counts[(True, True)] + counts[(False, False)]
    return {"file": path, "mode": mode, "encoder": getattr(enc, "name", type(enc).__name__),
            "pairs": len(pairs), "texts": len(articles), "stories": len(set(labels)),
            "right": right / len(pairs), "pairs_right": right,
            "same_pairs": counts[(True, True)] + counts[(True, False)], "same_split": counts[(True, False)],
            "different_pairs": counts[(False, True)] + counts[(False, False)],
            "different_fused": counts[(False, True)]}
