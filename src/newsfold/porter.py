"""The Porter stemmer (Porter, 1980) as NLTK's ``PorterStemmer()`` gives it (its default, ``NLTK_EXTENSIONS``).

The summarizer stems every content word (:func:`newsfold.summarize.text.stem`);
importing NLTK for that costs more than a second per process (its package
imports SciPy's statistics and scikit-learn), so the algorithm is here, in
NLTK's variant: its irregular forms, its ``ies``/``ied`` and ``y`` rules, its
``fulli`` and ``logi`` rules.  ``tests/test_porter.py`` checks that it gives
NLTK's stem for every word of the seeds and of the bundled ECB+ articles.
"""

from __future__ import annotations

from collections.abc import Callable

_VOWELS = frozenset("aeiou")
# NLTK's irregular forms: these words stem to a fixed form
_POOL = {"sky": "sky", "skies": "sky", "dying": "die", "lying": "lie", "tying": "tie", "news": "news",
         "innings": "inning", "inning": "inning", "outings": "outing", "outing": "outing", "cannings": "canning",
         "canning": "canning", "howe": "howe", "proceed": "proceed", "exceed": "exceed", "succeed": "succeed"}

Condition = Callable[[str], bool] | None


def _consonants(word: str) -> list[bool]:
    """Whether each letter is a consonant: not a vowel, and a ``y`` only after a vowel (or first)."""
    flags: list[bool] = []
    for i, ch in enumerate(word):
        if ch in _VOWELS:
            flags.append(False)
        elif ch == "y":
            flags.append(True if i == 0 else not flags[i - 1])
        else:
            flags.append(True)
    return flags


def _is_consonant(word: str, i: int) -> bool:
    return _consonants(word)[i]


def _measure(stem: str) -> int:
    """Porter's m: the number of vowel-consonant sequences in ``stem``."""
    return "".join("c" if c else "v" for c in _consonants(stem)).count("vc")


def _positive(stem: str) -> bool:
    return _measure(stem) > 0


def _over_one(stem: str) -> bool:
    return _measure(stem) > 1


def _has_vowel(stem: str) -> bool:
    return not all(_consonants(stem))


def _double_consonant(word: str) -> bool:
    return len(word) >= 2 and word[-1] == word[-2] and _is_consonant(word, len(word) - 1)


def _cvc(word: str) -> bool:
    return (len(word) >= 3 and _is_consonant(word, len(word) - 3) and not _is_consonant(word, len(word) - 2)
            and _is_consonant(word, len(word) - 1) and word[-1] not in "wxy") or \
        (len(word) == 2 and not _is_consonant(word, 0) and _is_consonant(word, 1))


def _apply(word: str, rules: list[tuple[str, str, Condition]]) -> str:
    """The first rule whose suffix ``word`` has decides: its replacement when its condition holds, else no change.
    The suffix ``*d`` is a double consonant."""
    for suffix, replacement, condition in rules:
        if suffix == "*d":
            if _double_consonant(word):
                stem = word[:-2]
                return stem + replacement if condition is None or condition(stem) else word
            continue
        if word.endswith(suffix):
            stem = word[:len(word) - len(suffix)]
            return stem + replacement if condition is None or condition(stem) else word
    return word


_STEP1A = [("sses", "ss", None), ("ies", "i", None), ("ss", "ss", None), ("s", "", None)]
_STEP2 = [("ational", "ate", _positive), ("tional", "tion", _positive), ("enci", "ence", _positive),
          ("anci", "ance", _positive), ("izer", "ize", _positive), ("bli", "ble", _positive),
          ("alli", "al", _positive), ("entli", "ent", _positive), ("eli", "e", _positive),
          ("ousli", "ous", _positive), ("ization", "ize", _positive), ("ation", "ate", _positive),
          ("ator", "ate", _positive), ("alism", "al", _positive), ("iveness", "ive", _positive),
          ("fulness", "ful", _positive), ("ousness", "ous", _positive), ("aliti", "al", _positive),
          ("iviti", "ive", _positive), ("biliti", "ble", _positive), ("fulli", "ful", _positive)]
_STEP3 = [("icate", "ic", _positive), ("ative", "", _positive), ("alize", "al", _positive),
          ("iciti", "ic", _positive), ("ical", "ic", _positive), ("ful", "", _positive), ("ness", "", _positive)]
_STEP4 = [("al", "", _over_one), ("ance", "", _over_one), ("ence", "", _over_one), ("er", "", _over_one),
          ("ic", "", _over_one), ("able", "", _over_one), ("ible", "", _over_one), ("ant", "", _over_one),
          ("ement", "", _over_one), ("ment", "", _over_one), ("ent", "", _over_one),
          ("ion", "", lambda s: _measure(s) > 1 and s[-1] in "st"), ("ou", "", _over_one),
          ("ism", "", _over_one), ("ate", "", _over_one), ("iti", "", _over_one), ("ous", "", _over_one),
          ("ive", "", _over_one), ("ize", "", _over_one)]


def _step1a(word: str) -> str:
    if word.endswith("ies") and len(word) == 4:
        return word[:-3] + "ie"
    return _apply(word, _STEP1A)


def _step1b(word: str) -> str:
    if word.endswith("ied"):
        return word[:-3] + ("ie" if len(word) == 4 else "i")
    if word.endswith("eed"):
        stem = word[:-3]
        return stem + "ee" if _measure(stem) > 0 else word
    for suffix in ("ed", "ing"):
        if word.endswith(suffix) and _has_vowel(word[:-len(suffix)]):
            stem = word[:-len(suffix)]
            break
    else:
        return word
    last = stem[-1]
    return _apply(stem, [("at", "ate", None), ("bl", "ble", None), ("iz", "ize", None),
                         ("*d", last, lambda s: last not in "lsz"),
                         ("", "e", lambda s: _measure(s) == 1 and _cvc(s))])


def _step1c(word: str) -> str:
    return _apply(word, [("y", "i", lambda s: len(s) > 1 and _is_consonant(s, len(s) - 1))])


def _step2(word: str) -> str:
    if word.endswith("alli") and _positive(word[:-4]):
        return _step2(word[:-4] + "al")
    return _apply(word, _STEP2 + [("logi", "log", lambda s: _positive(word[:-3]))])


def _step3(word: str) -> str:
    return _apply(word, _STEP3)


def _step4(word: str) -> str:
    return _apply(word, _STEP4)


def _step5a(word: str) -> str:
    if word.endswith("e"):
        stem = word[:-1]
        m = _measure(stem)
        if m > 1 or (m == 1 and not _cvc(stem)):
            return stem
    return word


def _step5b(word: str) -> str:
    return _apply(word, [("ll", "l", lambda s: _measure(word[:-1]) > 1)])


def porter_stem(word: str) -> str:
    """``word``'s Porter stem, lower-cased, as NLTK's ``PorterStemmer().stem(word)``."""
    stem = word.lower()
    if stem in _POOL:
        return _POOL[stem]
    if len(word) <= 2:
        return stem
    for step in (_step1a, _step1b, _step1c, _step2, _step3, _step4, _step5a, _step5b):
        stem = step(stem)
    return stem
