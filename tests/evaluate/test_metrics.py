"""Clustering metrics on tiny hand-checked cases (the only synthetic labels in the suite)."""

from __future__ import annotations

import json
import random

import pytest

from newsfold.evaluate.metrics import ClusteringScores, clustering_scores
from nfpaths import ECBPLUS


def test_perfect_clustering_scores_one_everywhere_and_ignores_label_names() -> None:
    gold = ["quake", "quake", "rehab", "rehab", "rehab", "fire"]
    pred = [7, 7, 3, 3, 3, 0]
    s = clustering_scores(gold, pred)
    assert s.bcubed_precision == s.bcubed_recall == s.bcubed_f1 == 1.0
    assert s.pairwise_precision == s.pairwise_recall == s.pairwise_f1 == 1.0
    assert s.ari == pytest.approx(1.0)
    assert (s.n_items, s.n_clusters, s.n_classes) == (6, 3, 3)


def test_all_in_one_cluster_has_full_recall_and_poor_precision() -> None:
    gold = ["a", "a", "b", "b"]
    s = clustering_scores(gold, [1, 1, 1, 1])
    # every item's cluster holds 4 items, 2 of its own class
    assert s.bcubed_precision == pytest.approx(0.5)
    assert s.bcubed_recall == pytest.approx(1.0)
    assert s.bcubed_f1 == pytest.approx(2 / 3)
    # 6 predicted pairs, 2 of them true
    assert s.pairwise_precision == pytest.approx(1 / 3)
    assert s.pairwise_recall == pytest.approx(1.0)
    assert s.pairwise_f1 == pytest.approx(0.5)
    assert s.ari == pytest.approx(0.0)
    assert (s.n_clusters, s.n_classes) == (1, 2)


def test_all_singletons_have_full_precision_and_poor_recall() -> None:
    gold = ["a", "a", "b", "b"]
    s = clustering_scores(gold, [0, 1, 2, 3])
    assert s.bcubed_precision == pytest.approx(1.0)
    assert s.bcubed_recall == pytest.approx(0.5)
    assert s.bcubed_f1 == pytest.approx(2 / 3)
    # no predicted pair: nothing wrong was claimed, nothing true was found
    assert s.pairwise_precision == 1.0
    assert s.pairwise_recall == 0.0
    assert s.pairwise_f1 == 0.0
    assert s.ari == pytest.approx(0.0)
    assert s.n_clusters == 4


def test_mixed_case_matches_hand_computation() -> None:
    # gold:  a a a | b b      pred: {0,1} {2,3,4}
    gold = ["a", "a", "a", "b", "b"]
    pred = ["x", "x", "y", "y", "y"]
    s = clustering_scores(gold, pred)
    # B-cubed precision per item: 1, 1, 1/3, 2/3, 2/3  -> 11/15
    # B-cubed recall per item:    2/3, 2/3, 1/3, 1, 1  -> 11/15
    assert s.bcubed_precision == pytest.approx(11 / 15)
    assert s.bcubed_recall == pytest.approx(11 / 15)
    assert s.bcubed_f1 == pytest.approx(11 / 15)
    # pairs together: (0,1) true, (2,3) (2,4) false, (3,4) true -> 2/4; true pairs 4, found 2
    assert s.pairwise_precision == pytest.approx(0.5)
    assert s.pairwise_recall == pytest.approx(0.5)
    assert s.pairwise_f1 == pytest.approx(0.5)
    # ARI: index 2, expected 4*4/10 = 1.6, max 4 -> 0.4/2.4
    assert s.ari == pytest.approx(1 / 6)


def test_asymmetric_case_precision_and_recall_swap_when_roles_swap() -> None:
    gold = ["a", "a", "a", "a", "b"]
    pred = [1, 1, 2, 2, 2]
    forward = clustering_scores(gold, pred)
    backward = clustering_scores(pred, gold)
    # B-cubed precision per item: 1, 1, 2/3, 2/3, 1/3 -> 11/15
    # B-cubed recall per item:    1/2, 1/2, 1/2, 1/2, 1 -> 3/5
    assert forward.bcubed_precision == pytest.approx(11 / 15)
    assert forward.bcubed_recall == pytest.approx(3 / 5)
    assert forward.bcubed_f1 == pytest.approx(2 * (11 / 15) * (3 / 5) / (11 / 15 + 3 / 5))
    assert backward.bcubed_precision == pytest.approx(forward.bcubed_recall)
    assert backward.bcubed_recall == pytest.approx(forward.bcubed_precision)
    assert backward.pairwise_precision == pytest.approx(forward.pairwise_recall)
    assert backward.ari == pytest.approx(forward.ari)


def test_splitting_a_class_costs_recall_not_precision() -> None:
    gold = ["a"] * 4 + ["b"] * 4
    whole = clustering_scores(gold, [0] * 4 + [1] * 4)
    split = clustering_scores(gold, [0, 0, 2, 2] + [1] * 4)
    assert split.bcubed_precision == pytest.approx(1.0)
    assert split.bcubed_recall < whole.bcubed_recall
    assert split.bcubed_f1 < whole.bcubed_f1
    assert split.pairwise_precision == pytest.approx(1.0)


def test_merging_classes_costs_precision_not_recall() -> None:
    gold = ["a"] * 3 + ["b"] * 3 + ["c"] * 2
    merged = clustering_scores(gold, [0] * 6 + [1] * 2)
    assert merged.bcubed_recall == pytest.approx(1.0)
    assert merged.bcubed_precision == pytest.approx((6 * 0.5 + 2 * 1.0) / 8)
    assert merged.pairwise_recall == pytest.approx(1.0)
    assert merged.pairwise_precision == pytest.approx(7 / 16)


def test_order_of_items_does_not_matter() -> None:
    gold = ["a", "a", "b", "b", "b", "c", "c", "a"]
    pred = [0, 1, 1, 1, 2, 2, 2, 0]
    rng = random.Random(4)
    order = list(range(len(gold)))
    rng.shuffle(order)
    shuffled = clustering_scores([gold[i] for i in order], [pred[i] for i in order])
    assert shuffled.to_dict() == pytest.approx(clustering_scores(gold, pred).to_dict())


def test_single_item_is_a_perfect_clustering() -> None:
    s = clustering_scores(["a"], [0])
    assert s.bcubed_f1 == 1.0
    assert s.pairwise_f1 == 1.0
    assert (s.n_items, s.n_clusters, s.n_classes) == (1, 1, 1)


def test_mixed_label_types_are_allowed() -> None:
    s = clustering_scores(["a", "a", 3, 3], [None, None, (1, 2), (1, 2)])
    assert s.bcubed_f1 == 1.0
    assert s.ari == pytest.approx(1.0)


def test_length_mismatch_says_what_is_wrong() -> None:
    with pytest.raises(ValueError, match="gold has 3 labels but pred has 2"):
        clustering_scores(["a", "a", "b"], [0, 0])


def test_empty_input_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        clustering_scores([], [])


def test_scores_serialise_to_json() -> None:
    s = clustering_scores(["a", "a", "b"], [0, 0, 0])
    data = json.loads(json.dumps(s.to_dict()))
    assert data["n_clusters"] == 1 and data["n_classes"] == 2
    assert data["bcubed_recall"] == 1.0
    assert isinstance(s, ClusteringScores)


# ---------------------------------------------------------------- real labels


def _ecbplus_labels() -> tuple[list[str], list[str]]:
    rows = [json.loads(line) for line in ECBPLUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r["event"] for r in rows], [r["topic"] for r in rows]


def _bcubed_by_definition(gold: list[str], pred: list[str]) -> tuple[float, float]:
    """Bagga & Baldwin item by item, the slow obvious way."""
    n = len(gold)
    precision = recall = 0.0
    for i in range(n):
        same_cluster = [j for j in range(n) if pred[j] == pred[i]]
        same_class = [j for j in range(n) if gold[j] == gold[i]]
        both = sum(1 for j in same_cluster if gold[j] == gold[i])
        precision += both / len(same_cluster)
        recall += both / len(same_class)
    return precision / n, recall / n


def test_folding_each_topics_look_alike_events_together_is_scored_as_pure_merging() -> None:
    events, topics = _ecbplus_labels()
    assert len(events) == 772 and len(set(events)) == 66
    s = clustering_scores(events, topics)
    # every topic holds exactly two events: merging them loses precision, never recall
    assert s.bcubed_recall == pytest.approx(1.0)
    assert s.pairwise_recall == pytest.approx(1.0)
    assert 0.4 < s.bcubed_precision < 0.7
    assert s.ari < 0.7
    assert (s.n_clusters, s.n_classes) == (33, 66)
    assert clustering_scores(events, events).bcubed_f1 == 1.0


def test_bcubed_matches_the_item_by_item_definition_on_ecbplus_labels() -> None:
    events, topics = _ecbplus_labels()
    # a messy prediction: topics, with every third article of a topic moved to its own cluster
    seen: dict[str, int] = {}
    pred = []
    for t in topics:
        seen[t] = seen.get(t, 0) + 1
        pred.append(f"{t}-alone-{seen[t]}" if seen[t] % 3 == 0 else t)
    expected_p, expected_r = _bcubed_by_definition(events, pred)
    s = clustering_scores(events, pred)
    assert s.bcubed_precision == pytest.approx(expected_p)
    assert s.bcubed_recall == pytest.approx(expected_r)
    assert 0 < s.bcubed_f1 < 1
