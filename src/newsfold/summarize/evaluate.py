"""``newsfold eval summaries``: ROUGE of the summarizer on clusters with reference summaries.

The input is JSON lines, one cluster each::

    {"id": "d30001t", "docs": [{"id", "text", "title"?, "published"?}], "references": ["…", …]}

Each cluster is summarized as one story (no clustering), the summary is cut
at ``max_words`` words (the DUC convention: a system may fill its budget and
the last sentence is cut), and scored with ``rouge-score`` (ROUGE-1 and
ROUGE-2, Porter stemming) against each reference; scores are averaged over
the references of a cluster, then over clusters.

A cluster may also carry hand-judged citations::

    "citations": [{"doc": "<doc id>", "sentence": "<a sentence of that doc>",
                   "states": {"<other doc id>": 1 | 0, …}}]

Each judged sentence is cited as the briefing would cite it
(:func:`.citations.citations`, meaning included) and the cited documents are
compared with the judgements: precision over the judged documents it cites,
recall over the documents judged to state it (a citation of an unjudged
document counts neither way).  ``tests/data/summary_checked.jsonl`` is such
a set (``bench/summary_checked.py`` says how it was made).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..evaluate.labelled import read_jsonl
from ..models import Article

log = logging.getLogger(__name__)


class EvalInputError(ValueError):
    """The evaluation file is not in the expected format."""


@dataclass
class Cluster:
    """One evaluation cluster: its documents as articles, and the human reference summaries."""

    id: str
    docs: list[Article]
    references: list[str]
    citations: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class RougeResult:
    """Mean ROUGE over clusters (each averaged over its references), and speed."""

    system: str
    rouge1_recall: float
    rouge1_f1: float
    rouge2_recall: float
    rouge2_f1: float
    n_clusters: int
    seconds: float
    clusters_per_second: float
    citation_precision: float | None = None
    citation_recall: float | None = None
    citations_judged: int = 0
    redundant_pairs: int = 0             # summary sentence pairs that state one fact (the restatement test)
    summary_pairs: int = 0
    additions_precision: float | None = None  # judged sentences listed as an addition that no judged doc states
    additions_listed: int = 0
    per_cluster: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self, with_clusters: bool = False) -> dict[str, Any]:
        d = asdict(self)
        if not with_clusters:
            d.pop("per_cluster")
        return d


def _cluster_problem(obj: dict[str, Any]) -> str | None:
    """What makes one line of a clusters file unusable, or None."""
    if not isinstance(obj.get("docs"), list):
        return "is not an object with a 'docs' list"
    for k, d in enumerate(obj["docs"]):
        if not isinstance(d, dict) or not isinstance(d.get("text"), str):
            return f"doc {k} of cluster {obj.get('id', '?')} has no 'text'"
    refs = obj.get("references") or []
    if not isinstance(refs, list) or not all(isinstance(r, str) for r in refs):
        return "'references' must be a list of strings"
    cites = obj.get("citations") or []
    if not isinstance(cites, list) or not all(
            isinstance(c, dict) and isinstance(c.get("sentence"), str) and isinstance(c.get("states"), dict)
            for c in cites):
        return "'citations' must be a list of {doc, sentence, states}"
    return None


def load_clusters(path: str | Path) -> list[Cluster]:
    """Read the JSONL file; raises :class:`EvalInputError` naming the bad line."""
    clusters = []
    for n, obj in enumerate(read_jsonl(path, _cluster_problem, EvalInputError), start=1):
        cid = str(obj.get("id", n))
        docs = [Article(id=str(d.get("id", f"{cid}-{k}")), text=d["text"], title=d.get("title"),
                        published=d.get("published"), outlet=d.get("outlet")) for k, d in enumerate(obj["docs"])]
        clusters.append(Cluster(id=cid, docs=docs, references=obj.get("references") or [],
                                citations=obj.get("citations") or []))
    return clusters


def truncate_words(text: str, n: int) -> str:
    return " ".join(text.split()[:n])


def newsfold_summarizer(max_words: int = 100) -> Callable[[Cluster], str]:
    from .selection import summary_text
    from .stage import sentence_encoder

    encoder = sentence_encoder()
    # warm up (imports, the stemmer, k-means) so that the timing measures summarizing only
    warm = [Article(id=f"w{i}", text="A warm-up sentence about nothing in particular. Another one follows here now.")
            for i in range(3)]
    summary_text(warm, max_words=max_words, fill=True, encoder=encoder)
    return lambda c: summary_text(c.docs, max_words=max_words, fill=True, encoder=encoder)


def citation_counts(c: Cluster) -> tuple[int, int, int]:
    """(cited and judged to state it, cited among the judged, judged to state it) over a cluster's judged sentences."""
    from .citations import alignment, citations
    from .selection import select_summary
    from .stage import sentence_encoder

    if not c.citations:
        return 0, 0, 0
    sel = select_summary(c.docs, distinct=False)  # its units and terms: the judged sentences are cited, not the summary
    where = {(u.article_id, u.text): i for i, u in enumerate(sel.units)}
    align = alignment(sel, sentence_encoder())
    tp = cited = gold = 0
    for j in c.citations:
        states = {str(k): int(v) for k, v in j["states"].items()}
        gold += sum(states.values())
        i = where.get((str(j.get("doc")), j["sentence"].strip()))
        if i is None:
            continue  # not a sentence of the cluster as split here: its positives count as missed
        sel.chosen = [i]
        got = set(citations(sel, (), align).get(i, [])[1:])
        cited += sum(1 for d in got if d in states)
        tp += sum(1 for d in got if states.get(d) == 1)
    return tp, cited, gold


def briefing_counts(c: Cluster, max_words: int = 100) -> tuple[int, int, int, int]:
    """(redundant pairs, pairs) of the cluster's summary sentences, and (judged sentences listed as an
    addition, those of them no judged document states).

    A pair is redundant when the restatement test the citations use
    (:class:`.selection.Restatements`: lexical, then by meaning) says one states
    the other's fact.  A judged sentence is listed as an addition of its
    document (each document its own outlet unless the file names outlets)
    when :func:`.additions.stated_elsewhere` finds no other outlet stating
    it; it holds when no judged document states it either (an unjudged one
    might: an upper bound).
    """
    from .additions import stated_elsewhere
    from .align import Alignment
    from .selection import Restatements, select_summary
    from .stage import sentence_encoder

    encoder = sentence_encoder()
    sel = select_summary(c.docs, max_words=max_words, fill=True, encoder=encoder)
    shown = sel.chosen + ([sel.extra] if sel.extra is not None else [])
    same = Restatements(sel.units, sel.terms, Alignment([u.text for u in sel.units], encoder))
    pairs = [(i, j) for n, i in enumerate(shown) for j in shown[n + 1:]]
    redundant = sum(same(i, j) for i, j in pairs)
    listed = held = 0
    if c.citations:
        plain = select_summary(c.docs, distinct=False)
        rows, echoed = stated_elsewhere(c.docs, plain, Alignment([u.text for u in plain.units], encoder))
        own = {(plain.units[i].article_id, plain.units[i].text) for i in rows if not echoed[i]}
        for j in c.citations:
            if (str(j.get("doc")), j["sentence"].strip()) in own:
                listed += 1
                held += int(not any(int(v) for v in j["states"].values()))
    return redundant, len(pairs), listed, held


def evaluate(clusters: Sequence[Cluster], summarize: Callable[[Cluster], str], *, system: str = "newsfold",
             max_words: int = 100, with_briefing: bool = True) -> tuple[RougeResult, list[dict[str, str]]]:
    """Summarize every cluster, score it; returns the scores and the ``{id, summary}`` rows.

    ``with_briefing``: also count newsfold's redundant summary pairs and its additions on the judged
    sentences (:func:`briefing_counts`; off for other systems).
    """
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2"], use_stemmer=True)
    rows, per = [], []
    spent = 0.0
    sums = {"r1r": 0.0, "r1f": 0.0, "r2r": 0.0, "r2f": 0.0}
    scored = 0
    for c in clusters:
        t0 = time.perf_counter()
        summary = truncate_words(summarize(c), max_words)
        spent += time.perf_counter() - t0
        rows.append({"id": c.id, "summary": summary})
        if not c.references:
            continue
        acc = {"r1r": 0.0, "r1f": 0.0, "r2r": 0.0, "r2f": 0.0}
        for ref in c.references:
            s = scorer.score(ref, summary)
            acc["r1r"] += s["rouge1"].recall
            acc["r1f"] += s["rouge1"].fmeasure
            acc["r2r"] += s["rouge2"].recall
            acc["r2f"] += s["rouge2"].fmeasure
        k = len(c.references)
        mean = {key: v / k for key, v in acc.items()}
        per.append({"id": c.id, **mean})
        for key in sums:
            sums[key] += mean[key]
        scored += 1
    d = max(scored, 1)
    tp = cited = gold = 0
    redundant = n_pairs = listed = held = 0
    for c in clusters:
        a, b, g = citation_counts(c)
        tp, cited, gold = tp + a, cited + b, gold + g
        if with_briefing:
            r, p, lst, h = briefing_counts(c, max_words)
            redundant, n_pairs, listed, held = redundant + r, n_pairs + p, listed + lst, held + h
    res = RougeResult(system=system, rouge1_recall=sums["r1r"] / d, rouge1_f1=sums["r1f"] / d,
                      rouge2_recall=sums["r2r"] / d, rouge2_f1=sums["r2f"] / d, n_clusters=len(clusters),
                      seconds=spent, clusters_per_second=len(clusters) / spent if spent > 0 else 0.0,
                      per_cluster=per, citation_precision=tp / cited if cited else None,
                      citation_recall=tp / gold if gold else None, citations_judged=sum(len(c.citations)
                                                                                        for c in clusters),
                      redundant_pairs=redundant, summary_pairs=n_pairs,
                      additions_precision=held / listed if listed else None, additions_listed=listed)
    return res, rows
