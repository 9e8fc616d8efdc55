"""The cleaning rules on articles they were not written for (real ECB+ news text in
page furniture of other shapes than the seeds'), and learned per-outlet boilerplate."""

from __future__ import annotations

import json

import pytest

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


# a local-news page as a scraper leaves it, written for this test: the story, and around it the page's
# video player, share and follow lines, newsletter box, sign-in and alert dialogs and a captcha
_SCRAPED_PAGE_NEWS = [
    "Two men were wounded in a shooting outside a convenience store in Millbrook late Saturday, police said.",
    "Officers found both men in the parking lot shortly after 11 p.m. and took them to Riverside General Hospital.",
    "UPDATE: Police said Sunday that both men were in stable condition.",
    "The investigation is ongoing.",
    "No arrests have been made.",
    "The Associated Press contributed to this report.",
]
_SCRAPED_PAGE_INTERFACE = {
    "Turn on JavaScript in your browser to play this clip.": "video player prompt",
    "Show transcript Hide transcript": "video player prompt",
    "Type the letters shown in the image to prove you are human.": "captcha prompt",
    "Like · Loading…": "web interface label",
    "Close": "web interface label",
    "Join the discussion on our Facebook page": "social follow line",
    "Keep up to date: follow Channel 9 News on Instagram": "social follow line",
    "Follow Channel 9 News: Instagram | YouTube | Facebook": "social follow line",
    "Get the morning briefing delivered to your inbox. Sign up now.": "alert/notification prompt",
    "Your alert preferences have been saved.": "alert/notification prompt",
    "See more local stories on example.com:": "pointer to more stories",
    "Welcome back! Please log in.": "account or sign-in dialog",
    "Don't have an account yet? Register here.": "account or sign-in dialog",
    "A confirmation link has been sent to your inbox; click it to verify your address.": "account or sign-in dialog",
    "You are now signed in.": "account or sign-in dialog",
    "You are an editor of this page.": "account or sign-in dialog",
    "We sent an email to {* emailAddress *}.": "template placeholder",
    "Get the Channel 9 News app for iPhone and Android": "app download prompt",
}


def _clean_text(text, title=None):
    from newsfold.models import RawDocument

    out = Cleaner().clean(RawDocument(ref="test", text=text, title=title, outlet="Channel 9 News"))
    assert out.article is not None, out.error
    return out.article


def test_web_interface_lines_of_a_scraped_page_go_and_the_news_stays():
    from newsfold.clean.rules import WEB_INTERFACE_REASONS

    ui = list(_SCRAPED_PAGE_INTERFACE)
    news = _SCRAPED_PAGE_NEWS
    # the interface around, between and under the story, as pages put it
    lines = [ui[0], news[0], ui[1], news[1], ui[2], news[2], news[3], ui[3], news[4], news[5], *ui[4:]]
    a = _clean_text("\n\n".join(lines), title="Two men wounded in Millbrook shooting")
    assert {r.line: r.reason for r in a.removed} == _SCRAPED_PAGE_INTERFACE
    assert set(_SCRAPED_PAGE_INTERFACE.values()) <= WEB_INTERFACE_REASONS
    assert a.text.split("\n\n") == news


def test_news_sentences_that_mention_the_web_stay():
    """Sentences of news that speak of videos, accounts, alerts, sign-ups and social networks are not
    the interface that offers them."""
    from newsfold.clean.rules import classify

    news = [
        "A video posted online shows the gunman walking into the store.",
        "Investigators are reviewing surveillance video from nearby businesses.",
        "Police urged residents to sign up for emergency alerts on the county website.",
        "Residents will receive emergency alerts on their phones during the search.",
        "The school sent email notifications to parents after the lockdown was lifted.",
        "A notification was sent to parents on Tuesday.",
        "The suspect had already been a member of the gang for two years, police said.",
        "The shooter was already a member of the club, a spokesman said.",
        "Investigators were able to get full access to the suspect's phone.",
        "Detectives said the victim's Facebook account was used to arrange the meeting.",
        "The sheriff's office posted the suspect's photo on Twitter and asked for tips.",
        "He signed in at the front desk minutes before the shooting.",
        "Follow-up interviews with witnesses continued on Monday.",
        "Like many neighbors on Facebook, she posted a photo of the memorial.",
        '"We don\'t have a bank account," his mother said.',
        "The family needs an account of what happened that night.",
        "The suspect would create a new profile on dating sites, prosecutors said.",
        "Officers had to enter the code shown on the keypad to open the gate.",
        "The bomb squad sent a robot into the house.",
        "The church newsletter asked members to pray for the family.",
        "Residents can sign up online to access the victims' fund.",
        "Close to 200 people gathered for the vigil.",
        "More than a dozen shots were fired, witnesses said.",
        "UPDATE: Police identified the victim as a 24-year-old man.",
        "No arrests have been made.",
        "The investigation is ongoing.",
        "The Associated Press contributed to this report.",
    ]
    for line in news:
        assert classify(line, line) is None, line
    a = _clean_text("\n".join(news))
    assert a.removed == [] and a.text.split("\n") == news


def test_a_prompt_after_a_news_sentence_keeps_its_line():
    """The cleaner removes whole lines: a line that opens with news and ends in a prompt stays whole."""
    line = "No arrests were made. Get the Channel 9 News app for alerts on this story."
    a = _clean_text("Two people were shot on Main Street on Friday, police said.\n" + line)
    assert a.removed == [] and line in a.text
    # the prompt alone goes
    b = _clean_text("Two people were shot on Main Street on Friday, police said.\n"
                    "Get the Channel 9 News app for alerts on this story.")
    assert [r.reason for r in b.removed] == ["app download prompt"]


def test_a_video_list_goes_only_as_a_list():
    """Entries of a video list open with a running time: three in a row are a list and go; one such line
    alone stays (it could be a live report's time)."""
    story = "A man was shot outside a bar early Sunday, police said."
    playlist = ["1:42 Firefighters rescue a dog from a frozen pond", "0:58 Council votes on the new budget",
                "2:15 High school band wins state title"]
    a = _clean_text("\n".join([story, *playlist]))
    assert a.text == story and {r.reason for r in a.removed} == {"video list entry"}
    b = _clean_text("\n".join([story, playlist[0]]))
    assert b.removed == []


@pytest.mark.slow
def test_gva_pages_lose_their_web_interface_but_no_news_sentence():
    """The Gun Violence Archive development articles (scraped pages, read from the shared data beside the
    repository, never copied into it): after cleaning, few articles keep a web-interface line, and no plain
    news sentence goes as web interface."""
    import re

    import pytest
    from nfpaths import GVA_DEV

    from newsfold.clean.rules import WEB_INTERFACE_REASONS
    from newsfold.models import RawDocument

    if not GVA_DEV.exists():
        pytest.skip(f"{GVA_DEV} is absent")
    # the interface lines this test looks for, written apart from the cleaner's rules
    interface = re.compile(
        r"\bjavascript\b|\bcaptcha\b|\bflash player\b|\btranscript\b.*\btranscript\b"
        r"|\b(?:sign|log)[- ]?in\b.*\b(?:register|account|profile)\b|\bverification (?:e-?mail|message)\b"
        r"|\bactivate your (?:account|profile)\b|\bnotifications?\b.*\b(?:saved|sent|daily)\b|\{\*"
        r"|^follow\b[^.]*:|\b(?:facebook|twitter|instagram)\s*\|\s*(?:facebook|twitter|instagram)\b"
        r"|\bnewsletters?\b.*\bsign[- ]?up\b|\bsign[- ]?up\b.*\bnewsletters?\b"
        r"|^(?:like|close|copy link)\b\W*(?:like|loading|copy)?\W*$"
        r"|\b(?:have|create) an account\b|\bthank you for (?:registering|signing up|subscribing)\b", re.I)
    # plain news sentences: long, ending in a full stop, about the shooting, with no web word in them
    web_word = re.compile(r"\b(?:you|your|please|click|here|sign|subscri\w*|regist\w*|log|apps?|e-?mail|facebook|twitter"
                          r"|instagram|video|javascript|follow|download|alerts?|newsletter|account|inbox|copyright|photo)\b",
                          re.I)
    news_word = re.compile(r"\b(?:police|said|shot|shooting)\b", re.I)
    cleaner = Cleaner()
    articles = with_interface = interface_removed = plain = 0
    lost = []
    with open(GVA_DEV, encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            out = cleaner.clean(RawDocument(ref=rec["id"], text=rec["text"], title=rec["title"], url=rec["url"],
                                            published=rec["published"], outlet=rec["outlet"]))
            sentences = {s.strip() for s in (rec["text"] or "").split("\n")
                         if len(s.split()) >= 8 and s.strip().endswith(".") and news_word.search(s)
                         and not web_word.search(s)}
            plain += len(sentences)
            if out.article is None:
                lost += [(s, out.error) for s in sentences]
                continue
            articles += 1
            with_interface += any(interface.search(s.strip()) for s in out.article.text.split("\n"))
            for r in out.article.removed:
                if r.reason in WEB_INTERFACE_REASONS:
                    interface_removed += 1
                    if r.line in sentences:
                        lost.append((r.line, r.reason))
    assert articles > 5000 and plain > 20000
    assert interface_removed > 500  # the cleaner had interface to remove (6.6% of the articles kept some before)
    assert with_interface / articles < 0.005, with_interface
    assert lost == []


def test_a_title_loses_the_site_name_after_its_last_separator_only_when_it_names_the_site() -> None:
    """`Headline - WXYZ 9 News, City` from wxyz.com keeps `Headline`; a separator inside a headline stays."""
    from newsfold.clean import Cleaner
    from newsfold.models import RawDocument

    def title(t: str, url: str) -> tuple[str | None, list[str]]:
        a = Cleaner().clean(RawDocument(ref="t", text="A man was shot on Main Street on Monday, police said.",
                                        title=t, url=url)).article
        assert a is not None
        return a.title, [r.line for r in a.removed if r.reason == "site name in title"]

    assert title("Man shot on Main Street - WXYZ 9 News Springfield, Weather, Sports",
                 "https://www.wxyz.com/news/1") == ("Man shot on Main Street", ["WXYZ 9 News Springfield, Weather, Sports"])
    assert title("Police: man shot on Main Street :: WXYZ.com", "https://wxyz.com/a") == \
        ("Police: man shot on Main Street", ["WXYZ.com"])
    # the last segment names another site, or the headline would be too short: the title stays whole
    assert title("Man shot on Main Street - Springfield news", "https://www.wxyz.com/a")[0] == \
        "Man shot on Main Street - Springfield news"
    assert title("Police: man shot", "https://police.example/a")[0] == "Police: man shot"
