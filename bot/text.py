"""Text in the form paperboy compares it in: one folding, one way to find words, for every subsystem
(titles, /paper, subscriptions, digest filters).

`fold` lower-cases and drops accents (é is e), and writes the letters Unicode gives no base letter
the way they are typed without them (ø o, ł l, ß ss, æ ae). `words` splits folded text into runs of
letters and digits; anything else separates, and a possessive 's goes ("Bayes's" is "bayes").
SQLite's full-text tokenizer folds accents but keeps those letters: `base_letters=False` gives its
form, for searching its index.
"""
from __future__ import annotations

import functools
import re
import unicodedata

_QUOTES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'"})
_LETTERS_WITHOUT_BASE = str.maketrans({
    "ø": "o", "Ø": "o", "ł": "l", "Ł": "l", "đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "æ": "ae", "Æ": "ae",
    "œ": "oe", "Œ": "oe", "þ": "th", "Þ": "th", "ı": "i", "ß": "ss",
})
# Combining marks of the Basic Multilingual Plane, deleted in one C-level str.translate.
_COMBINING = {cp: None for cp in range(0x300, 0x10000) if unicodedata.combining(chr(cp))}
_WORD = re.compile(r"[^\W_]+")
_POSSESSIVE = re.compile(r"'s\b")
_ASCII_PUNCTUATION_TO_SPACE = str.maketrans({chr(c): " " for c in range(128) if not chr(c).isalnum()})
_ASCII_PUNCTUATION_BUT_LINES_TO_SPACE = str.maketrans(
    {chr(c): " " for c in range(128) if not chr(c).isalnum() and chr(c) != "\n"})
_SPACE = re.compile(r"\s+")


def fold(text: str, *, base_letters: bool = True) -> str:
    """Lower case without accents. Fast for the common all-ASCII text."""
    if text.isascii():
        return text.lower()
    text = text.translate(_QUOTES)
    if base_letters:
        text = text.translate(_LETTERS_WITHOUT_BASE)
    return unicodedata.normalize("NFKD", text).translate(_COMBINING).lower()


# arXiv keeps titles and abstracts in LaTeX. Compared as words, "$\\mathcal N=4$" is "n 4" and
# "Schr\\"odinger" is "schrodinger", as a reader types them: accents go onto their letter (and are
# then folded away), formatting commands go, and other commands become their name ("\\Gamma" is
# "gamma"), since the backslash separates like any punctuation.
_LATEX_ACCENT = re.compile(r"\\(?:[\'\"`^~=.]\s*\{?\s*|[cvuHkrdbt](?:\s+|\{\s*))([A-Za-z])\}?")
_LATEX_FORMATTING = re.compile(
    r"\\(?:math(?:cal|bb|rm|bf|it|sf|frak|scr|tt)|text(?:bf|it|rm|tt|sf|sc|up|normal)?|emph|boldsymbol|bm|"
    r"operatorname|mbox|rm|it|bf|sf|tt|cal|left|right|[bB]ig+[lr]?)(?![A-Za-z])")


def without_latex(text: str) -> str:
    """Text with LaTeX accents on their letters and formatting commands gone (see above)."""
    return _LATEX_FORMATTING.sub(" ", _LATEX_ACCENT.sub(r"\1", text))


def words(text: str, *, base_letters: bool = True) -> list[str]:
    """The words of a text, folded, in order."""
    if "\\" in text:
        text = without_latex(text)
    if text.isascii():  # the common case, about twice as fast as the regular expression
        text = text.lower()
        if "'" in text:
            text = _POSSESSIVE.sub("", text)
        return text.translate(_ASCII_PUNCTUATION_TO_SPACE).split()
    return words_any(text, base_letters=base_letters)


def words_any(text: str, *, base_letters: bool = True) -> list[str]:
    """words() without its ASCII shortcut: the reference the shortcut must agree with."""
    if "\\" in text:
        text = without_latex(text)
    return _WORD.findall(_POSSESSIVE.sub("", fold(text, base_letters=base_letters)))


def words_per_line(lines: list[str]) -> list[list[str]]:
    """words() of each line (author names), in one pass for the usual plain-ASCII list."""
    joined = "\n".join(lines)
    if not joined.isascii() or joined.count("\n") != len(lines) - 1:
        return [words(line) for line in lines]
    joined = joined.lower()
    if "'" in joined:
        joined = _POSSESSIVE.sub("", joined)
    return [line.split() for line in joined.translate(_ASCII_PUNCTUATION_BUT_LINES_TO_SPACE).split("\n")]


def collapse_whitespace(text: str | None) -> str:
    return _SPACE.sub(" ", text or "").strip()


def trim_at_word(text: str, limit: int, ellipsis: str = "…") -> str:
    """At most `limit` characters, cut at a word boundary when there is one in the second half.
    A trailing backslash goes too, so the ellipsis can never be escaped by markdown."""
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    cut = text[: max(0, limit - len(ellipsis))]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-\\") + ellipsis


_LATEX_SPECIALS = re.compile(r"(?<!\\)([%&#])")


@functools.lru_cache(maxsize=4096)  # a daily list is shown in every channel that gets it
def readable_math(text: str) -> str:
    """A title's LaTeX as the text it stands for: "$\\alpha$-divergence in $O(n \\log n)$" reads
    "α-divergence in O(n log n)", "Bal\\'azs" reads "Balázs". Text without LaTeX, or with a lone
    dollar (a price), is left as it is."""
    if "$" not in text and "\\" not in text:
        return text
    if text.count("$") % 2:
        return text
    from pylatexenc.latex2text import LatexNodes2Text  # only titles with LaTeX pay for loading it

    try:
        # %, & and # are plain characters in a title, not LaTeX's comment, alignment and parameter marks.
        converted = LatexNodes2Text(math_mode="text").latex_to_text(_LATEX_SPECIALS.sub(r"\\\1", text))
    except Exception:  # whatever the title holds, a card must still show it
        return text
    return collapse_whitespace(converted) or text
