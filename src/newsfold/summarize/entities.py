"""Named entities of a story, from the mentions each article's analysis holds.

Mentions are merged into one entity per name: a leading "the" and a
possessive "'s" are dropped, case is ignored, and a one-word person name
that is the last word of a longer person name in the same story ("Putin",
"Vladimir Putin") counts as that person.  The mentions of an article are
extracted once (:func:`entity_mentions`, from its spaCy doc) and stored with its
analysis (:mod:`.analysis`); a story's entities are counted from them.
"""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from ..models import Article
from .briefing import Entity
from .records import ArticleAnalysis

log = logging.getLogger(__name__)

KEPT_LABELS = ("PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW")


_POSSESSIVE = re.compile(r"[’']s$")


def clean_name(text: str) -> str:
    """An entity's surface form without a leading article, possessive or stray punctuation."""
    s = " ".join(text.split()).strip(" \"'“”‘’.,;:()[]")
    s = _POSSESSIVE.sub("", s)
    s = re.sub(r"^(?:the|a|an)\s+", "", s, flags=re.I)
    if re.fullmatch(r"(?:[A-Z]\.)+[A-Z]?\.?", s):  # U.S. / U.S → US
        s = s.replace(".", "")
    return s.strip()


_PLACE_BEFORE = {"in", "near", "off"}  # "in Heraklion", "near Crete", "off Crete": what follows is a place
_DATELINE_AFTER = {",", "—", "–", "-", "("}  # "HERAKLION, Greece —": a name opening a paragraph so is a place


def entity_mentions(doc: Any) -> list[tuple[str, str]]:
    """``(name, label)`` of every kept entity mention of a spaCy doc, in text order (names of 2+ characters).

    An organisation of one or two words (not "the …", not an acronym) named
    after "in", "near" or "off", or a name in capitals opening the paragraph
    as a dateline does, is a place (``GPE``): the small model often takes an
    unknown town or island for an organisation.  A story's entity takes the
    label most of its mentions have (:func:`canonical_names`).
    """
    out = []
    for ent in doc.ents:
        if ent.label_ in KEPT_LABELS:
            name = clean_name(ent.text)
            if len(name) >= 2:
                out.append((name, _label(doc, ent)))
    return out


def _label(doc: Any, ent: Any) -> str:
    """The mention's label; an organisation where only a place can be is a place (see :func:`entity_mentions`)."""
    if ent.label_ != "ORG" or ent[0].lower_ == "the" or ent.text.isupper() and ent.start > 0:
        return ent.label_
    before = doc[ent.start - 1].lower_ if ent.start > 0 else ""
    after = doc[ent.end].text if ent.end < len(doc) else ""
    if before in _PLACE_BEFORE and len(ent) <= 2:
        return "GPE"
    if ent.start == 0 and ent.text.isupper() and after in _DATELINE_AFTER:  # "HERAKLION, Crete —"
        return "GPE"
    return ent.label_


def story_entities(articles: Sequence[Article], analyses: Mapping[str, ArticleAnalysis], *,
                   limit: int = 40) -> list[Entity]:
    """Entities with mention counts and the articles naming them, most widely reported first.

    The names are the ones the parsed paragraphs give (:mod:`.needs`: not
    every paragraph is parsed); each is then counted in every article's
    whole text, in any of the forms the story writes it ("Vladimir Putin",
    "Putin's"), so the counts depend little on which paragraphs were
    parsed; a person's one-word name ("Putin", but also "May") is counted
    where the parse found it only, as it may be a common word.
    """
    found: list[tuple[str, str, str]] = []  # (name, label, article id)
    for a in articles:
        an = analyses.get(a.id)
        if an is None:
            continue
        found.extend((name, label, a.id) for name, label in an.entities if any(c.isalpha() for c in name))
    canon = canonical_names([(n, lab) for n, lab, _ in found])
    forms: dict[tuple[str, str], set[str]] = defaultdict(set)
    for name, label, _ in found:
        forms[canon[(name.lower(), label)]].add(name)
    counts: Counter[tuple[str, str]] = Counter()
    arts: dict[tuple[str, str], list[str]] = defaultdict(list)
    # a person's one-word name ("May", "Will") is also a common word: counted where the parse found it only
    of_form = {n: key for key, names in forms.items() for n in names if " " in n or key[1] != "PERSON"}
    if of_form:  # one pass per article over every other form, the longest first
        written = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(n) for n in sorted(of_form, key=len, reverse=True))
                             + r")(?!\w)")
        for a in articles:
            for m in written.finditer(a.text or ""):
                key = of_form[m.group(0)]
                counts[key] += 1
                if not arts[key] or arts[key][-1] != a.id:
                    arts[key].append(a.id)
    for name, label, aid in found:  # a name the parse found where the text writes it otherwise (a title)
        key = canon[(name.lower(), label)]
        if name not in of_form or aid not in arts[key]:
            counts[key] += 1
        if aid not in arts[key]:
            arts[key].append(aid)
    out = [Entity(name=k[0], label=k[1], count=c, article_ids=arts[k]) for k, c in counts.items()]
    out.sort(key=lambda e: (-len(e.article_ids), -e.count, e.name))
    return out[:limit]


def canonical_names(mentions: Sequence[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, str]]:
    """Map (lower-cased name, label) to its canonical (name, label)."""
    surface: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    label_votes: dict[str, Counter[str]] = defaultdict(Counter)
    for name, label in mentions:
        surface[(name.lower(), label)][name] += 1
        label_votes[name.lower()][label] += 1
    # one label per name: the most frequent one; a name used as a place in a third of its mentions or more
    # (after "in", in a dateline: :func:`entity_mentions`) is a place the model also took for an organisation
    best_label = {n: c.most_common(1)[0][0] for n, c in label_votes.items()}
    for n, c in label_votes.items():
        if best_label[n] == "ORG" and 3 * c["GPE"] >= c.total():
            best_label[n] = "GPE"
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


def entity_names_by_article(articles: Sequence[Article], analyses: Mapping[str, ArticleAnalysis],
                            ) -> dict[str, set[str]]:
    """Canonical entity names each article mentions."""
    found = [(name, label, a.id) for a in articles if a.id in analyses for name, label in analyses[a.id].entities]
    canon = canonical_names([(n, lab) for n, lab, _ in found])
    out: dict[str, set[str]] = {a.id: set() for a in articles}
    for name, label, aid in found:
        out[aid].add(canon[(name.lower(), label)][0])
    return out
