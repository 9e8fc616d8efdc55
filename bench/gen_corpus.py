"""Generate a large news corpus (JSONL) from the bundled ECB+ articles, seeded.

Each generated article is a real ECB+ article with its sentences lightly
shuffled and trimmed, an outlet, a date, a URL, and that outlet's page
furniture (a footer line repeated under every article of the outlet, a
share prompt, a copyright line), so that reading, cleaning and storing do
the work they do on a crawl.

    python bench/gen_corpus.py -n 100000 -o bench/out/corpus.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ECB = ROOT / "data" / "ecbplus" / "ecbplus-dev.jsonl"


def generate(n: int, seed: int = 13, n_outlets: int = 200):
    rnd = random.Random(seed)
    rows = [json.loads(l)["text"].split("\n") for l in open(ECB, encoding="utf-8")]
    outlets = [f"Outlet {i:03d} News" for i in range(n_outlets)]
    footers = {o: f"Read more stories from {o} every day: our desk is open around the clock ({i})"
               for i, o in enumerate(outlets)}
    start = date(2015, 1, 1)
    for i in range(n):
        sents = list(rnd.choice(rows))
        if len(sents) > 4 and rnd.random() < 0.5:
            sents = sents[: rnd.randint(4, len(sents))]
        if len(sents) > 3 and rnd.random() < 0.3:
            j = rnd.randrange(1, len(sents) - 1)
            sents[j], sents[j + 1] = sents[j + 1], sents[j]
        o = rnd.choice(outlets)
        d = start + timedelta(days=rnd.randrange(0, 3650))
        body = "\n".join(sents) + f"\n{footers[o]}\nShare this article\n© {d.year} {o}. All rights reserved."
        yield {"id": f"g{i:07d}", "url": f"https://{o.split()[1]}.example.com/{d:%Y/%m/%d}/story-{i}",
               "title": sents[0][:120], "outlet": o, "published": d.isoformat(), "text": body}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=100_000)
    ap.add_argument("-o", "--output", default=str(ROOT / "bench" / "out" / "corpus.jsonl"))
    ap.add_argument("--seed", type=int, default=13)
    a = ap.parse_args()
    Path(a.output).parent.mkdir(parents=True, exist_ok=True)
    with open(a.output, "w", encoding="utf-8") as fh:
        for rec in generate(a.n, a.seed):
            fh.write(json.dumps(rec) + "\n")
    print(f"wrote {a.n} articles to {a.output}")


if __name__ == "__main__":
    main()
