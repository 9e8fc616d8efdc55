"""Line rules: which lines of extracted text are boilerplate, and why.

Each rule is general (it describes a kind of line, never a particular site's
words).  A *strong* rule removes a line wherever it is; a *weak* rule removes
it only inside a boilerplate block, i.e. next to a line already removed,
because on its own such a line could be news (a short headline-like line,
"developed by ...").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .dates import is_date_only

# --- markdown -----------------------------------------------------------------
MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
MD_BOLD = re.compile(r"(\*\*|__)(.+?)\1")
MD_EMPH = re.compile(r"(?<![\w*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![\w*])")
MD_RULE = re.compile(r"^\s*([-*_=])(\s*\1){2,}\s*$")
ONLY_LINK = re.compile(r"^\W*\[[^\]]+\]\([^)]*\)\W*$")
ANGLE_URL = re.compile(r"<(https?://[^>\s]+)>")


def strip_markdown(line: str) -> str:
    """Markdown marks → plain text: headings, bold/italics, links become their text."""
    if not ("*" in line or "_" in line or "[" in line or "#" in line or "!" in line):
        return line.strip()
    s = MD_IMAGE.sub("", line)
    s = MD_HEADING.sub("", s)
    s = MD_LINK.sub(r"\1", s)
    for _ in range(2):
        s = MD_BOLD.sub(r"\2", s)
    s = MD_EMPH.sub(r"\1", s)
    return s.strip()


# --- rules ------------------------------------------------------------------------
_TLD = r"(?:com|org|net|gov|edu|info|news|io|co|ru|uk|de|fr|it|es|in|cn|jp|au|ca|us|eu|tv|me|int)"
URL_ONLY = re.compile(r"^<?(?:https?://|www\.)\S+>?$", re.I)
SITE_NAME = re.compile(rf"^[\w-]+(?:\.[\w-]+)*\.{_TLD}$", re.I)
SOURCE_LINK = re.compile(r"^(original|source|article|canonical|story|full)\s*(url|link|article)\s*:?\s*(\S+)?$", re.I)
COPYRIGHT = re.compile(r"©|\(c\)\s*\d{4}|\bcopyright\b|\ball rights reserved\b|\brights reserved\b", re.I)
SITE_CREDIT = re.compile(r"\b(maintained|powered|developed|designed|hosted|managed)\s+(and\s+\w+\s+)?by\b", re.I)
TIMESTAMP = re.compile(
    r"(?:gmt|utc)\s*\d{1,2}:\d{2}\b|\b\d{1,2}:\d{2}\s*(?:am|pm)?\s*(?:gmt|utc|[ecmp][sd]?t|bst|cet|ist)\b"
    r"|\b\d+\s+(?:minutes?|mins?|hours?|hrs?|days?|weeks?)\s+ago\b|\b\d+\s+min(?:ute)?s?\s+read\b", re.I)
COMMENT = re.compile(
    r"^(no comments?|\d+ comments?|comments?(\s*\(\d+\))?|post a comment|leave a (comment|reply)|add (a |your )?comment"
    r"|send (us )?your comments?|your comment( as a (visitor|guest))?|write a comment|show comments|view comments"
    r"|join the (discussion|conversation)|comment on this (story|article)|be the first to comment"
    r"|(log|sign) in to comment|comments are closed|reply)\s*[:.!]?$", re.I)
SHARE = re.compile(
    r"^(share( this( article| story| post)?)?( on \w+)?|tweet|email|e-mail|print|whatsapp|facebook|twitter|linkedin"
    r"|reddit|pinterest|telegram|copy link|follow us( on .{0,40})?|follow @\w+|like us on \w+"
    r"|subscribe( now| today| for .{0,40}| to .{0,40})?|sign up( now| for .{0,60}| to .{0,60})?"
    r"|get (our|the) newsletter|click here to .{0,80})\s*[.!:]?$", re.I)
SHARE_ANY = re.compile(r"\b(subscribe to our|sign up for our|follow us on|share this (article|story)|"
                       r"newsletter sign[- ]up|download our app)\b", re.I)
RELATED_HEAD = re.compile(
    r"^(you (may|might) (also )?(like|enjoy|be interested in)|related( articles?| stories| news| coverage| content"
    r"| posts| links| reading)?|read (more|also|next)|also read|see also|more (from|on|stories|news)\b.{0,40}"
    r"|recommended( for you| stories| reading)?|most (read|popular|viewed|shared)|trending( now| stories)?"
    r"|top stories|latest (news|stories)|editor'?s picks|what to read next|don'?t miss|further reading)\s*[:.\-–—]*$",
    re.I)
RELATED_LINE = re.compile(r"^(related( article| story| link| coverage| content)?s?|read (more|also)|also read|see also"
                          r"|more|watch|listen|recommended|opinion)\s*:\s*\S", re.I)
PHOTO = re.compile(
    r"^\(?(photo|image|picture|pic|photograph|illustration|graphic|video|file photo|main image|top image)s?"
    r"(\s*credit)?s?\s*(:|/|by\b|courtesy\b|\||—|–)"
    r"|\b(getty images|afp photo|ap photo|reuters/|shutterstock|file photo|via getty|photo credit|epa-efe|pool photo)\b",
    re.I)
AD = re.compile(r"^(advertisement|advertising|advert|sponsored( content| post)?|ad|ads|promoted( content)?"
                r"|story continues below( advertisement)?|article continues below|continue reading( below| the main story)?"
                r"|scroll (down )?to continue( reading)?|paid (content|post|partner content))\s*[.:]?$", re.I)
PUNCT_ONLY = re.compile(r"^[\W_]+$")
CLOCK = re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?", re.I)
_STAMP_TOKENS = re.compile(
    r"\b(?:\d+(?:st|nd|rd|th)?|gmt|utc|[ecmp][sd]?t|bst|cet|ist|et|[ap]\.?m\.?|am|pm|posted|updated|published|"
    r"first|last|originally|modified|on|at|by|jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|"
    r"aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|"
    r"sat(?:ur)?|sun|day|time|date|hours?|minutes?|ago|year|days)\b\.?", re.I)

_LETTER_WORD = re.compile(r"[A-Za-z]{2,}")


def _stamp_words(s: str) -> list[str]:
    """The words of ``s`` that are not part of a date or time stamp."""
    return _LETTER_WORD.findall(_STAMP_TOKENS.sub(" ", s))


# _STAMP_TOKENS' words, spelled out: in ASCII text a token is a whole run of word characters (the
# "a.m." forms join single letters, which are no words), so a run is a token when it is one of these,
# or digits with an ordinal suffix or none
_STAMP_WORDS = frozenset(
    "gmt utc et est edt ct cst cdt mt mst mdt pt pst pdt bst cet ist am pm posted updated published first last "
    "originally modified on at by jan january feb february mar march apr april may jun june jul july aug august "
    "sep sept sepember september oct october nov november dec december mon tue tues wed wednes thu thurs fri sat "
    "satur sun day time date hour hours minute minutes ago year days".split())
_ORDINAL = frozenset(("st", "nd", "rd", "th"))
_ASCII_WORD_RUN = re.compile(r"[A-Za-z0-9_]+")


def _few_stamp_words(s: str, most: int = 2) -> bool:
    """``len(_stamp_words(s)) <= most``, stopping at the first word over: a sentence that holds
    a clock time is settled after a few words instead of rewriting the whole line."""
    if not s.isascii():
        return len(_stamp_words(s)) <= most
    n = 0
    for run in _ASCII_WORD_RUN.findall(s):
        low = run.lower()
        if low in _STAMP_WORDS or low.isdigit() or (low[-2:] in _ORDINAL and low[:-2].isdigit()):
            continue
        n += (len(run) > 1) if run.isalpha() else len(_LETTER_WORD.findall(run))
        if n > most:
            return False
    return True


@dataclass
class Verdict:
    reason: str
    strong: bool = True


# the whole-line rules for short lines, as one expression whose branches are tried in this order
_SHORT_RULES: list[tuple[re.Pattern[str], str]] = [
    (PUNCT_ONLY, "separator line"), (SITE_NAME, "photo credit (a bare site name)"), (COMMENT, "comment prompt"),
    (SHARE, "share/follow/subscribe prompt"), (RELATED_HEAD, "related-articles block"),
    (AD, "advertisement marker")]
_SHORT = re.compile("|".join(f"(?P<r{i}>(?{'i' if p.flags & re.I else ''}:{p.pattern}))"
                             for i, (p, _) in enumerate(_SHORT_RULES)))
_SHORT_REASON = {f"r{i}": reason for i, (_, reason) in enumerate(_SHORT_RULES)}
# how a line that COMMENT, SHARE, RELATED_HEAD or AD matches can begin (lower case; or with a digit)
_SHORT_STARTS = (
    "no ", "comment", "post ", "leave ", "ad", "send ", "your ", "write ", "show ", "view ", "join ", "be ", "log ",
    "sign ", "reply", "share", "tweet", "email", "e-mail", "print", "whatsapp", "facebook", "twitter", "linkedin",
    "reddit", "pinterest", "telegram", "copy ", "follow ", "like ", "subscribe", "get ", "click ", "you ", "related",
    "read ", "also ", "see ", "more ", "recommended", "most ", "trending", "top ", "latest ", "editor", "what ", "don",
    "further ", "sponsored", "promoted", "story ", "article ", "continue ", "scroll ", "paid ")
# every TIMESTAMP and CLOCK match holds a digit before ":" and two digits, or before spaces and a unit
_STAMP_HINT = re.compile(r"\d(?::\d\d|\s+(?:min|hour|hr|day|week))", re.I)
_SENTENCE_BREAK = re.compile(r"[.!?][\"”]?\s")
_SENTENCE_END = (".", "?", "!", '"', "”", ":")


def classify(line: str, raw: str) -> Verdict | None:
    """Why ``line`` (markdown already stripped; ``raw`` as received) is boilerplate, or None.

    Cheap guards run before each regular expression: most lines are news and
    must cost little.  A guard names substrings of which the line must hold one
    for the expression to match (an ``in`` test costs far less than a search,
    and a one-character test, a memchr, far less than a longer one: where it
    can, a guard asks for a rare character or pair before the words that hold it).
    """
    s = line.strip()
    if not s:
        return None
    n = len(s)
    low = s.lower()
    raw_s = raw.strip()
    if n < 80:
        # the first of _SHORT_RULES that matches (lastgroup: its branch); an ASCII line that opens with a
        # letter, is not one dotted word and opens with none of their words cannot match
        sm = (_SHORT.match(s) if (not low.isascii() or not s[0].isalnum() or s[0].isdigit()
                                  or ("." in s and " " not in s) or low.startswith(_SHORT_STARTS)) else None)
        if ((sm is not None and sm.lastgroup == "r0")
                or (raw_s.startswith(("-", "*", "_", "=")) and MD_RULE.match(raw))):
            return Verdict("separator line")
        if sm is not None:
            return Verdict(_SHORT_REASON[sm.lastgroup or ""])
    if ("http" in low or "www." in low) and (URL_ONLY.match(s) or URL_ONLY.match(raw_s)):
        return Verdict("bare URL")
    if (not low.isascii() or "url" in low or "link" in low or "article" in low) and SOURCE_LINK.match(s):
        return Verdict("original/source URL line")
    if (n < 300 and ("©" in low or ("(" in low and "(c)" in low)
                     or ("right" in low and ("copyright" in low or "rights reserved" in low)))
            and COPYRIGHT.search(s)):
        return Verdict("copyright footer")
    if (n < 160 and ("subscribe" in low or "sign up" in low or "follow us" in low or "share this" in low
                     or "newsletter" in low or "download our" in low) and SHARE_ANY.search(s)):
        return Verdict("share/follow/subscribe prompt")
    if n < 300 and ":" in s and RELATED_LINE.match(s):
        return Verdict("related-article link")
    if n < 200 and raw_s.startswith(("[", "*", "_", "(")) and ONLY_LINK.match(raw_s):
        return Verdict("link to another article")
    if (n < 200 and (("ph" in low and ("photo" in low or "graphic" in low)) or "image" in low or "pic" in low
                     or "getty" in low or "credit" in low or "video" in low or "illustration" in low
                     or ("/" in low and "reuters/" in low) or "shutterstock" in low
                     or ("-" in low and "epa-efe" in low)) and PHOTO.search(s)):
        return Verdict("photo credit")
    if n < 220 and (":" in s or "ago" in low or "read" in low) and _STAMP_HINT.search(s):
        ts = TIMESTAMP.search(s)
        m = ts or CLOCK.search(s)
        if m is not None:
            if _few_stamp_words(s):
                return Verdict("date/time stamp")
            before = s[:m.start()].rstrip(" ,|-–—")
            if (ts and not _SENTENCE_BREAK.search(before)
                    and not before.endswith(_SENTENCE_END) and not s.endswith((".", "?", "!"))):
                return Verdict("related headline with timestamp")
    # weak: only inside a block of boilerplate
    if (n < 200 and " by" in low and (not low.isascii() or "maintained" in low or "powered" in low
                                      or "developed" in low or "designed" in low or "hosted" in low
                                      or "managed" in low) and SITE_CREDIT.search(low)):
        return Verdict("site credit", strong=False)
    if n < 90 and is_date_only(s):
        return Verdict("date line", strong=False)
    if n < 120 and not s.endswith(_SENTENCE_END) and len(s.split()) <= 16:
        return Verdict("headline in a related-articles block", strong=False)
    return None
