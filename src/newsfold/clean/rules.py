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

from ..text import MONTH_NAME, MONTHS, WEEKDAY_STEM, letter_words
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
    r"first|last|originally|modified|on|at|by|" + MONTH_NAME + "|" + WEEKDAY_STEM + "|"
    r"day|time|date|hours?|minutes?|ago|year|days)\b\.?", re.I)


def _stamp_words(s: str) -> list[str]:
    """The words of ``s`` that are not part of a date or time stamp."""
    return letter_words(_STAMP_TOKENS.sub(" ", s))


# _STAMP_TOKENS' words, spelled out: in ASCII text a token is a whole run of word characters (the
# "a.m." forms join single letters, which are no words), so a run is a token when it is one of these,
# or digits with an ordinal suffix or none
_STAMP_WORDS = frozenset(
    "gmt utc et est edt ct cst cdt mt mst mdt pt pst pdt bst cet ist am pm posted updated published first last "
    "originally modified on at by mon tue tues wed wednes thu thurs fri sat satur sun day time date hour hours "
    "minute minutes ago year days".split()) | frozenset(MONTHS)
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
        n += (len(run) > 1) if run.isalpha() else len(letter_words(run))
        if n > most:
            return False
    return True


# --- web-interface lines -------------------------------------------------------------
# What a page's widgets leave in scraped text: the video player, captcha, account, paywall
# and notification dialogs, newsletter and app prompts, social follow lines, interface
# labels and unrendered template fields.  Each expression names a kind of widget text (most
# address the reader: "you", "your", "please", an imperative), never one site's words.
_NETWORK = (r"(?:facebook|twitter|instagram|youtube|google\s*(?:\+|plus)|linkedin|pinterest|snapchat|tumblr|reddit"
            r"|whatsapp|tiktok|flickr|vimeo)")
# the reader addressed: a line of page furniture speaks to "you" or asks "please"
READER = re.compile(r"\b(?:you|your|please)\b", re.I)
VIDEO_PLAYER = re.compile(
    # a player or gallery that needs JavaScript or Flash, or a browser it does not support
    r"(?:^|\bplease )(?:enable|turn on|activate) (?:your )?(?:javascript|flash)\b"
    r"|^this (?:video|clip|slideshow|gallery|player|page|feature|content) requires?\b[^.]{0,20}"
    r"\b(?:javascript|flash)\b"
    r"|\b(?:enable|turn on|activate|requires?|need)\b[^.]{0,40}\b(?:javascript|flash)\b[^.]{0,40}"
    r"\b(?:watch|view|play|see)\b[^.]{0,30}\b(?:video|clip|slideshow|gallery|comments)"
    r"|\bbrowser (?:does not|doesn['’]?t) support\b"
    # trouble playing it, pointers to it, its transcript toggle
    r"|\b(?:trouble|problems?) (?:viewing|watching|playing|loading) (?:the |this )?(?:video|clip|player|slideshow)\b"
    r"|\b(?:scroll|tap|click|swipe|press)(?: down| up| here)? (?:for|to (?:watch|see|view|play)) (?:the |this |a )?"
    r"(?:video|clip|slideshow|gallery)\b"
    r"|\b(?:watch|see|view) (?:the|this) (?:video|clip) (?:here|above|below)\b"
    r"|\b(?:this|the) video is (?:no longer|not|currently not|un)\s?available\b"
    r"|^(?:hide|show) (?:the )?transcript\b", re.I)
CAPTCHA = re.compile(
    r"\bcaptcha\b|\bi(?:['’]m| am) not a robot\b|\bprove (?:that )?you(?:['’]re| are) (?:a )?human\b"
    r"|\banti-?spam (?:device|measure|check|test)\b"
    r"|(?:^|\byou (?:must |need to |should )?|\bplease )(?:enter|type|retype|re-enter) (?:the )?"
    r"(?:characters|letters|code|words?|text|numbers)\b[^.]{0,60}"
    r"\b(?:see|shown|displayed|image|picture|box|above|below|colou?r)\b"
    r"|\b(?:new|different) (?:mix|set|combination) of (?:characters|letters)\b", re.I)
_SIGN_IN = r"(?:sign|log)[- ]?(?:in|on)"
# a sign-in, registration or verification dialog: these say so on their own (three expressions, each
# tried only when the line holds one of its words: see _UI_WORD_FAMILIES)
ACCOUNT_SIGN_IN = re.compile(
    rf"^(?:please )?{_SIGN_IN}(?:\s+(?:using|with|here|now|below|above|to)\b|\s*[:.!]?\s*$)"
    rf"|\bplease (?:{_SIGN_IN}|sign[- ]?up|register)\b"
    rf"|\b{_SIGN_IN}\b[^.]{{0,30}}\b(?:or|and) (?:register|subscribe|sign[- ]?up|create)\b"
    rf"|\b(?:subscribe|register) or {_SIGN_IN}\b"
    rf"|(?:^|[.!?]\s+|\byou (?:must|need to|can|have to) |\bplease |\band )(?:{_SIGN_IN}|sign[- ]?up|register)\b"
    r"[^.]{0,25}\bto (?:continue|keep reading|read|access|view|update your)\b"
    r"|\byou(?:['’]re| are) (?:now |currently |not )?(?:signed|logged) (?:in|out|on)\b", re.I)
ACCOUNT_HAVE = re.compile(
    r"\b(?:already|don['’]?t|do not) have an? (?:\w+ )?(?:account|profile|subscription|login)(?:\s*\?|\s+yet\b)"
    r"|\bif you already have (?:one|an? (?:\w+ )?(?:account|profile|login))\b"
    r"|\bset up your (?:\w+ )?(?:account|profile|login)\b"
    r"|(?:^|[.!?]\s+)(?:already an? (?:\w+ )?(?:subscriber|member|registered user)\b"
    r"|(?:have|got|need) an? (?:\w+ ){0,2}(?:account|subscription|login)\s*\?)"
    r"|\buse your \w+ account\b", re.I)
ACCOUNT_OTHER = re.compile(
    r"(?:^|[.!?]\s+|\bplease )create (?:an|your|a free|a new|one)(?: \w+)? ?(?:account|profile|login|now)\b"
    r"|\bthank you for (?:registering|signing up|subscribing|creating)\b"
    r"|\bactivate your (?:\w+ )?(?:account|profile|subscription|membership)\b"
    r"|\b(?:update|complete|manage|edit) your (?:profile|registration|account)\b"
    r"|\byour registration\b"
    r"|\be-?mail address (?:was|is|has been) (?:not )?(?:supplied|provided|entered|invalid|required)\b"
    # the page telling the signed-in reader their role on it
    r"|\byou(?:['’]re| are) (?:the|an?) (?:owner|author|editor|admin(?:istrator)?|moderator) of this "
    r"(?:article|page|post|story|site)\b", re.I)
# words of such a dialog that need the reader addressed too ("please check your email")
ACCOUNT_READER = re.compile(
    r"\b(?:verification|confirmation|activation) (?:e-?mail|message|link|code)\b"
    r"|\b(?:confirm|modify|enter|supply|provide|verify|re-?enter)\b[^.]{0,25}"
    r"\b(?:e-?mail address|password|user ?name)\b", re.I)
PAYWALL = re.compile(
    r"\b(?:maximum|limit) (?:number )?of (?:free )?(?:stories|articles)\b"
    r"|\b(?:to|for) (?:\w+ )?subscribers only\b"
    r"|\bzip ?code\b[^.]{0,60}\bsubscription\b"
    r"|^(?:want to |ready to )?become an? (?:\w+ ){0,2}subscriber\b"
    r"|(?:^|[.!?]\s+|\bor )(?:subscribe|sign[- ]?up|get|purchase|buy)\b[^.]{0,40}"
    r"\b(?:digital|online|unlimited|full|premium|total|uninterrupted) access\b", re.I)
NOTIFICATION = re.compile(
    r"\b(?:saving|saved|save|update|manage|change|edit) your (?:notifications?|alerts?|preferences|settings)\b"
    r"|\byour (?:\w+ )?(?:notifications?|alerts?|preferences|settings) (?:has|have) been (?:saved|updated|changed)\b"
    r"|\b(?:e-?mail|push|your) notifications? (?:are|is|will be|has been|have been|was) (?:only )?"
    r"(?:sent|saved|delivered|turned)\b"
    # (after a dialog's "Close" button, too)
    r"|(?:^|[.!?:]\s+|\byou (?:can |will )?|\byou['’]ll |\bclick here to |^close\s+)(?:to )?(?:get|receive|turn on)\b"
    r" (?:\w+ ){0,2}(?:notifications?|alerts)\b"
    r"|\bget alerted\b"
    r"|\bdelivered (?:right |straight |directly )?(?:to your (?:e-?mail )?inbox|(?:via|by) e-?mail)\b"
    r"|\b(?:in|to) your (?:e-?mail )?inbox\b"
    r"|^text\s+\W?\w+\W?\s+to\s+\d{4,6}\b", re.I)
NEWSLETTER = re.compile(
    r"\bnewsletters?\b[^.]{0,60}\b(?:sign[- ]?up|subscribe|select|inbox|check the box|submit)"
    r"|\b(?:sign[- ]?up|subscribe|register)\b[^.]{0,50}\b(?:newsletters?|e-?mail alerts?|news alerts?|e-?mails?)\b"
    r"|^(?:sign[- ]?up|subscribe|register)(?: (?:today|now|here|for free|free))?\s*[.!]", re.I)
# imperative at the start of the line or of a sentence, or "click here to": not "police urged residents to ..."
APP_PROMPT = re.compile(r"(?:^|[.!?:>]\s*|\bclick here to )\W*(?:(?:download|get|grab|install|try) (?:the|our)\b"
                        r"|(?:keep up|stay (?:up to date|informed|connected|on top))\b[^.]{0,60}\bwith (?:the|our)\b)"
                        r"[^.]{0,40}\bapps?\b", re.I)
SOCIAL_FOLLOW = re.compile(
    # an invitation to follow, like or join someone on a social network, at the start of the line (after a few
    # words and a comma at most)
    r"^(?:[^.!?]{0,30}[,:]\s*)?\W*(?:please )?(?:follow(?![-\w])|like us|join|find|friend us|connect with|"
    r"keep up with|stay connected with)(?:[^.;]|\.(?=\S)){0,60}\b(?:on|via|at) (?:the )?"
    rf"(?:(?:[^.;]|\.(?=\S)){{0,40}} )?{_NETWORK}\b"
    # the embedded-post widget's words about the reader's own posts
    r"|\b(?:when|if|before) you (?:tweet|post)\b|\byour tweets?\b"
    # a network's name and a handle or profile address, and nothing else
    rf"|^\W*{_NETWORK}\s*:?\s*@\w+\W*$"
    r"|^\W*(?:https?://)?(?:www\.)?(?:twitter|facebook|instagram)\.com/\S+$"
    rf"|^(?:on|via|more on|from) {_NETWORK}\s*:$", re.I)
# lines that open with such an invitation and need no network's name: a promise never to miss a post, and
# "Follow <name>:" over a list of links that did not come along
SOCIAL_START = re.compile(
    r"\W*(?:(?:never|don['’]?t|do not) miss (?:a|another|any)\b[^.]{0,40}"
    r"\b(?:post|tweet|update|story|stories|thing|beat)s?\b"
    r"|follow(?![-\w])[^.!?:]{1,40}:$)", re.I)
_LIST_ITEM = (r"(?:free apps?|apps?|now|iphone|ipad|android|kindle|ios|(?:sms|e-?mail|text) alerts?|e-?mail"
              rf"|newsletters?|rss|{_NETWORK})")
# a line that is only network and app names (after a lead-in that ends in ":"), separated by | , / • or "and"
SOCIAL_LIST = re.compile(rf"^(?:(?:[^:|.!?]|\.(?=\S)){{0,60}}:\s*)?\W*{_LIST_ITEM}"
                         rf"(?:\s*(?:[|,/•·&]|\band\b)\s*{_LIST_ITEM})*\W*$", re.I)
TEMPLATE = re.compile(r"\{\*[^{}]*\}|\{\{[^{}]*\}\}|\{%[^{}]*%\}|\[%[^\]]*%\]|<%[^>]*%>"
                      r"|\[(?:website|site ?name|user ?name|e-?mail(?: address)?)\]", re.I)
# a heading that points to more stories elsewhere, over links that did not come along
MORE_HEADING = re.compile(r"^(?!.*\b(?:below|above|following)\b)\W*"
                          r"(?:read|see|find|get|for|check out|click here for|view|watch) (?:more|the latest|all|other)\b"
                          r"[^.]{0,60}\b(?:stories|news|coverage|articles|headlines|updates|videos|photos)\b.{0,40}:$",
                          re.I)
# a form's field label, marked required or left empty: "Email: *", "Required Last name:"
FORM_FIELD = re.compile(r"^(?:required\s+)?(?:(?:first|last|your|full|recipient'?s?|friend'?s?) )?"
                        r"(?:name|e-?mail(?: address)?|telephone|phone|comments?|passcode|password|message|subject"
                        r"|zip(?: code)?)\s*:\s*(?:\*|$)", re.I)
_UI_LABEL = (r"(?:close|open|like(?: this)?|loading|copy(?: link)?|link|embed|hide|show|transcript|play|pause|replay|mute"
             r"|unmute|enlarge|expand|collapse|full ?screen|text size|a|print|e-?mail|share|reply|vote|(?:view )?results"
             r"|previous|prev|next|menu|search|skip(?: ad)?|back(?: to top)?|(?:load|show|see|view) (?:more|all|less)"
             r"|view (?:gallery|(?:full )?caption)|captions?|cc|settings|more|less|ok|cancel|submit|done|got it|dismiss"
             r"|accept|photos?|videos?|gallery|slideshow|watch(?: now| live| (?:the |this )?(?:video|story|clip))?"
             r"|listen(?: now| live)?"
             r"|link to this (?:video|story|article|page|post)|more (?:videos|photos|stories)"
             rf"|(?:image |photo )?\d+ of \d+|{_NETWORK})")
# a line made only of the labels of buttons and toggles ("Close", "Play | Pause", "Show more  Show less")
UI_LABELS = re.compile(rf"^\W*{_UI_LABEL}(?:[\s|:•·/>.,…()×-]+{_UI_LABEL})*[\W]*$", re.I)
# a video list's entry: its running time, then a title (not a clock time: no a.m./p.m.; no dash or colon after)
VIDEO_LIST = re.compile(r"^\d{1,2}:[0-5]\d\s+(?![ap]\.?m\b)(?![-–—:|])\S", re.I)
# a dialog's short heading or question ("One more step...", "Why do we ask?"): weak, gone only in a block
DIALOG_HEAD = re.compile(r"^[^\"“”'‘’]{1,50}(?:\.\.\.|…|\?|!)$")

# the reasons web_interface gives (and the weak ones of video lists and dialog headings)
WEB_INTERFACE_REASONS = frozenset({
    "video player prompt", "captcha prompt", "account or sign-in dialog", "subscription prompt",
    "alert/notification prompt", "newsletter sign-up", "app download prompt", "social follow line",
    "template placeholder", "form field", "web interface label", "pointer to more stories", "video list entry",
    "dialog heading"})

# the words that each family of rules needs in a line (whole [a-z] words): one set test lets the
# ninety-odd percent of news lines that hold none of them skip every expression below
_UI_WORD_FAMILIES = {
    "video": "video videos javascript flash transcript slideshow gallery browser clip player",
    "captcha": "captcha robot human spam characters letters code",
    "sign_in": "sign signing signed signup login log logged register",
    "account": "account profile subscriber subscription login already member",
    "account_other": "create thank activate profile registration account address owner author editor admin "
                     "administrator moderator",
    "account_reader": "verification confirmation activation confirm modify enter supply provide verify password "
                      "username user address",
    "paywall": "subscribe subscriber subscribers subscription maximum limit access",
    "notify": "notification notifications alert alerts alerted inbox preferences settings",
    "newsletter": "newsletter newsletters sign signup subscribe register",
    "app": "app apps",
    "social": "facebook twitter instagram youtube google linkedin pinterest snapchat tumblr reddit whatsapp tiktok "
              "flickr vimeo tweet tweets",
    "social_start": "miss follow",
}
_UI_FAMILY = {name: frozenset(w.encode("ascii") for w in words.split()) for name, words in _UI_WORD_FAMILIES.items()}
_UI_WORDS = frozenset().union(*_UI_FAMILY.values())
_NOT_AZ = bytes(c if 97 <= c <= 122 else 32 for c in range(256))


def _web_interface_match(s: str, low: str, n: int) -> tuple[str, int] | None:
    """The kind of interface text ``s`` holds and where it starts, or None (see :func:`web_interface`)."""
    if ("{" in s or "[" in s or "<%" in s) and (m := TEMPLATE.search(s)):
        return "template placeholder", m.start()
    words = _UI_WORDS.intersection(low.encode("utf-8", "surrogatepass").translate(_NOT_AZ).split())
    if words:
        fam = _UI_FAMILY
        if n < 250 and not fam["video"].isdisjoint(words) and (m := VIDEO_PLAYER.search(s)):
            return "video player prompt", m.start()
        if n < 250 and not fam["captcha"].isdisjoint(words) and (m := CAPTCHA.search(s)):
            return "captcha prompt", m.start()
        if ((not fam["sign_in"].isdisjoint(words) and (m := ACCOUNT_SIGN_IN.search(s)))
                or (not fam["account"].isdisjoint(words) and (m := ACCOUNT_HAVE.search(s)))
                or (not fam["account_other"].isdisjoint(words) and (m := ACCOUNT_OTHER.search(s)))
                or (not fam["account_reader"].isdisjoint(words) and READER.search(s)
                    and (m := ACCOUNT_READER.search(s)))):
            return "account or sign-in dialog", m.start()
        if not fam["paywall"].isdisjoint(words) and (m := PAYWALL.search(s)):
            return "subscription prompt", m.start()
        if not fam["notify"].isdisjoint(words) and (m := NOTIFICATION.search(s)):
            return "alert/notification prompt", m.start()
        if (not fam["newsletter"].isdisjoint(words) and (m := NEWSLETTER.search(s))
                and (m.start() == 0 or READER.search(s) or "our " in low)):
            return "newsletter sign-up", m.start()
        if not fam["app"].isdisjoint(words) and (m := APP_PROMPT.search(s)):
            return "app download prompt", m.start()
        if not fam["social"].isdisjoint(words):
            if m := SOCIAL_FOLLOW.search(s):
                return "social follow line", m.start()
            if n < 160 and SOCIAL_LIST.match(s):
                return "social follow line", 0
        if not fam["social_start"].isdisjoint(words) and SOCIAL_START.match(s):
            return "social follow line", 0
    if low.startswith("text ") and (m := NOTIFICATION.match(s)):
        return "alert/notification prompt", 0
    if n < 120 and s.endswith(":") and MORE_HEADING.match(s):
        return "pointer to more stories", 0
    if n < 120 and ":" in s and FORM_FIELD.match(s):
        return "form field", 0
    if n < 60 and UI_LABELS.match(s):
        return "web interface label", 0
    return None


# a sentence ends after a lower-case word (not "Co." or "U.S.") and before a capital or a quote
_SENTENCE_SPLIT = re.compile(r"(?<=[a-z0-9)]{2}[.!?])[\"”’']?\s+(?=[A-Z\"“‘])")


def _news_before(head: str) -> bool:
    """Whether ``head``, the part of a line before its interface text, holds a sentence of news: a
    whole sentence of four words or more that neither asks, addresses the reader nor is interface text
    (an interface's own lead-in is a question: "On a mobile device?")."""
    head = head.strip()
    sentences = _SENTENCE_SPLIT.split(head)
    if not head.endswith((".", "!", "?", '"', "”")):
        sentences.pop()  # the start of the interface text's own sentence
    return any(len(sent.split()) >= 4 and not sent.endswith("?") and not READER.search(sent)
               and _web_interface_match(sent, sent.lower(), len(sent)) is None for sent in sentences)


def web_interface(s: str, low: str, n: int) -> Verdict | None:
    """Why ``s`` (stripped; ``low`` lower-cased, ``n`` long) is a web page's interface text, or None.

    Each rule runs behind substring guards: a news line holds none of most of their words.  A line
    whose interface text follows a sentence of news ("No arrests were made. Download our app ...")
    stays whole: the cleaner removes lines, and news is never removed with them."""
    if n >= 400:
        # a long line goes only for an unrendered template field ("{* field *}", "{{ field }}")
        return Verdict("template placeholder") if ("{" in s or "<%" in s) and TEMPLATE.search(s) else None
    found = _web_interface_match(s, low, n)
    if found is None:
        return None
    reason, start = found
    if start >= 20 and _news_before(s[:start + 1] if s[start] in ".!?" else s[:start]):
        return None
    return Verdict(reason)


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
    ui = web_interface(s, low, n)
    if ui is not None:
        return ui
    # weak: only inside a block of boilerplate
    if n < 160 and s[0].isdigit() and not s.endswith(".") and VIDEO_LIST.match(s):
        return Verdict("video list entry", strong=False)
    if (n < 200 and " by" in low and (not low.isascii() or "maintained" in low or "powered" in low
                                      or "developed" in low or "designed" in low or "hosted" in low
                                      or "managed" in low) and SITE_CREDIT.search(low)):
        return Verdict("site credit", strong=False)
    if n < 90 and is_date_only(s):
        return Verdict("date line", strong=False)
    if n < 120 and not s.endswith(_SENTENCE_END) and len(s.split()) <= 16:
        return Verdict("headline in a related-articles block", strong=False)
    if n < 50 and DIALOG_HEAD.match(s) and len(s.split()) <= 6:
        return Verdict("dialog heading", strong=False)
    return None
