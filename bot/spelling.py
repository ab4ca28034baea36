"""Word forms that should compare equal: British and American spelling, singular and plural.

`canonical` maps a folded word (paperboy.bot.text) to one form, the one rule /paper's title index,
subscriptions and digest filters all compare words by. Both sides of every comparison go through
it, so the form only has to be consistent, not a word ("policy" and "policies" are both "polici",
"noise" may become "noiz"). `variants` gives the spellings worth sending to FTS5, whose porter
stemmer already takes care of plurals but not of -ise/-ize or -our/-or.
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


# Singulars ending in s, and Latin/Greek plurals, that the suffix rules would get wrong.
_IRREGULAR = {
    "bias": "bias", "biases": "bias", "lens": "lens", "lenses": "lens", "news": "news",
    "alias": "alias", "aliases": "alias", "atlas": "atlas", "atlases": "atlas",
    "canvas": "canvas", "canvases": "canvas", "analyses": "analysis", "hypotheses": "hypothesis",
    "syntheses": "synthesis", "theses": "thesis", "axes": "axis", "indices": "index",
    "indexes": "index", "matrices": "matrix", "vertices": "vertex", "criteria": "criterion",
    "phenomena": "phenomenon", "children": "child",
}


@lru_cache(maxsize=400_000)
def canonical(word: str) -> str:
    """The one form a folded word is indexed, searched and matched under: American spelling, and a
    light plural stem (-s, -es, -ies, then a final -e or -y, go), so colour/colors,
    model/models, process/processes, image/images and policy/policies meet; -ing/-ed forms do not."""
    irregular = _IRREGULAR.get(word)
    if irregular is not None:
        return irregular
    return _plural_stem(american(word))


def _plural_stem(word: str) -> str:
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "i"
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if len(word) > 3:
        if word.endswith("e"):
            word = word[:-1]
        elif word.endswith("y"):
            word = word[:-1] + "i"
    return word


def variants(word: str) -> list[str]:
    """Spellings of a folded word to search for: itself, then its American and British forms."""
    found = [word]
    for other in (american(word), british(word)):
        if other not in found:
            found.append(other)
    return found


def canonical_text(words: list[str] | tuple[str, ...]) -> str:
    return " ".join(canonical(w) for w in words)
