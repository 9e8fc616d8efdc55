"""The default dense encoder (all-MiniLM-L6-v2 on ONNX Runtime) and the reuse of stored vectors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from newsfold.models import Article
from newsfold.stories.represent import MiniLMEncoder, NoEncoder
from nfpaths import ECBPLUS, EXAMPLES


def _texts(n: int) -> list[str]:
    rows = [json.loads(line) for line in ECBPLUS.open(encoding="utf-8")]
    return [r["text"][:2000] for r in rows[:: max(1, len(rows) // n)][:n]]


@pytest.fixture(scope="module")
def reference() -> tuple[list[str], np.ndarray]:
    """Vectors from sentence-transformers on torch: the model as its authors run it."""
    pytest.importorskip("sentence_transformers", reason="the torch reference needs newsfold[torch]")
    from newsfold.stories.represent import TorchMiniLMEncoder

    texts = _texts(24)
    return texts, TorchMiniLMEncoder().encode(texts)


@pytest.mark.slow
def test_onnx_export_matches_the_reference_model(reference: tuple[list[str], np.ndarray]) -> None:
    texts, ref = reference
    fp32 = MiniLMEncoder(max_tokens=256, precision="fp32").encode(texts)
    assert fp32.shape == ref.shape == (len(texts), 384)
    assert float((fp32 * ref).sum(axis=1).min()) > 0.9999  # the same function, not an approximation


@pytest.mark.slow
@pytest.mark.parametrize("precision", ["int8-channel", "int8-signed"])
def test_int8_exports_stay_close_to_the_reference(reference: tuple[list[str], np.ndarray], precision: str) -> None:
    """Both int8 exports (the default is the signed one on a CPU with VNNI) stay near the model as its authors run
    it.  On 200 ECB+ articles: cosine 0.9945 / 0.9942 on average, nearest neighbours kept 0.885 / 0.865."""
    texts, ref = reference
    enc = MiniLMEncoder(max_tokens=256, precision=precision)
    v = enc.encode(texts)
    cos = (v * ref).sum(axis=1)
    assert float(cos.mean()) > 0.98 and float(cos.min()) > 0.95, cos
    # what matters downstream: which articles are closest to which stays mostly the same
    sim_ref, sim = ref @ ref.T, v @ v.T
    np.fill_diagonal(sim_ref, -1)
    np.fill_diagonal(sim, -1)
    assert (sim_ref.argmax(axis=1) == sim.argmax(axis=1)).mean() >= 0.8


def test_encoder_output_is_unit_length_in_input_order() -> None:
    enc = MiniLMEncoder()
    texts = ["A 6.1 magnitude earthquake struck off the coast on Tuesday.", "", "Short.",
             "Shares fell sharply after the central bank raised interest rates. " * 40]
    v = enc.encode(texts)
    assert v.shape == (4, 384)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    # sorting by length inside the encoder must not reorder the rows
    assert np.allclose(enc.encode(texts[::-1])[::-1], v, atol=1e-5)
    assert enc.encode([]).shape == (0, 384)


class CountingEncoder:
    """The default encoder, counting the texts it is asked to encode."""

    name = "minilm"

    def __init__(self) -> None:
        self.inner = MiniLMEncoder()
        self.key = self.inner.key
        self.texts: list[str] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.texts.extend(texts)
        return self.inner.encode(texts)

    def input_keys(self, texts: list[str]) -> list[str]:
        return self.inner.input_keys(texts)


def test_each_article_is_encoded_once_across_placement_refold_and_reruns(store, tmp_path) -> None:
    """Online placement and the batch refold share one vector per article; copies reuse their original's."""
    from newsfold.dedup.stage import DedupStage
    from newsfold.ingest import Ingester
    from newsfold.stories.refold import RefoldStage
    from newsfold.stories.stage import StoriesStage

    seeds = sorted(EXAMPLES.glob("0*.txt"))
    reprint = tmp_path / "reprint.txt"  # a verbatim reprint of seed 000 under another name
    reprint.write_text(seeds[0].read_text(encoding="utf-8").replace("\n\n", "\n\n\n", 1), encoding="utf-8")
    Ingester(store).ingest_paths([str(p) for p in seeds] + [str(reprint)])
    DedupStage().catch_up(store)
    copies = store.conn.execute("SELECT count(*) FROM dup_links").fetchone()[0]
    assert copies >= 1
    enc = CountingEncoder()
    StoriesStage(encoder=enc).catch_up(store)
    RefoldStage(encoder=enc).catch_up(store)
    n_articles = store.count_articles()
    assert len(enc.texts) == n_articles - copies  # every original once, no copy, nothing twice
    stored = store.conn.execute("SELECT count(*), min(encoder), max(encoder) FROM article_vectors").fetchone()
    assert stored[0] == n_articles - copies and stored[1] == stored[2] == enc.key
    # a full refold later (as `newsfold fold` does) encodes nothing again
    from newsfold.stories.refold import refold

    refold(store, encoder=enc)
    assert len(enc.texts) == n_articles - copies
    # the seeds still fold as the founding example says: 000-003 together, 004 apart
    story = dict(store.conn.execute("SELECT article_id, story_id FROM story_articles").fetchall())
    by_seed = {p.stem: story[p.stem] for p in seeds}
    ids = sorted(by_seed)
    assert len({by_seed[i] for i in ids[:4]}) == 1 and by_seed[ids[4]] != by_seed[ids[0]]


def test_vectors_of_another_encoder_are_not_reused(store) -> None:
    from newsfold.stories.vectors import featurize_stored, keep_vectors
    from newsfold.stories.represent import Featurizer

    with store.atomic():
        store.insert_article(Article(id="a1", text="An earthquake of magnitude 6.1 struck the island on Tuesday, "
                                                    "officials said, and two people were injured.", content_hash="h1"))
    enc = CountingEncoder()
    f = Featurizer(enc)
    feats = featurize_stored(store, f, store.get_articles(["a1"]))
    with store.atomic():
        keep_vectors(store, f)
    assert feats[0].dense is not None and len(enc.texts) == 1
    none = Featurizer(NoEncoder())
    feats = featurize_stored(store, none, store.get_articles(["a1"]))
    assert feats[0].dense is None  # a terms-only run does not pick up MiniLM vectors


def test_an_article_with_the_same_title_and_lead_reuses_the_vector(store) -> None:
    """Two reports that open alike and then differ: the model sees the same input, so it runs once."""
    from newsfold.stories.represent import Featurizer
    from newsfold.stories.vectors import featurize_stored, keep_vectors

    rows = [json.loads(line) for line in ECBPLUS.open(encoding="utf-8")]
    lead = rows[0]["text"]
    other = rows[100]["text"]
    enc = CountingEncoder()
    assert len(enc.inner.input_keys([lead])[0]) > 0
    a1 = Article(id="a1", text=lead + "\n" + other, content_hash="h1")
    with store.atomic():
        store.insert_article(a1)
    f = Featurizer(enc)
    v1 = featurize_stored(store, f, [a1])[0].dense
    with store.atomic():
        keep_vectors(store, f)
    # the same first 96 tokens, a different ending: not a copy, but the same model input
    a2 = Article(id="a2", text=lead + "\n" + rows[300]["text"], content_hash="h2")
    with store.atomic():
        store.insert_article(a2)
    v2 = featurize_stored(store, f, [a2])[0].dense
    assert len(enc.texts) == 1 and np.array_equal(v1, v2)
    # a different opening is encoded
    a3 = Article(id="a3", text=other, content_hash="h3")
    featurize_stored(store, f, [a3])
    assert len(enc.texts) == 2


def test_token_ids_are_those_of_the_whole_text_and_threads_share_the_encoder() -> None:
    """Only a long text's start is tokenized, yet the model sees the ids the whole text gives (also for a word
    cut at the boundary, and one too long to split); two threads encoding at once get their own texts' vectors."""
    from concurrent.futures import ThreadPoolExecutor

    from tokenizers import Tokenizer

    from newsfold.stories.represent import minilm_path

    enc = MiniLMEncoder(max_tokens=64)
    texts = _texts(40) + ["x" * 650 + " tail " * 50, "word " * 120 + "a" * 300 + " end", ("ab" * 60 + " ") * 20]
    ref = Tokenizer.from_file(str(minilm_path() / "tokenizer.json"))
    ref.enable_truncation(64)
    ref.no_padding()
    assert enc._model.token_ids(texts) == [e.ids for e in ref.encode_batch(texts)]
    alone = {t: enc.encode([t])[0] for t in texts[:6]}
    with ThreadPoolExecutor(2) as pool:
        got = list(pool.map(lambda t: enc.encode([t])[0], texts[:6] * 5))
    assert all(np.allclose(v, alone[t], atol=1e-6) for t, v in zip(texts[:6] * 5, got))
