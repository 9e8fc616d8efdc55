"""The cleaning rules on articles they were not written for (real ECB+ news text in
page furniture of other shapes than the seeds'), and learned per-outlet boilerplate."""

from __future__ import annotations

import json

from newsfold.clean import Cleaner
from newsfold.ingest import ingest_records
from newsfold.read import iter_documents


def _clean(path):
    [raw] = list(iter_documents([str(path)]))
    out = Cleaner().clean(raw)
    assert out.article is not None, out.error
    return out.article


def test_wire_copy_in_markdown_page(tmp_path):
    from nfpaths import TEST_DATA

    a = _clean(TEST_DATA / "unseen" / "rehab_wire.md")
    reasons = {r.line: r.reason for r in a.removed}
    assert a.title == "Tara Reid checks into rehab, publicist says"
    assert a.outlet == "Associated Press" and a.meta["author"] == "Jane Whitfield"
    assert a.place == "LOS ANGELES"
    # the dateline goes, the sentence it opened stays
    assert a.text.startswith("A publicist says Tara Reid has checked herself into rehab.")
    assert reasons["Photo: Getty Images / File"] == "photo credit"
    assert reasons["ADVERTISEMENT"] == "advertisement marker"
    assert reasons["Share this story"].startswith("share")
    assert reasons["Most Popular"] == "related-articles block"
    assert reasons["Lakers edge Celtics in overtime thriller 2 hours ago"] == "related headline with timestamp"
    assert reasons["12 Comments"] == "comment prompt"
    assert any(r == "image" for r in reasons.values())
    assert any(line.startswith("Copyright 2008") for line in reasons)
    for kept in ("Jack Ketsoyan said Friday", "Her film credits include", "privacy at this time"):
        assert kept in a.text
    for gone in ("Getty", "ADVERTISEMENT", "Lakers", "Copyright", "Comments", "Follow us", "Read more", "!["):
        assert gone not in a.text


def test_blog_post_with_plain_text_furniture():
    from nfpaths import TEST_DATA

    a = _clean(TEST_DATA / "unseen" / "quake_blog.txt")
    assert a.published == "2008-12-22" and a.published_source == "dateline"
    removed = [r.line for r in a.removed]
    assert "Five things to pack in an earthquake kit" in removed  # a related headline, inside its block
    assert "Powered by WordPress" in removed and "Leave a Reply" in removed
    # a short headline-like line between news paragraphs is news, not boilerplate
    assert "Subheading: aftershocks felt across the region" in a.text
    assert a.text.rstrip().endswith("followed within the hour.")


def test_ecbplus_articles_lose_no_news_sentence(ecbplus_path):
    """Real news with one sentence per line, many short ('I partied.'): what goes is page
    furniture (date and time stamps, separators), never a news sentence."""
    import re

    from newsfold.read.records import record_to_raw

    c = Cleaner()
    lost = []
    with open(ecbplus_path, encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            rec = json.loads(line)
            out = c.clean(record_to_raw({"text": rec["text"]}, f"ecb:{i}"))
            assert out.article is not None
            lost += [(r.line, r.reason) for r in out.article.removed]
    assert lost, "ECB+ pages carry date stamps: some lines must go"
    for line, reason in lost:
        sentence_like = len(line.split()) >= 10 and re.search(r"[a-z]{3,}[.!?\"”]$", line)
        assert not sentence_like, (line, reason)
    stamps = sum(reason in ("date/time stamp", "date line", "dateline") for _, reason in lost)
    assert stamps / len(lost) > 0.8


def test_lines_an_outlet_repeats_are_learned_not_listed(store):
    """A sign-off that one outlet puts under every article goes once it is seen in 3 of them;
    the same sentence from a different outlet, seen once, stays."""
    texts = [
        "The central bank raised interest rates by a quarter point on Tuesday.\nInflation was 3.1 percent.",
        "A ferry carrying 200 people ran aground off the island on Wednesday.\nNo one was hurt.",
        "The city council approved the new stadium on Thursday after a long debate.\nWork starts in May.",
    ]
    footer = "Reporting by the Example Bureau desk; send tips to the newsroom"
    recs = [{"id": f"x{i}", "outlet": "Example Daily", "text": t + "\n" + footer} for i, t in enumerate(texts)]
    recs.append({"id": "y0", "outlet": "Other Paper", "text": "Snow closed the mountain pass on Friday.\n" + footer})
    ingest_records(store, recs)
    for i in range(3):
        a = store.get_article(f"x{i}")
        assert footer not in a.text
        assert a.removed[-1].reason == "repeats across 3 articles of Example Daily"
    assert footer in store.get_article("y0").text
