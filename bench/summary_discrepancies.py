"""What "where sources differ" flags on ECB+: every flagged discrepancy, for reading by hand.

Each ECB+ event is taken as one story (its articles up to ``--per-event``,
as a briefing's NLP sample would read them); the articles are parsed
(spaCy, :func:`newsfold.summarize.analysis.analyse`) and
:func:`newsfold.summarize.discrepancies.find_discrepancies` runs on each
event.  Prints the number of events with a flag, the number of flags, and
each flag with its values and sentences, so a reader can count the real
disagreements (a different figure for the same quantity of the same event)
and the false ones (different facts).

    flock /tmp/newsfold-heavy.lock .venv/bin/python bench/summary_discrepancies.py [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from newsfold.models import Article  # noqa: E402
from newsfold.summarize.analysis import analyse  # noqa: E402
from newsfold.summarize.discrepancies import find_discrepancies  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ecb", default="/work/shared/data/ecbplus/ecbplus-dev.jsonl")
    ap.add_argument("--per-event", type=int, default=12)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    by_event: dict[str, list[Article]] = {}
    for line in open(args.ecb, encoding="utf-8"):
        r = json.loads(line)
        by_event.setdefault(r["event"], []).append(Article(id=r["id"], text=r["text"]))
    arts = [a for ev in sorted(by_event) for a in by_event[ev][: args.per_event]]
    t0 = time.time()
    analyses = analyse(arts)
    t1 = time.time()
    out = []
    for ev in sorted(by_event):
        for d in find_discrepancies(by_event[ev][: args.per_event], analyses):
            out.append({"event": ev, "kind": d.kind, "subject": d.subject,
                        "values": [{"value": v.value, "articles": v.article_ids, "sentences": v.sentences}
                                   for v in d.values]})
    t2 = time.time()
    summary = {"events": len(by_event), "articles": len(arts), "events_flagged": len({o["event"] for o in out}),
               "flags": len(out), "parse_s": round(t1 - t0, 1), "compare_s": round(t2 - t1, 2)}
    if args.json:
        print(json.dumps({"summary": summary, "flags": out}, ensure_ascii=False, indent=1))
        return
    for o in out:
        print(f"[{o['event']}] {o['kind']} {o['subject']}")
        for v in o["values"]:
            print(f"   {v['value']!r} ({len(v['articles'])} articles): {v['sentences'][0][:160]}")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
