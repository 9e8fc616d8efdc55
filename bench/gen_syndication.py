"""Seeded generator of syndicated copies, from the ECB+ articles.

Two corpora:

* ``syndication_corpus`` (accuracy): every ECB+ article, plus copies of a
  sample of them with the edits a syndicating site makes, each at a known
  rate: a new headline, a local paragraph added, the last paragraphs
  trimmed, a site footer, light copy edits (quotes, dashes, spacing,
  ``said``/``says``), and a few words changed.  Some copies are copies of
  copies.  The unrelated rest of ECB+ (including its own look-alike
  reports of the same events) is mixed in unchanged.
* ``stream_texts`` (speed): as many articles as asked for, in chunks,
  from a word-bigram model of ECB+ (article lengths drawn from ECB+), with
  a share of them syndicated copies of earlier ones made with the same
  edits.  Nothing is held in memory beyond one chunk.

Run ``python bench/gen_syndication.py --out corpus.jsonl`` to write the
accuracy corpus (fields ``id``, ``text``, ``title``, ``copy_of``, ``edits``).
``copy_of`` records lineage only: the benchmark's truth is the exact shingle
Jaccard/containment of every pair, not the lineage.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
ECBPLUS = ROOT / "data" / "ecbplus" / "ecbplus-dev.jsonl"

# edit → probability that a copy gets it
RATES: dict[str, float] = {
    "new_headline": 0.8,
    "local_paragraph": 0.4,
    "trim_end": 0.4,
    "footer": 0.6,
    "copy_edits": 0.5,
    "words_changed": 0.5,
}
FOOTERS = [
    "© {year} {site}. All rights reserved. This material may not be published, broadcast, rewritten or redistributed.",
    "Follow {site} on social media for the latest updates.",
    "Copyright {year} {site}. Distributed by a news agency.",
    "Get the {site} newsletter delivered to your inbox every morning.",
    "Have a news tip? Contact the {site} newsroom.",
]
SITES = ["The Daily Courier", "Metro Herald", "Valley Tribune", "Coastline Post", "Northern Star", "City Ledger"]
LOCAL_OPENERS = [
    "Residents of {town} reacted to the news on {day}.",
    "Local officials in {town} said they were following the situation closely.",
    "The story drew wide attention in {town}, where several people spoke to reporters.",
    "In {town}, community leaders called a meeting for {day} evening to discuss what happened.",
]
TOWNS = ["Millbrook", "Harrow Falls", "Eastfield", "Port Aldine", "Granger", "Westvale", "Oak Ridge", "Linden"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


@dataclass
class Doc:
    id: str
    text: str
    title: str = ""
    copy_of: str | None = None
    edits: list[str] = field(default_factory=list)


def load_ecbplus(path: Path = ECBPLUS) -> list[str]:
    """The article texts only (no labels are read)."""
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line)["text"] for line in fh if line.strip()]


def syndicate(text: str, rng: random.Random, pool: list[str], rates: dict[str, float] = RATES) -> tuple[str, list[str]]:
    """A syndicated copy of ``text``: some of the edits, each at its rate."""
    lines = [ln for ln in text.split("\n") if ln.strip()]
    edits: list[str] = []
    if not lines:
        return text, edits
    headline, body = lines[0], lines[1:] or [lines[0]]
    if rng.random() < rates["new_headline"]:
        other = rng.choice(pool).split("\n")[0].split()
        headline = " ".join(rng.sample(other, min(len(other), 9))) or headline
        edits.append("new_headline")
    if rng.random() < rates["trim_end"] and len(body) >= 4:
        keep = max(2, int(round(len(body) * rng.uniform(0.65, 0.9))))
        body = body[:keep]
        edits.append("trim_end")
    if rng.random() < rates["local_paragraph"]:
        local = rng.choice(LOCAL_OPENERS).format(town=rng.choice(TOWNS), day=rng.choice(DAYS))
        body = ([local] + body) if rng.random() < 0.5 else (body[:1] + [local] + body[1:])
        edits.append("local_paragraph")
    if rng.random() < rates["copy_edits"]:
        joined = "\n".join(body)
        joined = joined.replace(" -- ", " – ").replace('"', "“", 1).replace("  ", " ")
        joined = re.sub(r"\bsaid\b", "says", joined, count=1)
        body = joined.split("\n")
        edits.append("copy_edits")
    if rng.random() < rates["words_changed"]:
        words = "\n".join(body).split(" ")
        vocab = rng.choice(pool).split()
        for _ in range(rng.randint(1, 4)):
            if words and vocab:
                words[rng.randrange(len(words))] = rng.choice(vocab)
        body = " ".join(words).split("\n")
        edits.append("words_changed")
    if rng.random() < rates["footer"]:
        body = body + [rng.choice(FOOTERS).format(year=rng.randint(2008, 2024), site=rng.choice(SITES))]
        edits.append("footer")
    return "\n".join([headline] + body), edits


def syndication_corpus(seed: int = 13, n_sources: int = 300, max_copies: int = 4,
                       path: Path = ECBPLUS) -> list[Doc]:
    """ECB+ plus syndicated copies (and copies of copies) of ``n_sources`` articles, shuffled."""
    rng = random.Random(seed)
    texts = load_ecbplus(path)
    docs = [Doc(f"src{i}", t, t.split("\n", 1)[0]) for i, t in enumerate(texts)]
    sources = rng.sample(range(len(texts)), min(n_sources, len(texts)))
    copies: list[Doc] = []
    for i in sources:
        base = docs[i]
        for c in range(rng.randint(1, max_copies)):
            parent = base if not copies or rng.random() < 0.8 or copies[-1].copy_of is None else copies[-1]
            text, edits = syndicate(parent.text, rng, texts)
            copies.append(Doc(f"{base.id}-copy{c}", text, text.split("\n", 1)[0], parent.id, edits))
    out = docs + copies
    rng.shuffle(out)
    return out


class BigramModel:
    """A word-bigram model of a corpus, sampled many chains at once."""

    def __init__(self, texts: list[str], seed: int = 7) -> None:
        words = [t.split() for t in texts]
        vocab: dict[str, int] = {}
        for ws in words:
            for w in ws:
                vocab.setdefault(w, len(vocab))
        self.vocab = np.array(list(vocab), dtype=object)
        v = len(vocab)
        ids = [np.array([vocab[w] for w in ws], dtype=np.int64) for ws in words if len(ws) > 1]
        a = np.concatenate([x[:-1] for x in ids])
        b = np.concatenate([x[1:] for x in ids])
        # every word gets at least one successor (a random sentence start), so no chain dies
        starts = np.array([x[0] for x in ids])
        a = np.concatenate([a, np.arange(v)])
        b = np.concatenate([b, starts[np.arange(v) % len(starts)]])
        order = np.lexsort((b, a))
        a, b = a[order], b[order]
        self.succ = b
        counts = np.bincount(a, minlength=v)
        self.row_start = np.concatenate([[0], np.cumsum(counts)[:-1]])
        self.row_len = counts
        self.lengths = np.array([len(ws) for ws in words if ws], dtype=np.int64)
        self.starts = starts
        self.rng = np.random.default_rng(seed)

    def sample(self, n: int, max_len: int = 1200) -> list[str]:
        """``n`` texts with ECB+-like lengths (capped at ``max_len`` words)."""
        lens = np.minimum(self.rng.choice(self.lengths, size=n), max_len)
        steps = int(lens.max())
        out = np.empty((n, steps), dtype=np.int64)
        state = self.rng.choice(self.starts, size=n)
        for t in range(steps):
            out[:, t] = state
            pick = (self.rng.random(n) * self.row_len[state]).astype(np.int64)
            state = self.succ[self.row_start[state] + pick]
        vocab = self.vocab
        return [" ".join(vocab[row[:k]]) for row, k in zip(out, lens)]


def stream_texts(n: int, *, chunk: int = 10000, copy_rate: float = 0.1, seed: int = 7,
                 path: Path = ECBPLUS) -> Iterator[list[str]]:
    """``n`` generated articles in chunks; ``copy_rate`` of them syndicated copies of earlier ones."""
    texts = load_ecbplus(path)
    model = BigramModel(texts, seed)
    rng = random.Random(seed)
    recent: list[str] = []
    done = 0
    while done < n:
        k = min(chunk, n - done)
        batch = model.sample(k)
        for i in range(k):
            if recent and rng.random() < copy_rate:
                batch[i] = syndicate(rng.choice(recent), rng, texts)[0]
        recent = (recent + batch[: max(1, k // 10)])[-2000:]
        # paragraph breaks roughly every few sentences, as in real text
        yield [re.sub(r"(?<=[.!?]) (?=[A-Z])", "\n", t, count=0) if "\n" not in t else t for t in batch]
        done += k


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="JSONL file to write")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--sources", type=int, default=300)
    args = ap.parse_args()
    docs = syndication_corpus(args.seed, args.sources)
    with open(args.out, "w", encoding="utf-8") as fh:
        for d in docs:
            fh.write(json.dumps({"id": d.id, "text": d.text, "title": d.title, "copy_of": d.copy_of,
                                 "edits": d.edits}, ensure_ascii=False) + "\n")
    print(f"wrote {len(docs)} articles ({sum(d.copy_of is not None for d in docs)} copies) to {args.out}")


if __name__ == "__main__":
    main()
