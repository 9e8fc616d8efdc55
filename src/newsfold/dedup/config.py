"""Dedup settings and its rules: :class:`DedupConfig`, what counts as a copy (:func:`classify`), which member
of a group is its canonical (:func:`canonical_key`) and whose passages are recorded (:func:`pick_sources`).

The local stage (:mod:`.stage`) and a batch engine's partitions (:mod:`.partitions`) both call these.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .fingerprint import DEFAULT_NUM_PERM, DEFAULT_SEED, DEFAULT_SHINGLE_SIZE
from .lsh import LSHParams, candidate_jaccard, check_threshold
from ..models import DupKind

DEFAULT_THRESHOLD = 0.8
DEFAULT_CONTAINMENT = 0.8
DEFAULT_MIN_RATIO = 0.5


@dataclass
class DedupConfig:
    """What counts as a copy, and how fingerprints are made.

    ``threshold``: Jaccard for ``near-duplicate``; ``containment``: share of
    the smaller article's shingles found in the larger for ``reprint``;
    ``min_ratio``: the smallest size ratio (smaller / larger) at which a
    reprint is still found with probability ≥ 0.995 (sets the LSH banding);
    ``passage_containment``: candidate pairs with at least this share of the
    smaller article inside the other get their re-used sentences recorded
    (0.3: a substantial share re-used; two reports that share a few quotes
    do not get passages here — callers such as the summaries use
    :func:`newsfold.dedup.passages.find_passages` on any pair they like).
    """

    threshold: float = DEFAULT_THRESHOLD
    containment: float = DEFAULT_CONTAINMENT
    min_ratio: float = DEFAULT_MIN_RATIO
    shingle_size: int = DEFAULT_SHINGLE_SIZE
    num_perm: int = DEFAULT_NUM_PERM
    seed: int = DEFAULT_SEED
    passage_containment: float = 0.3
    max_passage_sources: int = 3
    batch_size: int = 2000

    def __post_init__(self) -> None:
        self.threshold = check_threshold("threshold", self.threshold)
        self.containment = check_threshold("containment", self.containment)
        self.min_ratio = check_threshold("min_ratio", self.min_ratio)
        self.passage_containment = check_threshold("passage_containment", self.passage_containment)
        if int(self.shingle_size) < 1:
            raise ValueError(f"shingle_size must be at least 1, got {self.shingle_size}")
        if int(self.batch_size) < 1:
            raise ValueError(f"batch_size must be at least 1, got {self.batch_size}")

    def lsh_params(self) -> LSHParams:
        return LSHParams.for_threshold(candidate_jaccard(self.threshold, self.containment, self.min_ratio),
                                       self.num_perm)


@dataclass(slots=True)
class Relation:
    """How two articles relate, measured on their exact shingle sets."""

    kind: DupKind | None
    similarity: float
    jaccard: float
    containment: float


def classify(jac: float, cont: float, same_content: bool, config: DedupConfig) -> Relation:
    """The relation for a pair, or ``kind=None`` when it is not a copy."""
    if same_content:
        return Relation("exact", 1.0, 1.0, 1.0)
    if jac >= config.threshold:
        return Relation("near-duplicate", round(jac, 4), jac, cont)
    if cont >= config.containment:
        return Relation("reprint", round(cont, 4), jac, cont)
    return Relation(None, round(max(jac, cont), 4), jac, cont)


def canonical_key(published: str | None, n_shingles: int, key: int) -> tuple[int, str, int, int]:
    """The canonical of a group is the member with the smallest key: the earliest published, else the one
    with most shingles, else the first stored."""
    return (0 if published else 1, published or "", -int(n_shingles), int(key))


def pick_sources(found: Iterable[tuple[int, float]], n: int) -> list[int]:
    """The older keys whose passages are recorded, of ``(older key, containment)`` matches: the ``n`` most
    contained (ties: the older key first)."""
    return [k for k, _ in sorted(found, key=lambda m: (-m[1], m[0]))[:n]]
