"""The data model: one dataclass per concept, shared by every stage.

Dates are ISO 8601 strings (``2018-12-30`` or ``2018-12-30T13:46:00+00:00``)
so that they travel unchanged through JSON, SQLite and Ray.
"""

from __future__ import annotations

from collections.abc import Iterable

from dataclasses import asdict, dataclass, field, is_dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

DateSource = Literal["metadata", "url", "dateline", "text", "none"]
Outcome = Literal["accepted", "duplicate", "rejected"]
DupKind = Literal["exact", "near-duplicate", "reprint"]


UNKNOWN_OUTLET = "unknown outlet"


def outlet_label(outlet: str | None, url: str | None = None, *, article_id: str | None = None,
                 source_ref: str | None = None) -> str:
    """How an article's outlet is shown: its outlet, else its site (the host of its URL), else "unknown outlet".

    Given the article's id (and where it was read from), an unknown outlet is
    told apart by its input, "unknown outlet (file 001_x.txt)" or "unknown
    outlet (article ID)": two articles of unknown outlet are not known to
    share one, so they are never shown as one source.
    """
    if outlet and outlet.strip():
        return outlet.strip()
    if url:
        try:
            parts = urlsplit(url.strip())
        except ValueError:
            parts = None
        host = (parts.hostname or "") if parts and parts.scheme.lower() in ("http", "https") else ""
        if host:
            return host[4:] if host.startswith("www.") else host
    if not article_id:
        return UNKNOWN_OUTLET
    name = (source_ref or "").replace("\\", "/").rsplit("/", 1)[-1]
    if "://" not in (source_ref or "") and name.rsplit(".", 1)[0] == article_id:  # a one-article file
        return f"{UNKNOWN_OUTLET} (file {name})"
    return f"{UNKNOWN_OUTLET} (article {article_id})"


def outlets_in_words(labels: Iterable[str]) -> str:
    """How many outlets the :func:`outlet_label` labels name: "3 outlets", "2 outlets, 4 unknown" (each
    article of unknown outlet counted apart: it may share another's), "outlet unknown" when none is known."""
    labels = set(labels)
    unknown = sum(1 for o in labels if o == UNKNOWN_OUTLET or o.startswith(UNKNOWN_OUTLET + " ("))
    known = len(labels) - unknown
    if not known:
        return "outlet unknown" if unknown else "no outlet"
    said = f"{known} outlet{'' if known == 1 else 's'}"
    return f"{said}, {unknown} unknown" if unknown else said


def to_jsonable(obj: Any) -> Any:
    """Dataclasses (nested, in lists and dicts) to plain JSON-ready values."""
    if is_dataclass(obj) and not isinstance(obj, type):
        return asdict(obj)
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(o) for o in obj]
    if isinstance(obj, dict):
        return {k: to_jsonable(v) for k, v in obj.items()}
    return obj


def storable_text(s: str) -> str:
    """``s`` with any lone surrogate written as its escape (``\\udcff``), so that it can be stored as UTF-8.

    For names that come from outside the text: a file name that is not UTF-8
    reaches Python with its bad bytes as surrogates, and its ledger entry, its
    article's id and source still have to be written.
    """
    try:
        s.encode("utf-8")
        return s
    except UnicodeEncodeError:
        return s.encode("utf-8", "backslashreplace").decode("utf-8")


@dataclass
class RawDocument:
    """One input unit as a reader found it, before cleaning.

    ``ref`` names the input for the ledger (``path``, ``path:17`` for a JSONL
    line, ``path#3`` for a WARC record or feed entry).  Exactly one of
    ``text`` and ``html`` carries the body.
    """

    ref: str
    text: str | None = None
    html: str | None = None
    id: str | None = None
    title: str | None = None
    url: str | None = None
    published: str | None = None
    outlet: str | None = None
    language: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    # a reader that finds the input unusable says why, instead of returning None
    error: str | None = None
    # the real path of the file it was read from ("" for stdin and the API): with the id, what makes a new
    # text of a stored article an update of it
    origin: str = ""


@dataclass
class RemovedLine:
    """A line the cleaner took out of an article, and why."""

    line: str
    reason: str


@dataclass
class Article:
    """A cleaned news article: the unit every later stage works on."""

    id: str
    text: str
    title: str | None = None
    outlet: str | None = None
    url: str | None = None
    published: str | None = None
    published_source: DateSource = "none"
    language: str | None = None
    place: str | None = None
    removed: list[RemovedLine] = field(default_factory=list)
    content_hash: str = ""
    source_ref: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    origin: str = ""  # the real path of the file it was read from (see RawDocument.origin)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def outlet_shown(self) -> str:
        """How its source is shown (:func:`outlet_label`): an unknown outlet is labelled by its file or id."""
        return outlet_label(self.outlet, self.url, article_id=self.id, source_ref=self.source_ref)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Article":
        d = dict(d)
        d["removed"] = [RemovedLine(**r) if isinstance(r, dict) else r for r in d.get("removed") or []]
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in d.items() if k in known})


@dataclass
class ArticleVersion:
    """One text an article has had: ``replaced_at`` is None for the current one."""

    article_id: str
    version: int
    text: str
    content_hash: str
    title: str | None = None
    url: str | None = None
    published: str | None = None
    source_ref: str = ""
    added_at: str = ""
    replaced_at: str | None = None
    removed: int = 0  # lines the cleaner took out


@dataclass
class LedgerEntry:
    """What happened to one input: every input gets exactly one."""

    ref: str
    outcome: Outcome
    reason: str = ""
    article_id: str | None = None


@dataclass
class DupLink:
    """``article_id`` is a copy of ``canonical_id``."""

    article_id: str
    canonical_id: str
    kind: DupKind
    similarity: float


@dataclass
class DupGroup:
    """A canonical article and the links of its copies."""

    canonical_id: str
    links: list[DupLink] = field(default_factory=list)

    @property
    def size(self) -> int:
        return 1 + len(self.links)


@dataclass
class Passage:
    """A sentence of ``article_id`` found near-verbatim in ``source_id``.

    ``direction`` is ``copied`` when dates show ``source_id`` published first,
    ``shared`` when they do not tell.
    """

    article_id: str
    source_id: str
    sentence: str
    source_sentence: str
    similarity: float
    direction: Literal["copied", "shared"] = "shared"


@dataclass
class Story:
    """One real-world event reported by one or more articles."""

    id: str
    article_ids: list[str]
    headline: str = ""
    first_published: str | None = None
    last_published: str | None = None
    state: Literal["active", "dormant"] = "active"
    outlets: list[str] = field(default_factory=list)
