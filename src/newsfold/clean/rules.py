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


@dataclass
class Verdict:
    reason: str
    strong: bool = True


# every TIMESTAMP and CLOCK match holds a digit before ":" and two digits, or before spaces and a unit
_STAMP_HINT = re.compile(r"\d(?::\d\d|\s+[mhdw])", re.I)
_SENTENCE_BREAK = re.compile(r"[.!?][\"”]?\s")
_SENTENCE_END = (".", "?", "!", '"', "”", ":")


def classify(line: str, raw: str) -> Verdict | None:
    """Why ``line`` (markdown already stripped; ``raw`` as received) is boilerplate, or None.

    Cheap guards run before each regular expression: most lines are news and
    must cost little.  A guard names substrings of which the line must hold one
    for the expression to match (an ``in`` test costs far less than a search).
    """
    s = line.strip()
    if not s:
        return None
    n = len(s)
    low = s.lower()
    raw_s = raw.strip()
    if n < 80:
        if PUNCT_ONLY.match(s) or MD_RULE.match(raw):
            return Verdict("separator line")
        if SITE_NAME.match(s):
            return Verdict("photo credit (a bare site name)")
        if COMMENT.match(s):
            return Verdict("comment prompt")
        if SHARE.match(s):
            return Verdict("share/follow/subscribe prompt")
        if RELATED_HEAD.match(s):
            return Verdict("related-articles block")
        if AD.match(s):
            return Verdict("advertisement marker")
    if ("http" in low or "www." in low) and (URL_ONLY.match(s) or URL_ONLY.match(raw_s)):
        return Verdict("bare URL")
    if SOURCE_LINK.match(s):
        return Verdict("original/source URL line")
    if (n < 300 and ("©" in low or "copyright" in low or "rights reserved" in low or "(c)" in low)
            and COPYRIGHT.search(s)):
        return Verdict("copyright footer")
    if (n < 160 and ("subscribe" in low or "sign up" in low or "follow us" in low or "share this" in low
                     or "newsletter" in low or "download our" in low) and SHARE_ANY.search(s)):
        return Verdict("share/follow/subscribe prompt")
    if n < 300 and ":" in s and RELATED_LINE.match(s):
        return Verdict("related-article link")
    if n < 200 and raw_s.startswith(("[", "*", "_", "(")) and ONLY_LINK.match(raw_s):
        return Verdict("link to another article")
    if (n < 200 and ("photo" in low or "image" in low or "pic" in low or "getty" in low or "credit" in low
                     or "video" in low or "graphic" in low or "illustration" in low or "reuters/" in low
                     or "shutterstock" in low or "epa-efe" in low) and PHOTO.search(s)):
        return Verdict("photo credit")
    if n < 220 and (":" in s or "ago" in low or "read" in low) and _STAMP_HINT.search(s):
        m = TIMESTAMP.search(s) or CLOCK.search(s)
        if m is not None:
            words = _stamp_words(s)
            if len(words) <= 2:
                return Verdict("date/time stamp")
            before = s[:m.start()].rstrip(" ,|-–—")
            if (TIMESTAMP.search(s) and not _SENTENCE_BREAK.search(before)
                    and not before.endswith(_SENTENCE_END) and not s.endswith((".", "?", "!"))):
                return Verdict("related headline with timestamp")
    # weak: only inside a block of boilerplate
    if (n < 200 and " by" in low and ("maintained" in low or "powered" in low or "developed" in low
                                      or "designed" in low or "hosted" in low or "managed" in low)
            and SITE_CREDIT.search(low)):
        return Verdict("site credit", strong=False)
    if n < 90 and is_date_only(s):
        return Verdict("date line", strong=False)
    if n < 120 and not s.endswith(_SENTENCE_END) and len(s.split()) <= 16:
        return Verdict("headline in a related-articles block", strong=False)
    return None
