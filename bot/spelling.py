"""Word forms that should compare equal: British and American spelling, singular and plural.

`canonical` maps a folded word to one form; titles and queries both go through it, so the
mapping only has to be consistent, not linguistically perfect ("noise" -> "noize" is harmless
when it happens on both sides). `variants` gives the spellings worth sending to FTS5, whose
porter stemmer already takes care of plurals but not of -ise/-ize or -our/-or.
"""
from __future__ import annotations

import re
from functools import lru_cache

_BRITISH_WORDS = {
    "grey": "gray", "aluminium": "aluminum", "programme": "program", "programmes": "programs",
    "ageing": "aging", "judgement": "judgment", "judgements": "judgments",
    "acknowledgement": "acknowledgment", "catalogue": "catalog", "catalogues": "catalogs",
    "analogue": "analog", "analogues": "analogs", "dialogue": "dialog", "dialogues": "dialogs",
    "centre": "center", "centres": "centers", "centred": "centered", "centric": "centric",
    "metre": "meter", "metres": "meters", "fibre": "fiber", "fibres": "fibers", "litre": "liter",
    "theatre": "theater", "spectre": "specter", "calibre": "caliber", "defence": "defense",
    "defences": "defenses", "licence": "license", "offence": "offense", "manoeuvre": "maneuver",
    "manoeuvres": "maneuvers", "manoeuvring": "maneuvering", "sceptical": "skeptical",
    "tyre": "tire", "tyres": "tires", "mould": "mold", "plough": "plow", "cheque": "check",
    "whilst": "while", "amongst": "among", "learnt": "learned", "artefact": "artifact",
    "artefacts": "artifacts", "oestrogen": "estrogen", "foetal": "fetal", "foetus": "fetus",
    "enrolment": "enrollment", "fulfil": "fulfill", "fulfilment": "fulfillment", "skilful": "skillful",
    "towards": "toward", "afterwards": "afterward", "focussed": "focused", "focussing": "focusing",
}
_AMERICAN_WORDS = {american: british for british, american in _BRITISH_WORDS.items()
                   if american not in ("while", "among", "learned", "toward", "afterward", "check", "centric")}

# -our words whose American form is -or (behaviour, colour...); plain "our", "four", "hour" are not.
_OUR_STEMS = (
    "behaviour", "colour", "favour", "labour", "neighbour", "harbour", "humour", "rumour", "vapour",
    "honour", "flavour", "endeavour", "armour", "odour", "rigour", "tumour", "savour", "valour",
    "parlour", "saviour", "splendour", "clamour",
)
_OR_STEMS = tuple(stem[:-2] + "r" for stem in _OUR_STEMS)
_GREEK_PREFIXES = (("haem", "hem"), ("anaes", "anes"), ("paed", "ped"), ("oesoph", "esoph"),
                   ("leukaem", "leukem"), ("orthopaed", "orthoped"), ("oedem", "edem"))

_IS_SUFFIX = re.compile(r"^(.{3,}?)is(e|es|ed|ing|er|ers|ation|ations|ational|ability|able)$")
_IZ_SUFFIX = re.compile(r"^(.{3,}?)iz(e|es|ed|ing|er|ers|ation|ations|ational|ability|able)$")
_YS_SUFFIX = re.compile(r"^(.{2,}?)ys(e|es|ed|ing|er|ers)$")
_YZ_SUFFIX = re.compile(r"^(.{2,}?)yz(e|es|ed|ing|er|ers)$")
_DOUBLE_L = re.compile(r"^(.{2,}[aeiou])ll(ed|ing|er|ers)$")
_SINGLE_L = re.compile(r"^(.{2,}[aeiou])l(ed|ing|er|ers)$")
_VOWEL_BEFORE_L = re.compile(r"[aeiou]l(ed|ing|er|ers)$")


@lru_cache(maxsize=200_000)
def american(word: str) -> str:
    """The American spelling of a folded word (the word itself when there is no British form)."""
    if len(word) < 4 or not word.isalpha():
        return word
    if word in _BRITISH_WORDS:
        return _BRITISH_WORDS[word]
    for british, plain in _GREEK_PREFIXES:
        if word.startswith(british):
            word = plain + word[len(british):]
            break
    for stem in _OUR_STEMS:
        if word.startswith(stem) and not word[len(stem):].startswith("ous"):
            return word[: len(stem) - 2] + "r" + word[len(stem):]
    match = _IS_SUFFIX.match(word)
    if match:
        return f"{match.group(1)}iz{match.group(2)}"
    match = _YS_SUFFIX.match(word)
    if match:
        return f"{match.group(1)}yz{match.group(2)}"
    match = _DOUBLE_L.match(word)
    if match and len(word) > 6:
        return f"{match.group(1)}l{match.group(2)}"
    return word


def british(word: str) -> str:
    """The British spelling of a folded American word, for searching text written the other way."""
    if len(word) < 4 or not word.isalpha():
        return word
    if word in _AMERICAN_WORDS:
        return _AMERICAN_WORDS[word]
    for stem in _OR_STEMS:
        if word.startswith(stem) and not word[len(stem):].startswith("ous"):
            return word[: len(stem) - 1] + "ur" + word[len(stem):]
    for british_prefix, plain in _GREEK_PREFIXES:
        if word.startswith(plain) and len(word) > len(plain) + 3 and word[len(plain)] in "aoiu":
            return british_prefix + word[len(plain):]
    match = _IZ_SUFFIX.match(word)
    if match:
        return f"{match.group(1)}is{match.group(2)}"
    match = _YZ_SUFFIX.match(word)
    if match:
        return f"{match.group(1)}ys{match.group(2)}"
    match = _SINGLE_L.match(word)
    if match and len(word) > 5 and _VOWEL_BEFORE_L.search(word) and word[-len(match.group(2)) - 2] != "l":
        return f"{match.group(1)}ll{match.group(2)}"
    return word


def singular(word: str) -> str:
    """A light plural strip (no full stemmer): models -> model, studies -> study."""
    if len(word) <= 3 or not word.endswith("s") or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ss", "us", "is", "ys", "ics")):
        return word
    return word[:-1]


@lru_cache(maxsize=400_000)
def canonical(word: str) -> str:
    """The one form a folded word is indexed and compared under."""
    return singular(american(word))


def variants(word: str) -> list[str]:
    """Spellings of a folded word to search for: itself, then its American and British forms."""
    found = [word]
    for other in (american(word), british(word)):
        if other not in found:
            found.append(other)
    return found


def canonical_text(words: list[str] | tuple[str, ...]) -> str:
    return " ".join(canonical(w) for w in words)
