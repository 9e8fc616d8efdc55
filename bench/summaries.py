"""Time the Summaries stage: on a built store (every story), and on one big story of near-copies.

``--db STORE`` copies a store that ``newsfold add`` built, forgets its
briefings, and times ``SummariesStage().catch_up`` twice on the copy:
*cold* (no stored paragraph analyses or sentence vectors: every paragraph a
briefing needs parsed is parsed and every sentence it asks about encoded, as
in a first ``add``) and *warm* (analyses and vectors stored, briefings
redone in a new process: what a refresh costs); the
spaCy model (here and in the stage's spaCy process, ``summarize/worker.py``,
whose CPU seconds are added to the stage's) and the sentence encoder are
loaded first, once, and not counted;
``--workers`` sets how many stories the stage briefs side by side (it prints
the sentences it encoded too, and what the briefings show: the other articles
their summary sentences cite and the outlets' own sentences).  ``--big N`` builds
one story of N articles (ECB+ articles of one event and near-copies of
them: sentences dropped or swapped, 200 outlets, a year of dates, half the
copies linked to their original in ``dup_links``) and times its briefing
cold, then warm after one more article joins it.  Prints seconds, seconds per story, articles and
paragraphs parsed, and the process CPU seconds (the machine may be shared).

``--compare`` measures what the briefing's cheaper NLP changes, on the
stories of ``--db``: every article is parsed whole, and each story's
articles are parsed as its briefing needs (the paragraphs
:mod:`newsfold.summarize.needs` picks; entity mentions, facts and quoted
statements per article that differ), and each story's briefing is made
from whole-article analyses with every article read (as before paragraph
analysis and ``NLP_SAMPLE``), from the needed paragraphs' analyses, and
from those reading ``--nlp-sizes`` articles: the shown entities (top 15),
quotes across outlets, discrepancies and outlets' own entities they share
with it, and the articles each parses.

    .venv/bin/newsfold --db /tmp/ecb.db add data/ecbplus/ecbplus-dev.jsonl
    .venv/bin/python bench/summaries.py --db /tmp/ecb.db [--json]
    .venv/bin/python bench/summaries.py --big 5000 [--json]
    .venv/bin/python bench/summaries.py --db /tmp/ecb.db --compare [--nlp-sizes 8,10,12,16]
    .venv/bin/python bench/summaries.py --encoders
    .venv/bin/python bench/summaries.py --db /tmp/ecb.db --syntax

``--encoders`` times the sentence encoder's exports (float32, unsigned and
signed int8 weights) on ECB+ sentences, each alone (as the stage encodes)
and in batches, with how much batching changes a vector and how close each
export's vectors are to float32's.  The store figures also give the CPU
seconds spent encoding sentences and parsing (spaCy and the extraction).
``--syntax`` parses the paragraphs a cold run parses as the stage does
(the entity recognizer on every paragraph, the tagger and parser only
where a record reads them) and with the whole pipeline on each, and
counts the paragraphs whose records differ.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from newsfold.models import Article  # noqa: E402
from newsfold.store.db import Store  # noqa: E402
from newsfold.summarize.stage import WORKERS, SummariesStage, sentence_encoder  # noqa: E402

ECB = ROOT / "data" / "ecbplus" / "ecbplus-dev.jsonl"


def _forget() -> None:
    """Drop the sentence vectors this process holds (what a new process knows)."""
    enc = sentence_encoder()
    if enc is not None:
        enc.forget()


WORKERS = [WORKERS]  # --workers: stories briefed side by side


class _CpuOf:
    """Wraps a function: the CPU seconds of the threads that ran it (``time.thread_time``), and its calls."""

    def __init__(self, fn):  # type: ignore[no-untyped-def]
        self.fn, self.seconds, self.calls, self._lock = fn, 0.0, 0, threading.Lock()

    def __call__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        t = time.thread_time()
        try:
            return self.fn(*args, **kwargs)
        finally:
            with self._lock:
                self.seconds += time.thread_time() - t
                self.calls += 1


def timed(store: Store) -> dict[str, float | int]:
    """Time the stage's catch-up; also the CPU seconds of its sentence encoding and of its spaCy parsing."""
    from newsfold.summarize import analysis

    enc = sentence_encoder()
    before = enc.encoded if enc is not None else 0
    encode = parse = None
    if enc is not None:
        encode = enc.encoder.encode = _CpuOf(type(enc.encoder).encode.__get__(enc.encoder))
    parse = analysis.analyse_paragraphs = _CpuOf(analysis.analyse_paragraphs)
    w, c = time.perf_counter(), time.process_time()
    try:
        rep = SummariesStage(workers=WORKERS[0]).catch_up(store)
    finally:
        wall, cpu = time.perf_counter() - w, time.process_time() - c
        analysis.analyse_paragraphs = parse.fn
        if enc is not None:
            del enc.encoder.encode
    child = float(rep.details.get("parse_process_cpu_seconds", 0.0))  # spaCy's process, since the stage began
    cited = added = 0  # what the briefings show: other articles cited by summary sentences, outlets' own sentences
    for (doc,) in store.conn.execute("SELECT briefing_json FROM summaries"):
        b = json.loads(doc)
        cited += sum(len(x["article_ids"]) - 1 for x in b["summary"])
        added += sum(a["n_sentences"] for a in b["additions"])
    return {"stories": rep.processed, "parsed": int(rep.details["parsed"]), "sampled": int(rep.details["sampled"]),
            "citations": cited, "addition_sentences": added,
            "paragraphs_parsed": int(rep.details.get("paragraphs_parsed", 0)),
            "sentences_encoded": (enc.encoded if enc is not None else 0) - before, "workers": WORKERS[0],
            "encoder_runs": encode.calls if encode is not None else 0,
            "encode_cpu_seconds": round(encode.seconds, 2) if encode is not None else 0.0,
            "parse_cpu_seconds": round(parse.seconds + child, 2),
            "seconds": round(wall, 2), "cpu_seconds": round(cpu + child, 2),
            "seconds_per_story": round(wall / max(1, rep.processed), 3)}


def encoders(n: int = 400, seed: int = 1) -> list[dict[str, object]]:
    """The sentence encoder's exports on ``n`` ECB+ sentences: CPU ms per sentence encoded alone (as the stage
    does) and in length-sorted batches of 32, the largest change batching makes to a vector, and the cosine of
    each export's vectors with the float32 model's."""
    import numpy as np

    from newsfold.sentences import split_sentences
    from newsfold.stories.minilm_onnx import has_vnni
    from newsfold.stories.represent import MiniLMEncoder
    from newsfold.summarize.align import MAX_TOKENS

    with open(ECB, encoding="utf-8") as fh:
        sents = [s for line in fh for s in split_sentences(json.loads(line)["text"])]
    random.Random(seed).shuffle(sents)
    sents = sents[:n]
    out, ref = [], None
    for precision in ("fp32", "int8-channel", "int8-signed"):
        enc = MiniLMEncoder(max_tokens=MAX_TOKENS, precision=precision, threads=1)
        enc.encode(["warm up"])
        c = time.process_time()
        alone = np.stack([enc.encode([t])[0] for t in sents])
        c_alone = time.process_time() - c
        c = time.process_time()
        batched = enc.encode(sents)
        c_batch = time.process_time() - c
        ref = alone if ref is None else ref
        cos = (alone * ref).sum(axis=1)
        out.append({"precision": precision, "vnni": has_vnni(), "sentences": len(sents),
                    "ms_alone": round(1000 * c_alone / len(sents), 2), "ms_batched": round(1000 * c_batch / len(sents), 2),
                    "batch_max_change": float(np.abs(alone - batched).max()),
                    "cos_fp32_mean": round(float(cos.mean()), 4), "cos_fp32_min": round(float(cos.min()), 4)})
    return out


def syntax_check(path: str, tmp: Path) -> dict[str, object]:
    """The paragraphs a cold run of the stage on ``path`` parses, analysed as the stage does (the entity
    recognizer on all, tagger and parser where a record reads them) and with the whole pipeline on every one:
    CPU seconds of each, and the paragraphs whose records differ."""
    from newsfold.summarize import analysis
    from newsfold.summarize.nlp import parse
    from newsfold.summarize.records import ParagraphAnalysis

    texts: list[str] = []
    real = analysis.analyse_paragraphs
    analysis.analyse_paragraphs = lambda ts, **kw: (texts.extend(ts), real(ts, **kw))[1]
    try:
        copy = _copy(path, tmp)
        SummariesStage(workers=WORKERS[0]).catch_up(copy)
    finally:
        analysis.analyse_paragraphs = real
    c = time.process_time()
    gated = [a.to_json() for a in real(texts)]
    c_gated = time.process_time() - c
    c = time.process_time()
    whole = [ParagraphAnalysis(entities=analysis.entity_mentions(d), facts=analysis.extract_facts(d),
                               quotes=analysis.extract_quotations(t, d)).to_json()
             for t, d in zip(texts, parse(texts, batch_size=analysis.BATCH_SIZE))]
    c_whole = time.process_time() - c
    return {"paragraphs": len(texts), "cpu_seconds_as_the_stage": round(c_gated, 2),
            "cpu_seconds_whole_pipeline": round(c_whole, 2), "differ": sum(a != b for a, b in zip(gated, whole))}


def _copy(path: str, tmp: Path) -> Store:
    """A copy of the store at ``path`` (in ``tmp``) without briefings, paragraph analyses or sentence vectors."""
    copy = tmp / "copy.db"
    for suffix in ("", "-wal", "-shm"):
        if Path(path + suffix).exists():
            shutil.copy(path + suffix, str(copy) + suffix)
    store = Store(copy)
    with store.atomic() as c:
        c.execute("DELETE FROM summaries")
        c.execute("DELETE FROM paragraph_analyses")
        c.execute("DELETE FROM sentence_vectors")
    return store


def on_store(path: str, tmp: Path) -> dict[str, object]:
    store = _copy(path, tmp)
    n = store.conn.execute("SELECT count(*) FROM story_articles").fetchone()[0]
    _forget()  # cold: nothing parsed or encoded yet, in the store or in this process
    cold = timed(store)
    with store.atomic() as c:
        c.execute("DELETE FROM summaries")
    _forget()  # warm: what a later process finds stored (paragraph analyses, sentence vectors)
    warm = timed(store)
    return {"store": path, "articles": n, "cold": cold, "warm": warm}


def big_story(n: int, tmp: Path, seed: int = 13) -> dict[str, object]:
    rows = [json.loads(line) for line in open(ECB, encoding="utf-8")]
    event = max({r["event"] for r in rows}, key=lambda e: sum(r["event"] == e for r in rows))
    origin = [r for r in rows if r["event"] == event]
    rnd = random.Random(seed)
    arts, links = [], []
    for i in range(n):
        src = origin[i % len(origin)] if i < len(origin) else rnd.choice(origin)
        lines = src["text"].split("\n")
        if i >= len(origin):
            if len(lines) > 4 and rnd.random() < 0.5:
                lines = lines[:rnd.randint(4, len(lines))]
            if len(lines) > 3 and rnd.random() < 0.3:
                j = rnd.randrange(1, len(lines) - 1)
                lines[j], lines[j + 1] = lines[j + 1], lines[j]
            if rnd.random() < 0.5:
                links.append((f"a{i:06d}", f"a{origin.index(src):06d}"))
        day = rnd.randrange(365)
        arts.append(Article(id=f"a{i:06d}", text="\n".join(lines), outlet=f"Outlet {rnd.randrange(200):03d}",
                            published=f"2020-{1 + day // 31 % 12:02d}-{1 + day % 28:02d}", content_hash=f"h{i}"))
    store = Store(tmp / "big.db")
    with store.atomic() as c:
        store.insert_articles(arts[:-1])
        c.executemany("INSERT INTO dup_links (article_id, canonical_id, kind, similarity)"
                      " VALUES (?, ?, 'near-duplicate', 0.9)", [lk for lk in links if lk[0] != arts[-1].id])
        c.execute("INSERT INTO stories (id) VALUES ('big')")
        c.executemany("INSERT INTO story_articles (article_id, story_id) VALUES (?, 'big')", [(a.id,) for a in arts[:-1]])
    cold = timed(store)
    with store.atomic() as c:
        store.insert_article(arts[-1])
        c.execute("INSERT INTO story_articles (article_id, story_id) VALUES (?, 'big')", (arts[-1].id,))
    warm = timed(store)
    return {"articles": n, "event": event, "cold": cold, "one_more_article": warm}


def _whole_article_analyses(articles: list[Article]) -> dict[str, object]:
    """Each article parsed whole, as before paragraph analysis (same extraction)."""
    from newsfold.summarize.records import ArticleAnalysis
    from newsfold.summarize.discrepancies import extract_facts
    from newsfold.summarize.entities import entity_mentions
    from newsfold.summarize.nlp import parse
    from newsfold.summarize.quotes import attribute, extract_quotations

    return {a.id: ArticleAnalysis(article_id=a.id, content_hash=a.content_hash, entities=entity_mentions(doc),
                                  facts=extract_facts(doc), quotes=attribute(extract_quotations(a.text or "", doc)))
            for a, doc in zip(articles, parse([a.text or "" for a in articles]))}


def _differ(a: Counter, b: Counter) -> dict[str, float | int]:
    diff = sum(((a - b) + (b - a)).values())
    return {"whole": sum(a.values()), "paragraphs": sum(b.values()), "differ": diff,
            "differ_pct": round(100 * diff / max(1, sum(a.values())), 2)}


def _shown(b: object) -> dict[str, set]:
    """What a reader sees of a briefing's NLP parts, as sets to compare."""
    return {"entities (top 15)": {(e.name, e.label) for e in b.entities[:15]},  # type: ignore[attr-defined]
            "quotes across outlets": {q.text for q in b.quotes if len(q.renderings) > 1},  # type: ignore[attr-defined]
            "discrepancies": {(d.subject, frozenset(v.value for v in d.values))
                              for d in b.discrepancies},  # type: ignore[attr-defined]
            "outlets' own entities": {(o.outlet, e) for o in b.additions for e in o.entities}}  # type: ignore


def compare(path: str, sizes: list[int]) -> dict[str, object]:
    """Entity/fact/quote output of paragraph vs whole-article parsing, and briefings per NLP sample size."""
    from newsfold.summarize import summarize_story
    from newsfold.summarize.analysis import analyse

    store = Store(path)
    members: dict[str, list[str]] = {}
    for sid, aid in store.conn.execute("SELECT story_id, article_id FROM story_articles ORDER BY article_id"):
        members.setdefault(sid, []).append(aid)
    dups = {r[0] for r in store.conn.execute("SELECT article_id FROM dup_links")}
    arts = {a.id: a for a in store.get_articles(sorted({i for ids in members.values() for i in ids}))}
    c = time.process_time()
    whole = _whole_article_analyses(list(arts.values()))
    whole_cpu = time.process_time() - c
    c = time.process_time()
    para: dict = {}
    for ids in members.values():  # what each story's briefing needs parsed (summarize/needs.py)
        para.update(analyse([arts[i] for i in ids]))
    para_cpu = time.process_time() - c
    out: dict[str, object] = {"articles": len(arts), "stories": len(members),
                              "parse_cpu_seconds": {"whole": round(whole_cpu, 1), "paragraphs": round(para_cpu, 1)}}
    per_article = {
        "entity mentions": [Counter((aid, *e) for aid, an in d.items() for e in an.entities) for d in (whole, para)],
        "facts": [Counter((aid, f.key, f.value) for aid, an in d.items() for f in an.facts) for d in (whole, para)],
        "quoted statements": [Counter((aid, q.text) for aid, an in d.items() for q in an.quotes)
                              for d in (whole, para)],
        "quote speakers": [Counter((aid, q.text, q.speaker) for aid, an in d.items() for q in an.quotes)
                           for d in (whole, para)]}
    out["per_article"] = {k: _differ(a, b) for k, (a, b) in per_article.items()}

    def briefings(analyses: dict, k: int) -> dict[str, object]:
        return {sid: summarize_story([arts[i] for i in ids], story_id=sid, passages=[], analyses=analyses,
                                     duplicates=dups, nlp_sample_size=k) for sid, ids in members.items()}

    ref = briefings(whole, 10**9)
    variants = {"paragraphs, all read": briefings(para, 10**9)}
    variants.update({f"paragraphs, {k} read": briefings(para, k) for k in sizes})
    ref_shown = {sid: _shown(b) for sid, b in ref.items()}
    rows = {}
    for name, bs in variants.items():
        k = int(name.split(", ")[1].split()[0]) if name.split(", ")[1][0].isdigit() else 10**9
        row: dict[str, object] = {"articles_parsed": sum(min(k, len(ids)) for ids in members.values()),
                                  "stories_changed": sum(_shown(bs[sid]) != ref_shown[sid] for sid in members)}
        for part in next(iter(ref_shown.values())):
            kept = sum(len(ref_shown[sid][part] & _shown(bs[sid])[part]) for sid in members)
            had = sum(len(ref_shown[sid][part]) for sid in members)
            got = sum(len(_shown(bs[sid])[part]) for sid in members)
            row[part] = f"{kept}/{had} kept, {got} shown"
        rows[name] = row
    out["briefings_vs_whole_all_read"] = rows
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", help="a store built by `newsfold add` (copied, never changed)")
    ap.add_argument("--big", type=int, default=0, help="articles in one generated big story")
    ap.add_argument("--compare", action="store_true",
                    help="with --db: content changes of paragraph analysis and of each NLP sample size")
    ap.add_argument("--nlp-sizes", default="8,10,12,16", help="NLP sample sizes --compare tries")
    ap.add_argument("--workers", type=int, default=WORKERS[0], help="stories briefed side by side (the stage's default)")
    ap.add_argument("--encoders", action="store_true",
                    help="time the sentence encoder's exports on ECB+ sentences, alone and batched")
    ap.add_argument("--syntax", action="store_true",
                    help="with --db: the paragraphs parsed as the stage does and with the whole pipeline (CPU, records)")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    WORKERS[0] = a.workers
    if a.encoders:
        rows = encoders()
        if a.json:
            print(json.dumps(rows, indent=2))
            return
        print(f"{rows[0]['sentences']} ECB+ sentences, cut at the encoder's tokens, one thread, VNNI {rows[0]['vnni']}")
        for r in rows:
            print(f"  {r['precision']:13s} {r['ms_alone']} CPU ms a sentence alone, {r['ms_batched']} batched "
                  f"(a vector changes by up to {r['batch_max_change']:.1e}); cosine with fp32 "
                  f"mean {r['cos_fp32_mean']} min {r['cos_fp32_min']}")
        return
    if not a.db and not a.big:
        ap.error("give --db STORE, --big N or --encoders")
    out: dict[str, object] = {"load_average": os.getloadavg()[0]}
    t = time.perf_counter()
    from newsfold.summarize.nlp import nlp

    nlp()  # once per process: not counted in the stage's figures below
    from newsfold.summarize.worker import worker

    worker().analyse(["Warm up."])  # the stage's spaCy process, started and loaded: not counted either
    sentence_encoder()  # the sentence encoder too (loaded and warmed up)
    out["spacy_load_seconds"] = round(time.perf_counter() - t, 2)
    if a.compare:
        if not a.db:
            ap.error("--compare needs --db STORE")
        print(json.dumps(compare(a.db, [int(k) for k in a.nlp_sizes.split(",")]), indent=2))
        return
    if a.syntax:
        if not a.db:
            ap.error("--syntax needs --db STORE")
        with tempfile.TemporaryDirectory() as tmp:
            r = syntax_check(a.db, Path(tmp))
        print(json.dumps(r, indent=2) if a.json else
              f"{r['paragraphs']} paragraphs: {r['cpu_seconds_as_the_stage']} CPU s as the stage parses them, "
              f"{r['cpu_seconds_whole_pipeline']} s with the whole pipeline on each; records differ in {r['differ']}")
        return
    with tempfile.TemporaryDirectory() as tmp:
        if a.db:
            out["store"] = on_store(a.db, Path(tmp))
        if a.big:
            out["big"] = big_story(a.big, Path(tmp))
    if a.json:
        print(json.dumps(out, indent=2))
        return
    print(f"load average {out['load_average']:.2f} (2 cores; the machine may be shared); "
          f"spaCy model and sentence encoder loaded in {out['spacy_load_seconds']} s (once per process, not counted below)")
    if "store" in out:
        s = out["store"]
        print(f"{s['store']}: {s['articles']} placed articles")  # type: ignore[index]
        for k in ("cold", "warm"):
            r = s[k]  # type: ignore[index]
            print(f"  {k:5s} {r['stories']} stories, {r['parsed']} articles analysed, "
                  f"{r['paragraphs_parsed']} paragraphs parsed, {r['sentences_encoded']} sentences encoded, "
                  f"{r['workers']} workers: {r['seconds']} s "
                  f"({r['seconds_per_story']} s/story, {r['cpu_seconds']} s CPU: encoding {r['encode_cpu_seconds']} s "
                  f"in {r['encoder_runs']} runs, spaCy and extraction {r['parse_cpu_seconds']} s); "
                  f"{r['citations']} citations of other articles, {r['addition_sentences']} outlets' own sentences")
    if "big" in out:
        b = out["big"]
        for k in ("cold", "one_more_article"):
            r = b[k]  # type: ignore[index]
            print(f"one story of {b['articles']} articles, {k.replace('_', ' ')}: {r['seconds']} s "  # type: ignore[index]
                  f"({r['parsed']} articles analysed, {r['paragraphs_parsed']} paragraphs parsed, "
                  f"{r['cpu_seconds']} s CPU)")


if __name__ == "__main__":
    main()
