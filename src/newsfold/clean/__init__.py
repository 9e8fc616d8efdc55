"""Cleaning: raw extracted text → :class:`Article`, every removed line with its reason.

Rules live in :mod:`.rules` (boilerplate kinds), :mod:`.byline` (bylines,
datelines → metadata), :mod:`.dates` (where the date comes from) and
:mod:`.repeats` (lines an outlet repeats across its articles, learned from
the corpus).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit, parse_qsl, urlencode

from ..models import Article, DateSource, RawDocument, RemovedLine, storable_text
from .byline import BYLINE_FIRST, Byline, parse_byline, parse_dateline
from ..text import FUNCTION_WORDS, find_full_date, parse_date
from .dates import date_from_url, is_date_only
from .rules import ANGLE_URL, classify, strip_markdown

__all__ = ["Cleaner", "CleanOutcome", "normalize_text", "content_hash", "normalize_url", "article_id_for"]

# reasons that mark a block of boilerplate, next to which weak lines go too
BLOCK_REASONS = {"related-articles block", "related headline with timestamp", "copyright footer", "comment prompt",
                 "share/follow/subscribe prompt", "related-article link", "link to another article", "site credit",
                 "advertisement marker", "original/source URL line", "bare URL",
                 # the dialogs of a page's account and alert widgets: their headings and buttons go with them
                 "account or sign-in dialog", "subscription prompt", "alert/notification prompt", "newsletter sign-up",
                 "template placeholder", "captcha prompt", "form field"}
# a run of this many weak video-list entries is a video list on its own
VIDEO_LIST_RUN = 3
_BLANK_RUN = re.compile(r"\n{3,}")
# C0 control characters but tab and newline (carriage returns are newlines by then), and DEL
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_CONTROL_REASON = "control characters removed"
HEAD_ZONE = 4  # bylines, datelines and date lines are looked for in the first lines


_NON_WORD = re.compile(r"[^\w\s]+")
# the ASCII characters _NON_WORD removes, deleted from UTF-8 bytes at C speed (other characters
# are two bytes or more, all over 0x7f, so the deletion leaves them whole)
_ASCII_NON_WORD = bytes(c for c in range(128) if _NON_WORD.match(chr(c)))
_ASCII = bytes(range(128))
_ASCII_SPACES = bytes(32 if chr(c).isspace() and c < 128 else c for c in range(256))  # what str.split splits on


def normalize_text(text: str) -> str:
    """Case, punctuation, spacing and Unicode forms removed: the text as a hash sees it."""
    t = text.lower() if text.isascii() else unicodedata.normalize("NFKC", text).lower()
    data = t.encode("utf-8", "surrogatepass")
    out = data.translate(None, _ASCII_NON_WORD).decode("utf-8", "surrogatepass")
    if not t.isascii():  # remove the non-ASCII characters _NON_WORD matches, each distinct one once
        for ch in set(data.translate(None, _ASCII).decode("utf-8", "surrogatepass")):
            if _NON_WORD.match(ch):
                out = out.replace(ch, "")
    return " ".join(out.split())


def content_hash(text: str) -> str:
    if text.isascii():  # normalize_text's steps on bytes: whitespace made " ", runs of spaces halved away
        data = text.encode("ascii").lower().translate(_ASCII_SPACES, _ASCII_NON_WORD)
        while b"  " in data:
            data = data.replace(b"  ", b" ")
        return hashlib.sha1(data.strip(b" ")).hexdigest()
    return hashlib.sha1(normalize_text(text).encode("utf-8")).hexdigest()


def normalize_url(url: str) -> str:
    """Scheme/host case, ``www.``, tracking parameters, fragment, trailing slash."""
    try:
        p = urlsplit(url.strip())
    except ValueError:
        return url.strip()
    host = (p.hostname or "").lower().removeprefix("www.")
    query = urlencode(sorted((k, v) for k, v in parse_qsl(p.query) if not k.lower().startswith(("utm_", "fbclid", "gclid"))))
    return urlunsplit(("https" if p.scheme in ("http", "https") else p.scheme, host, p.path.rstrip("/"), query, ""))


_TITLE_SEPARATOR = re.compile(r"\s+(?:[-–—|:]{1,2}|::)\s+")


def _site_labels(outlet: str | None, url: str | None) -> set[str]:
    """The distinctive labels of the article's site name (``wral`` for ``www.wral.com``), lower case."""
    out: set[str] = set()
    for v in (outlet, _domain(url) if url else None):
        if not v:
            continue
        host = v.lower().split("/")[0].split(":")[0].removeprefix("www.")
        labels = host.split(".")
        if len(labels) >= 2:
            labels = labels[:-1]  # the top-level domain names no site
        out.update(lab for lab in labels if len(lab) >= 3)
    return out


def strip_site_name(title: str, outlet: str | None, url: str | None) -> tuple[str, str | None]:
    """A title without its trailing site name (``Teen shot downtown - WXYZ 9 News City``): the last segment
    after a separator goes when it names the article's own site (its host name shows in it)."""
    labels = _site_labels(outlet, url)
    seps = list(_TITLE_SEPARATOR.finditer(title)) if labels else []
    if not seps:
        return title, None
    last = seps[-1]
    head, tail = title[: last.start()].strip(), title[last.end():]
    squeezed = re.sub(r"[^a-z0-9]", "", tail.lower())
    if len(head) < 10 or not any(lab.replace("-", "") in squeezed for lab in labels):
        return title, None
    return head, tail


def article_id_for(raw: RawDocument, text: str, digest: str | None = None) -> str:
    """The input's own id; else one from its URL; else from its text.  ``.`` and ``..`` are no ids: a link to
    ``/articles/..`` is a link to ``/``."""
    if raw.id and str(raw.id) not in (".", ".."):
        return storable_text(str(raw.id))
    if raw.url:
        return "u" + hashlib.sha1(normalize_url(raw.url).encode()).hexdigest()[:16]
    return "c" + (digest or content_hash(text))[:16]


# every byte but a-z becomes a space: the words left are those [a-z]+ finds in the text, which
# UTF-8 keeps as they are (every byte of a non-ASCII character is over 0x7f)
_NOT_AZ = bytes(c if 97 <= c <= 122 else 32 for c in range(256))
_LOWER_AZ = bytes(c + 32 if 65 <= c <= 90 else c if 97 <= c <= 122 else 32 for c in range(256))
_EN_STOP_BYTES = frozenset(w.encode("ascii") for w in FUNCTION_WORDS)


def guess_language(text: str) -> str | None:
    head = text[:2000]
    if head.isascii():  # lower-casing and the split in one table
        words = head.encode("ascii").translate(_LOWER_AZ).split()
    else:
        words = head.lower().encode("utf-8", "surrogatepass").translate(_NOT_AZ).split()
    n = len(words)
    if n < 20:
        return None
    # English text passes the bar within its first half; the rest is counted only when it has not
    hits = sum(map(_EN_STOP_BYTES.__contains__, words[:n // 2]))
    if hits / n <= 0.15:
        hits += sum(map(_EN_STOP_BYTES.__contains__, words[n // 2:]))
    return "en" if hits / n > 0.15 else None


@dataclass
class CleanOutcome:
    """An article, or the reason there is none."""

    article: Article | None = None
    error: str | None = None
    removed_count: int = 0


@dataclass(slots=True)
class _Line:
    raw: str
    text: str
    removed: str | None = None
    weak: str | None = None
    head: bool = False


@dataclass
class Cleaner:
    """Turn a :class:`RawDocument` into an :class:`Article` (no corpus state here)."""

    min_chars: int = 1

    def clean(self, raw: RawDocument) -> CleanOutcome:
        if raw.error:
            return CleanOutcome(error=raw.error)
        text = (raw.text or "").replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
        controls: list[RemovedLine] = []
        if _CONTROL.search(text):
            text = _strip_controls(text, controls)
        if not text.strip():
            return CleanOutcome(error="empty")
        if not any(ch.isalnum() for ch in text):
            return CleanOutcome(error="no words: the text holds only punctuation, symbols or spaces")
        fields = {k: _strip_controls(v, controls, k) if v and _CONTROL.search(v) else v
                  for k, v in (("title", raw.title), ("outlet", raw.outlet), ("url", raw.url),
                               ("published", raw.published), ("language", raw.language))}
        lines = [_Line(l, strip_markdown(l)) for l in text.split("\n")]
        found = Byline()
        url = fields["url"]
        head_seen = 0
        for ln in lines:
            if not ln.text:
                if ln.raw.strip():
                    ln.removed = "image" if "![" in ln.raw else "markdown artefact"
                continue
            # "<https://...>" after an "Original url:" line is the article's own URL
            if url is None and "<" in ln.raw:
                am = ANGLE_URL.search(ln.raw)
                if am:
                    url = am.group(1)
            if head_seen < HEAD_ZONE:
                head_seen += 1
                ln.head = True
                dl = parse_dateline(ln.text)
                if dl is not None:
                    _merge(found, dl)
                    if dl.rest:
                        ln.text = dl.rest
                        ln.raw = dl.rest
                        continue
                    ln.removed = "dateline"
                    continue
                if len(ln.text) < 90 and is_date_only(ln.text):
                    found.date = found.date or find_full_date(ln.text)
                    ln.removed = "date line"
                    continue
            if len(ln.text) < 100 and ln.text[0] in BYLINE_FIRST:
                bl = parse_byline(ln.text)
                if bl is not None:
                    _merge(found, bl)
                    ln.removed = bl.reason
                    continue
            v = classify(ln.text, ln.raw)
            if v is None:
                continue
            if v.strong:
                ln.removed = v.reason
            else:
                ln.weak = v.reason
        _spread_blocks(lines)
        # the title repeated as the first line of the text
        if fields["title"]:
            tnorm = normalize_text(fields["title"])
            for ln in lines:
                if ln.text and not ln.removed:
                    if normalize_text(ln.text) == tnorm:
                        ln.removed = "title repeated in text"
                    break
        kept: list[str] = []
        removed: list[RemovedLine] = []
        for ln in lines:
            if ln.removed:
                if ln.raw.strip():
                    removed.append(RemovedLine(ln.raw.strip(), ln.removed))
            elif ln.text.isprintable() and "  " not in ln.text:  # stripped, and no whitespace but " "
                kept.append(ln.text)
            else:
                kept.append(" ".join(ln.text.split()))
        body = "\n".join(kept)
        if "\n\n\n" in body:
            body = _BLANK_RUN.sub("\n\n", body)
        body = body.strip()
        if len(body) < self.min_chars:
            return CleanOutcome(error="no article text left after removing boilerplate" if removed else "empty")
        published, source = self._date(fields["published"], url, found, body)
        meta = dict(raw.meta)
        if fields["published"] and published is None:
            meta["unparsed_date"] = fields["published"]
        meta.pop("_date_from_record", None)
        if found.author:
            meta.setdefault("author", found.author)
        outlet = fields["outlet"] or found.outlet or _domain(url)
        digest = content_hash(body)
        title, site = strip_site_name((fields["title"] or "").strip(), outlet, url)
        if site:
            removed.append(RemovedLine(site, "site name in title"))
        art = Article(
            id=article_id_for(raw, body, digest), text=body, title=title or None,
            outlet=outlet, url=url, published=published, published_source=source,
            language=fields["language"] or guess_language(body), place=found.place, removed=controls + removed,
            content_hash=digest, source_ref=raw.ref, meta=meta, origin=raw.origin)
        return CleanOutcome(article=art, removed_count=len(removed))

    @staticmethod
    def _date(given: str | None, url: str | None, found: Byline, body: str) -> tuple[str | None, DateSource]:
        if given:
            d = parse_date(given)
            if d:
                return d, "metadata"
        d = date_from_url(url)
        if d:
            return d, "url"
        if found.date:
            return found.date, "dateline"
        head = "\n".join(body.split("\n")[:5])
        d = find_full_date(head)
        if d:
            return d, "text"
        return None, "none"


def _strip_controls(text: str, removed: list[RemovedLine], field: str | None = None) -> str:
    """``text`` without control characters; each line that had some is recorded in ``removed``, the
    characters shown as their Unicode control pictures (NUL as ␀, ESC as ␛)."""
    out = []
    for line in text.split("\n"):
        if _CONTROL.search(line):
            shown = _CONTROL.sub(lambda m: chr(0x2421 if m.group() == "\x7f" else 0x2400 + ord(m.group())), line)
            removed.append(RemovedLine(f"{field}: {shown}" if field else shown.strip(), _CONTROL_REASON))
            line = _CONTROL.sub("", line)
        out.append(line)
    return "\n".join(out)


def _merge(into: Byline, new: Byline) -> None:
    into.outlet = into.outlet or new.outlet
    into.author = into.author or new.author
    into.place = into.place or new.place
    into.date = into.date or new.date


def _spread_blocks(lines: list[_Line]) -> None:
    """Remove weak lines that sit in a run of lines holding block boilerplate."""
    runs: list[list[_Line]] = []
    cur: list[_Line] = []
    for ln in lines:
        if not ln.text:
            continue
        if ln.removed or ln.weak:
            cur.append(ln)
        else:
            if cur:
                runs.append(cur)
            cur = []
    if cur:
        runs.append(cur)
    for run in runs:
        if (any(ln.removed in BLOCK_REASONS for ln in run)
                or sum(ln.weak == "video list entry" for ln in run) >= VIDEO_LIST_RUN):
            for ln in run:
                # the article's own headline above a time stamp is not a related headline
                if ln.weak and not ln.removed and not (ln.head and ln.weak.startswith("headline")):
                    ln.removed = ln.weak


def _domain(url: str | None) -> str | None:
    if not url:
        return None
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return None
    return host.lower().removeprefix("www.") or None
