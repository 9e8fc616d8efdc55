"""Build a summarization development set from ECB+ (no human summaries exist for it).

Leave-out references: for every ECB+ event with at least 5 articles, up to 3
articles are held out (seeded) and their leads — the opening sentences, up
to 100 words — become the references; the other articles (at most 10) are the
cluster to summarize.  A good multi-document summary of the remaining
articles should cover what a held-out article puts first: the event's core
facts, which most reports of it state.  Held-out articles that are
near-copies of a remaining one (word 8-gram containment above 0.3) are not
used as references, so a wire reprint cannot hand the answer over.

The event label is used only to form the evaluation clusters, never by the
summarizer.  Output: ``bench/summary_devset.jsonl`` in the ``newsfold eval
summaries`` format.  ECB+ is CC BY 3.0 (see data/ecbplus/README.md).

    .venv/bin/python bench/make_summary_devset.py [--seed 13] [--out bench/summary_devset.jsonl]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from newsfold.sentences import split_sentences  # noqa: E402

MIN_ARTICLES = 5
MAX_REFS = 3
MAX_DOCS = 10
REF_WORDS = 100


def lead(text: str, words: int = REF_WORDS) -> str:
    out: list[str] = []
    n = 0
    for s in split_sentences(text):
        if len(s.split()) < 4:
            continue
        out.append(s)
        n += len(s.split())
        if n >= words:
            break
    return " ".join(" ".join(out).split()[:words])


def grams(text: str, k: int = 8) -> set[tuple[str, ...]]:
    w = re.findall(r"[a-z0-9]+", text.lower())
    return {tuple(w[i:i + k]) for i in range(max(0, len(w) - k + 1))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=str(ROOT / "data/ecbplus/ecbplus-dev.jsonl"))
    ap.add_argument("--out", default=str(ROOT / "bench/summary_devset.jsonl"))
    ap.add_argument("--seed", type=int, default=13)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    events: dict[str, list[dict]] = defaultdict(list)
    with open(args.data, encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            events[r["event"]].append(r)
    n_out = 0
    with open(args.out, "w", encoding="utf-8") as out:
        for k, event in enumerate(sorted(events)):
            arts = sorted(events[event], key=lambda r: r["id"])
            if len(arts) < MIN_ARTICLES:
                continue
            rng.shuffle(arts)
            refs, docs = [], []
            for a in arts:
                if len(refs) < MAX_REFS and len(arts) - len(refs) > 2:
                    refs.append(a)
                else:
                    docs.append(a)
            docs = docs[:MAX_DOCS]
            doc_grams = [grams(d["text"]) for d in docs]
            references = []
            for r in refs:
                ref = lead(r["text"])
                g = grams(ref)
                if not g or len(ref.split()) < 20:
                    continue
                if max(len(g & dg) / len(g) for dg in doc_grams) > 0.3:
                    continue
                references.append(ref)
            if not references:
                continue
            out.write(json.dumps({"id": f"ecbplus-{k:03d}",
                                  "docs": [{"id": f"ecbplus-{k:03d}-{i}", "text": d["text"]} for i, d in enumerate(docs)],
                                  "references": references}, ensure_ascii=False) + "\n")
            n_out += 1
    print(f"wrote {n_out} clusters to {args.out}")


if __name__ == "__main__":
    main()
