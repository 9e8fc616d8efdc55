"""Fingerprints, MinHash, LSH and sentence splitting on real text."""

from __future__ import annotations

import json
import math
import random
import tracemalloc

import numpy as np
import pytest

import newsfold.dedup.fingerprint as fpmod
from newsfold.dedup.config import DedupConfig
from newsfold.dedup.fingerprint import Fingerprinter, jaccard, overlap
from newsfold.dedup.lsh import LSHIndex, LSHParams, candidate_jaccard
from newsfold.sentences import split_sentences
from nfpaths import ECBPLUS



@pytest.fixture(scope="module")
def ecb_texts() -> list[str]:
    with open(ECBPLUS, encoding="utf-8") as fh:
        return [json.loads(line)["text"] for line in fh]


def test_normalization_ignores_case_punctuation_and_quote_style(ecb_texts: list[str]) -> None:
    fp = Fingerprinter()
    a = ecb_texts[3]
    b = a.upper().replace(" ", "  ").replace("'", "’").replace('"', "“")
    c = a.replace(" the ", " a ", 1)
    f = fp.fingerprint([a, b, c])
    assert f.content_hashes[0] == f.content_hashes[1]
    assert f.content_hashes[0] != f.content_hashes[2]
    assert np.array_equal(f.signatures[0], f.signatures[1])


def test_word_boundaries_unicode() -> None:
    sh = fpmod.Shingler()
    wh, off = sh.word_hashes(["Britain’s «Élysée» café—naïve", "britain's élysée CAFÉ naïve"])
    assert list(np.diff(off)) == [5, 5]
    assert np.array_equal(wh[:5], wh[5:])


def test_short_and_empty_texts_have_no_signature() -> None:
    f = Fingerprinter(shingle_size=5).fingerprint(["", "   ", "Two words", "one two three four", "one two three four five"])
    assert f.content_hashes[0] == "" and f.content_hashes[1] == ""
    assert list(f.has_signature) == [False, False, False, False, True]
    assert list(f.n_shingles) == [0, 0, 0, 0, 1]


def test_minhash_estimates_exact_jaccard(ecb_texts: list[str]) -> None:
    """On edited copies of real articles, the OPH estimate tracks the exact Jaccard."""
    rng = random.Random(5)
    fp = Fingerprinter()
    errs = []
    for t in rng.sample([t for t in ecb_texts if len(t.split()) > 150], 60):
        lines = t.split("\n")
        copy = "\n".join(lines[: max(2, int(len(lines) * rng.uniform(0.5, 1.0)))] + ["Local angle added here by a site."])
        f = fp.fingerprint([t, copy], keep_shingles=True)
        assert f.shingles is not None
        exact = jaccard(f.shingles.shingles(0), f.shingles.shingles(1))
        errs.append(abs(float((f.signatures[0] == f.signatures[1]).mean()) - exact))
    assert np.mean(errs) < 0.04
    assert max(errs) < 0.15


def test_chunked_word_hashing_matches_whole(ecb_texts: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    sh = fpmod.Shingler()
    whole = sh.word_hashes(ecb_texts[:200])
    monkeypatch.setattr(fpmod, "CHUNK_BYTES", 3000)
    monkeypatch.setattr(fpmod, "SUB_BATCH_BYTES", 5000)
    parts = sh.word_hashes(ecb_texts[:200])
    assert np.array_equal(whole[0], parts[0]) and np.array_equal(whole[1], parts[1])
    f1 = Fingerprinter().fingerprint(ecb_texts[:50], keep_shingles=True)
    monkeypatch.setattr(fpmod, "SUB_BATCH_BYTES", 1 << 19)
    f2 = Fingerprinter().fingerprint(ecb_texts[:50], keep_shingles=True)
    assert np.array_equal(f1.signatures, f2.signatures) and f1.content_hashes == f2.content_hashes
    assert f1.shingles is not None and f2.shingles is not None
    assert all(np.array_equal(f1.shingles.shingles(i), f2.shingles.shingles(i)) for i in range(50))


@pytest.mark.slow
def test_ten_megabyte_article_in_bounded_memory(ecb_texts: list[str]) -> None:
    big = "\n".join(ecb_texts * 8)[: 10 * 2**20]
    assert len(big) >= 10 * 2**20 - 1
    edited = big.replace("said", "stated", 50)
    fp = Fingerprinter()
    tracemalloc.start()
    f = fp.fingerprint([big, edited])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert f.has_signature.all()
    assert peak < 400 * 2**20, f"peak {peak / 2**20:.0f} MB for a 10 MB article"
    assert (f.signatures[0] == f.signatures[1]).mean() > 0.9


@pytest.mark.parametrize("bad", [0, -0.1, 1.5, float("nan"), "high"])
def test_thresholds_outside_unit_interval_are_refused(bad: object) -> None:
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        DedupConfig(threshold=bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        DedupConfig(containment=bad)  # type: ignore[arg-type]


def test_lsh_banding_finds_reprints_it_promises() -> None:
    cfg = DedupConfig()
    j = candidate_jaccard(cfg.threshold, cfg.containment, cfg.min_ratio)
    assert math.isclose(j, 0.8 * 0.5 / (1 + 0.5 - 0.8 * 0.5))
    p = cfg.lsh_params()
    assert p.bands * p.rows <= cfg.num_perm
    assert p.probability(j) >= 0.995
    assert p.probability(0.02) < 0.05  # unrelated articles rarely become candidates
    strict = LSHParams.for_threshold(0.8, 128)
    assert strict.rows > p.rows


def test_lsh_index_finds_copies_and_rebuilds_from_signatures(ecb_texts: list[str]) -> None:
    rng = random.Random(3)
    fp = Fingerprinter()
    originals = ecb_texts[:300]
    picked = rng.sample(range(len(originals)), 30)
    copies = []
    for i in picked:
        lines = originals[i].split("\n")
        copies.append("\n".join(["A new headline for the copy"] + lines[1:] + ["© Some Site 2024"]))
    texts = originals + copies
    f = fp.fingerprint(texts)
    params = DedupConfig().lsh_params()
    idx = LSHIndex(params)
    keys = np.arange(len(texts))
    found = idx.add_and_query(keys[:150], f.signatures[:150])
    found2 = idx.add_and_query(keys[150:], f.signatures[150:])
    pairs = set(zip(np.r_[found.query, found2.query].tolist(), np.r_[found.key, found2.key].tolist()))
    sets = fp.shingle_sets(texts)
    for n, i in enumerate(picked):
        ci = len(originals) + n
        if f.has_signature[ci] and overlap(sets[ci], sets[i])[1] >= 0.8:
            assert (ci, i) in pairs
    assert all(q > k for q, k in pairs)
    # a fresh index built from the stored signatures answers the same
    idx2 = LSHIndex(params)
    idx2.add(keys[:len(originals)], f.signatures[:len(originals)])
    q = idx2.query(f.signatures[len(originals):])
    assert set(zip((q.query + len(originals)).tolist(), q.key.tolist())) >= {p for p in pairs if p[0] >= len(originals)
                                                                              and p[1] < len(originals)}


def test_sentence_splitter_on_ecbplus_lines(ecb_texts: list[str]) -> None:
    """ECB+ has one sentence per line: joined back, the splitter should find the line ends."""
    tp = fp = fn = 0
    for d in ecb_texts[:300]:
        gold = [x.strip() for x in d.split("\n") if x.strip()]
        joined = " ".join(gold)
        g, c = set(), 0
        for s in gold:
            c += len(s)
            g.add(c)
            c += 1
        p, pos = set(), 0
        for s in split_sentences(joined):
            i = joined.find(s, pos)
            pos = i + len(s)
            p.add(pos)
        tp, fp, fn = tp + len(g & p), fp + len(p - g), fn + len(g - p)
    assert tp / (tp + fp) >= 0.97
    assert tp / (tp + fn) >= 0.85  # headlines without a full stop are the misses


def test_sentence_splitter_keeps_abbreviations() -> None:
    text = "Mr. Putin met U.S. officials on Dec. 30. He said \"No.\" Then he left.\nA new line"
    assert split_sentences(text) == ["Mr. Putin met U.S. officials on Dec. 30.", 'He said "No."', "Then he left.",
                                     "A new line"]
    assert split_sentences("") == [] and split_sentences(" \n \n") == []
