"""Build ``tests/data/summary_checked.jsonl``: the small hand-checked set ``newsfold eval summaries`` scores.

How it was made (run this script to rebuild it from the same sources):

* five clusters: the seed story (examples/000–003, the text as received)
  and the ECB+ events ``10_ecb``, ``10_ecbplus``, ``11_ecb``, ``11_ecbplus``
  (the first four of each, by the sorted event name; the same documents
  ``bench/summary_pairs.py`` paired);
* references: for the seed story, ``SEED_REFERENCE``, written by hand from
  the four reports (one editor's 80-word briefing); for an ECB+ event, the
  first two complete sentences (``is_summary_worthy``) of each of its next two articles (held out of the
  cluster), read by hand to be about the event;
* citations: every first sentence (``a``) of the hand-labelled
  restatement pairs (``tests/data/restatement_pairs.jsonl``) whose
  documents are in a cluster, with the documents judged to state it
  (label 1) or not (label 0).  Only judged (sentence, document) pairs are scored: a
  citation of an unjudged document counts neither way (pooled judgement).

    .venv/bin/python bench/summary_checked.py
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ECB = Path("/work/shared/data/ecbplus/ecbplus-dev.jsonl")
EVENTS = ["10_ecb", "10_ecbplus", "11_ecb", "11_ecbplus"]
PER_EVENT = 4
SEED_REFERENCE = (
    "Russian President Vladimir Putin told US President Donald Trump in a New Year letter that Moscow is open to "
    "dialogue on a wide-ranging agenda, the Kremlin said on Sunday, calling Russia-US relations an important "
    "factor for strategic stability and international security. The year ended without the hoped-for "
    "improvement: Trump cancelled a planned meeting with Putin at the G20 summit in Argentina in November. "
    "Putin also sent greetings to other leaders, including Britain's Theresa May, Turkey's Recep Tayyip Erdogan "
    "and Syria's Bashar al-Assad.")


def main() -> None:
    from newsfold.sentences import split_sentences
    from newsfold.summarize.text import is_summary_worthy

    pairs = [json.loads(line) for line in open(ROOT / "tests" / "data" / "restatement_pairs.jsonl", encoding="utf-8")]
    clusters = []
    seeds = sorted((ROOT / "examples").glob("00[0-3]_*.txt"))
    clusters.append(("seeds", [{"id": p.name[:3], "text": p.read_text(encoding="utf-8")} for p in seeds],
                     [SEED_REFERENCE]))
    by_event: dict[str, list[dict]] = {}
    for line in open(ECB, encoding="utf-8"):
        r = json.loads(line)
        by_event.setdefault(r["event"], []).append(r)
    for ev in EVENTS:
        docs = [{"id": r["id"], "text": r["text"]} for r in by_event[ev][:PER_EVENT]]
        refs = [" ".join([s for s in split_sentences(r["text"]) if is_summary_worthy(s)][:2]) for r in by_event[ev][PER_EVENT:PER_EVENT + 2]]
        clusters.append((ev, docs, refs))
    out = open(ROOT / "tests" / "data" / "summary_checked.jsonl", "w", encoding="utf-8")
    for name, docs, refs in clusters:
        ids = {d["id"] for d in docs}
        judged: dict[tuple[str, str], dict[str, int]] = {}
        for p in pairs:
            if p["group"] != name or p["a_doc"] not in ids or p["b_doc"] not in ids:
                continue
            j = judged.setdefault((p["a_doc"], p["a"]), {})  # label: does b's document state a?
            j[p["b_doc"]] = max(j.get(p["b_doc"], 0), p["label"])
        cites = [{"doc": d, "sentence": s, "states": {o: v for o, v in sorted(j.items())}}
                 for (d, s), j in judged.items()]
        out.write(json.dumps({"id": name, "docs": docs, "references": refs, "citations": cites},
                             ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
