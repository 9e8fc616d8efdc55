"""The summarizer's k-means parts are scikit-learn's, on the sentences of real ECB+ stories."""

from __future__ import annotations

import json
import warnings
from itertools import islice

import numpy as np
import pytest
from nfpaths import ECBPLUS

from newsfold.models import Article
from newsfold.summarize.kmeans import kmeans_labels
from newsfold.summarize.text import sentence_units, term_matrix


def test_the_parts_of_ecbplus_stories_are_those_of_scikit_learn() -> None:
    KMeans = pytest.importorskip("sklearn.cluster").KMeans
    events: dict[str, list[Article]] = {}
    with open(ECBPLUS, encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            events.setdefault(r["event"], []).append(Article(id=r["id"], text=r["text"]))
    compared = 0
    for arts in islice((events[e] for e in sorted(events)), 0, None, 4):
        X = term_matrix([u.text for u in sentence_units(arts)]).X
        k = max(2, round(0.2 * X.shape[0]))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # wire copies leave fewer distinct sentences than parts
            theirs = KMeans(n_clusters=k, init="random", n_init=1, random_state=0, max_iter=50).fit_predict(X)
        assert np.array_equal(kmeans_labels(X, k, seed=0, max_iter=50), theirs)
        compared += 1
    assert compared >= 10
