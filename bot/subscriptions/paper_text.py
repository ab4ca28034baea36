"""A paper folded once into what subscription queries look at (PaperText), and the keys an
index asks for (KeyFilter): word stems, neighbouring stem pairs, author name keys, categories.
Words are folded and stemmed by paperboy.bot.text and paperboy.bot.spelling, the rules /paper uses."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise

from paperboy.bot.models import Paper
from paperboy.bot.spelling import canonical
from paperboy.bot.text import words, words_per_line

NAME_SUFFIXES = {"jr", "sr", "ii", "iii", "iv"}


def reorder_name(name: str) -> str:
    """"LeCun, Yann" -> "Yann LeCun"; "King, Jr." stays as it is."""
    if name.count(",") == 1:
        last, first = (part.strip() for part in name.split(","))
        if first and last and first.lower().rstrip(".") not in NAME_SUFFIXES:
            return f"{first} {last}"
    return name


def _name_tokens(authors: tuple[str, ...]) -> list[list[str]]:
    """words() of each author's name, "LeCun, Yann" read as "Yann LeCun"."""
    names = [author or "" for author in authors]
    if any("," in name for name in names):
        names = [reorder_name(name) for name in names]
    return words_per_line(names)


def _surname_tokens(name: str) -> list[str]:
    """The tokens of the last word of a name, suffixes such as Jr. aside."""
    parts = name.split()
    for position in range(len(parts) - 1, -1, -1):
        found = words(parts[position])
        if found and not (position > 0 and len(found) == 1 and found[0] in NAME_SUFFIXES):
            return found
    return []


@dataclass(frozen=True)
class KeyFilter:
    """The keys an index can use: PaperText.of keeps only these, and skips building word pairs
    and author keys no query asks for, which is most of them."""
    keys: frozenset[str]
    pairs: frozenset[tuple[str, str]]  # (first stem, second stem) of the word-pair keys
    name_tokens: frozenset[str]  # tokens that end an author key: surnames, second of a name pair

    @classmethod
    def of(cls, keys: Iterable[str]) -> KeyFilter:
        wanted = frozenset(keys)
        pairs: set[tuple[str, str]] = set()
        name_tokens: set[str] = set()
        for key in wanted:
            if key.startswith(("s:", "n:", "p:")):
                name_tokens.add(key.rsplit(" ", 1)[-1] if " " in key else key[2:])
            elif " " in key and ":" not in key:
                first, second = key.split(" ", 1)
                pairs.add((first, second))
        return cls(wanted, frozenset(pairs), frozenset(name_tokens))


class PaperText:
    """A paper folded once into what queries look at.

    keys holds the word stems, each pair of neighbouring stems within a field ("flow match"),
    "s:"+surname token; for neighbouring tokens of an author's name "n:"+both and
    "p:"+initial+" "+second ("n:yann lecun", "p:y lecun"); "c:"+category and "c:"+archive
    ("c:cs.lg", "c:cs"). With a KeyFilter, keys holds only the keys it names.
    text holds each field's stems in order, separated by " | " so a phrase never spans two
    fields; names holds each author's tokens."""

    __slots__ = ("keys", "names", "_fields", "_text")

    def __init__(self, keys: set[str], fields: list[list[str]], names: tuple[tuple[str, ...], ...]):
        self.keys = keys
        self.names = names
        self._fields = fields
        self._text: str | None = None

    @property
    def text(self) -> str:
        # Built on first use: only phrases of three words or more need it.
        if self._text is None:
            self._text = " " + " | ".join(" ".join(stems) for stems in self._fields) + " "
        return self._text

    @classmethod
    def of(cls, paper: Paper, only: KeyFilter | None = None) -> PaperText:
        keys: set[str] = set()
        fields = []
        for value in (paper.title, paper.abstract, *paper.ai_keywords):
            if value:
                stems = list(map(canonical, words(value)))
                keys.update(stems)
                if only is None:
                    keys.update(map(" ".join, pairwise(stems)))
                else:  # set operations in C; only the few wanted pairs become strings
                    keys.update(map(" ".join, only.pairs.intersection(pairwise(stems))))
                fields.append(stems)
        names = []
        for author, each in zip(paper.authors, _name_tokens(paper.authors) if paper.authors else (), strict=True):
            if not each:
                continue
            name_tokens = tuple(each)
            names.append(name_tokens)
            if only is not None and only.name_tokens.isdisjoint(name_tokens):
                continue
            name = reorder_name(author)
            for first, second in pairwise(name_tokens):
                keys.add(f"n:{first} {second}")
                keys.add(f"p:{first[0]} {second}")
            last_word = name[name.rfind(" ") + 1:]
            if last_word.isascii() and last_word.isalnum() and name_tokens[-1] not in NAME_SUFFIXES:
                keys.add("s:" + name_tokens[-1])  # the usual case, without a second pass
            else:
                keys.update("s:" + t for t in _surname_tokens(name))
        for category in paper.categories:
            value = (category or "").strip().lower()
            if value:
                keys.add("c:" + value)
                keys.add("c:" + value.split(".", 1)[0])
        if only is not None:
            keys &= only.keys
        return cls(keys, fields, tuple(names))
