"""Clustering quality: B-cubed, pairwise and adjusted Rand scores.

``clustering_scores(gold, pred)`` compares a predicted clustering with the
true one.  Labels are any hashable values; only which items share a label
matters, never the label itself.

* B-cubed (Bagga & Baldwin, 1998): for every item, precision is the share of
  its predicted cluster that belongs to its true class, recall the share of
  its true class that landed in its predicted cluster; both are averaged over
  items and F1 is their harmonic mean.
* Pairwise: precision and recall over the pairs of items put together.  With
  no predicted pair (all singletons) precision is 1.0 (nothing wrong was
  claimed); with no true pair recall is 1.0.
* ARI: scikit-learn's adjusted Rand index (1.0 perfect, about 0 for chance).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import asdict, dataclass

from sklearn.metrics import adjusted_rand_score

logger = logging.getLogger(__name__)

__all__ = ["ClusteringScores", "clustering_scores"]


@dataclass(frozen=True)
class ClusteringScores:
    """How well a predicted clustering matches the true classes."""

    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float
    pairwise_precision: float
    pairwise_recall: float
    pairwise_f1: float
    ari: float
    n_items: int
    n_clusters: int
    n_classes: int

    def to_dict(self) -> dict[str, float | int]:
        """The scores as a plain dict (for ``--json`` output)."""
        return asdict(self)


def _f1(precision: float, recall: float) -> float:
    total = precision + recall
    return 0.0 if total == 0 else 2 * precision * recall / total


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def _codes(labels: Sequence[Hashable]) -> list[int]:
    """Map arbitrary hashable labels to small ints (sklearn wants one type)."""
    index: dict[Hashable, int] = {}
    return [index.setdefault(label, len(index)) for label in labels]


def clustering_scores(gold: Sequence[Hashable], pred: Sequence[Hashable]) -> ClusteringScores:
    """Score ``pred`` (predicted cluster per item) against ``gold`` (true class per item).

    Raises ``ValueError`` if the sequences differ in length or are empty.
    """
    if len(gold) != len(pred):
        raise ValueError(
            f"gold has {len(gold)} labels but pred has {len(pred)}: "
            "both must give one label per item, in the same order"
        )
    n = len(gold)
    if n == 0:
        raise ValueError("cannot score an empty clustering: give at least one item")

    gold_codes = _codes(gold)
    pred_codes = _codes(pred)
    cells = Counter(zip(gold_codes, pred_codes))
    class_size = Counter(gold_codes)
    cluster_size = Counter(pred_codes)

    # B-cubed: every item in cell (g, p) has precision n_gp/|p| and recall n_gp/|g|.
    b_precision = sum(c * c / cluster_size[p] for (_, p), c in cells.items()) / n
    b_recall = sum(c * c / class_size[g] for (g, _), c in cells.items()) / n

    together = sum(_pairs(c) for c in cells.values())
    pred_pairs = sum(_pairs(c) for c in cluster_size.values())
    gold_pairs = sum(_pairs(c) for c in class_size.values())
    p_precision = together / pred_pairs if pred_pairs else 1.0
    p_recall = together / gold_pairs if gold_pairs else 1.0

    return ClusteringScores(
        bcubed_precision=b_precision,
        bcubed_recall=b_recall,
        bcubed_f1=_f1(b_precision, b_recall),
        pairwise_precision=p_precision,
        pairwise_recall=p_recall,
        pairwise_f1=_f1(p_precision, p_recall),
        ari=float(adjusted_rand_score(gold_codes, pred_codes)),
        n_items=n,
        n_clusters=len(cluster_size),
        n_classes=len(class_size),
    )
