"""Compare newsfold's summaries with the summarizers a user would pick, on one eval file, in one run.

Systems: newsfold (submodular selection), lead (the first article's opening),
sumy's LexRank, TextRank, LSA and KL-Sum, and a centroid baseline (sentences
closest to the TF-IDF centroid, skipping near-repeats).  Every system may
fill its budget; each summary is cut at 100 words and scored with
rouge-score (ROUGE-1/2 recall and F1, Porter stemming, averaged over a
cluster's references, then over clusters).  Peers output their sentences in
rank order, so the cut drops their lowest-ranked words.

"consensus" is a pyramid-style check that needs no reference: the content
units (stemmed content-word bigrams) that at least half of a cluster's
articles contain, weighted by how many do; the score is the share of that
weight a summary covers.

sumy needs NLTK's punkt data, which cannot be downloaded here: it gets a
tokenizer built on newsfold's sentence splitter and a simple word pattern.

    .venv/bin/python bench/summary_peers.py bench/summary_devset.jsonl [--json] [--systems newsfold,lead,…]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from newsfold.summarize.evaluate import Cluster, evaluate, load_clusters, newsfold_summarizer  # noqa: E402
from newsfold.sentences import split_sentences  # noqa: E402
from newsfold.summarize.text import content_terms, term_matrix  # noqa: E402

BUDGET = 100
_WORD = re.compile(r"\w+(?:[-'’]\w+)*")


class SplitterTokenizer:
    """A sumy tokenizer on newsfold's sentence splitter (no NLTK data needed)."""

    language = "english"

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        return tuple(split_sentences(paragraph))

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return tuple(_WORD.findall(sentence))


def _ordered_docs(c: Cluster) -> list:
    return sorted(c.docs, key=lambda d: (d.published is None, d.published or ""))


def lead(c: Cluster) -> str:
    return " ".join(_ordered_docs(c)[0].text.split()[:BUDGET])


def sumy_system(name: str) -> Callable[[Cluster], str]:
    from sumy.nlp.stemmers import Stemmer
    from sumy.parsers.plaintext import PlaintextParser
    from sumy.summarizers.kl import KLSummarizer
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.summarizers.lsa import LsaSummarizer
    from sumy.summarizers.text_rank import TextRankSummarizer
    from sumy.utils import get_stop_words

    klass = {"lexrank": LexRankSummarizer, "textrank": TextRankSummarizer, "lsa": LsaSummarizer,
             "klsum": KLSummarizer}[name]
    summarizer = klass(Stemmer("english"))
    summarizer.stop_words = get_stop_words("english")
    tok = SplitterTokenizer()

    def run(c: Cluster) -> str:
        text = "\n\n".join(d.text.replace("\n", "\n\n") for d in c.docs)
        doc = PlaintextParser.from_string(text, tok).document
        ranked: list[str] = []

        def take(infos: list) -> list:  # best-rated first; keep until the budget is filled
            n = 0
            out = []
            for info in infos:
                out.append(info)
                ranked.append(str(info.sentence))
                n += len(str(info.sentence).split())
                if n >= BUDGET:
                    break
            return out

        summarizer(doc, take)
        return " ".join(ranked)

    return run


def centroid(c: Cluster) -> str:
    sents = [s for d in c.docs for s in split_sentences(d.text) if len(s.split()) >= 5]
    if not sents:
        return ""
    tm = term_matrix(sents)
    cen = np.asarray(tm.X.mean(axis=0)).ravel()
    scores = tm.X @ cen
    chosen: list[int] = []
    n = 0
    for i in np.argsort(-scores):
        if any(float((tm.X[i] @ tm.X[j].T).toarray()[0, 0]) > 0.6 for j in chosen):
            continue
        chosen.append(int(i))
        n += len(sents[i].split())
        if n >= BUDGET:
            break
    return " ".join(sents[i] for i in chosen)


def consensus_units(c: Cluster) -> Counter[tuple[str, str]]:
    df: Counter[tuple[str, str]] = Counter()
    for d in c.docs:
        t = content_terms(d.text)
        df.update(set(zip(t, t[1:])))
    need = max(2, (len(c.docs) + 1) // 2)
    return Counter({u: k for u, k in df.items() if k >= need})


def consensus_score(c: Cluster, summary: str) -> float:
    units = consensus_units(c)
    if not units:
        return 0.0
    t = content_terms(" ".join(summary.split()[:BUDGET]))
    have = set(zip(t, t[1:]))
    return sum(w for u, w in units.items() if u in have) / sum(units.values())


SYSTEMS = ["newsfold", "lead", "lexrank", "textrank", "lsa", "klsum", "centroid"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("file")
    ap.add_argument("--systems", default=",".join(SYSTEMS))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    clusters = load_clusters(args.file)
    results = []
    for name in args.systems.split(","):
        fn: Callable[[Cluster], str]
        if name == "newsfold":
            fn = newsfold_summarizer(BUDGET)
        elif name == "lead":
            fn = lead
        elif name == "centroid":
            fn = centroid
        else:
            fn = sumy_system(name)
        res, rows = evaluate(clusters, fn, system=name, max_words=BUDGET, with_briefing=False)
        by_id = {r["id"]: r["summary"] for r in rows}
        cons = float(np.mean([consensus_score(c, by_id[c.id]) for c in clusters]))
        d = res.to_dict()
        d["consensus"] = cons
        results.append(d)
        print(f"  {name}: R1 recall {res.rouge1_recall:.4f}", file=sys.stderr)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{args.file}: {len(clusters)} clusters, summaries cut at {BUDGET} words")
    print(f"{'system':10} {'R1-R':>7} {'R1-F':>7} {'R2-R':>7} {'R2-F':>7} {'consensus':>9} {'clusters/s':>10}")
    for d in sorted(results, key=lambda d: -d["rouge1_recall"]):
        print(f"{d['system']:10} {d['rouge1_recall']:7.4f} {d['rouge1_f1']:7.4f} {d['rouge2_recall']:7.4f} "
              f"{d['rouge2_f1']:7.4f} {d['consensus']:9.4f} {d['clusters_per_second']:10.2f}")


if __name__ == "__main__":
    main()
