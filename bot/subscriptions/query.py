"""The `/subscribe` query language: parsed once, then matched against many papers.

Syntax
- Words are ANDed: `diffusion models` needs both words.
- `"quoted phrases"` need their words next to each other, in order, within one field.
- `OR` (any case, or `|`) joins alternatives and binds tighter than AND, so
  `diffusion OR flow matching` means (diffusion OR flow) AND matching. Parentheses are refused
  rather than half-understood; `AND` may be written and changes nothing.
- `-word`, `-"phrase"`, `-author:X`, `-cat:X` exclude papers that match them. Exclusions apply to
  the whole query, so they cannot be part of an OR, and a query needs at least one positive term.
- `author:Lee` (one word) matches an author's surname: the last word of the name, or either half of
  a hyphenated one. `author:"Yann LeCun"` (several words) matches those words in a row inside one
  author's name; all but the last may be initials on either side (`"Y. LeCun"` = `"Yann LeCun"`).
- `cat:cs.LG` matches an arXiv category exactly; `cat:cs` (or `cat:cs.*`) matches every cs.* category.

Matching
Words and phrases are looked for in the title, the abstract and the Hugging Face keywords.
Words are compared by the rules /paper compares them by (paperboy.bot.text and
paperboy.bot.spelling): case, accents (é = e, ø = o, ß = ss), punctuation and possessive 's do not
matter; British and American spellings meet (colour = color); words match whole (model never
matches remodel) with a light plural tolerance, so model/models, policy/policies and image/images
match; -ing/-ed forms do not. A word written with inner punctuation (`multi-agent`, `GPT-4`) matches
both the spaced form (multi agent, GPT 4) and the joined one (multiagent, GPT4).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from itertools import pairwise
from typing import NamedTuple

from paperboy.bot.models import Paper
from paperboy.bot.spelling import canonical
from paperboy.bot.subscriptions.paper_text import PaperText, reorder_name
from paperboy.bot.syntax import MAX_ARGUMENT_CHARS
from paperboy.bot.text import trim_at_word, words

_DISPLAY_WORD = re.compile(r"[^\W_]+")
_POSSESSIVE = re.compile(r"'s\b")
_QUOTE_MARKS = str.maketrans({mark: '"' for mark in "“”„‟″＂«»"})
QUOTE_MARKS = _QUOTE_MARKS  # typographic quotes read as ": for text that is split before it is parsed
_NOT_IN_NAMES = re.compile(r"[^\w .'-]|_")
_PLAIN_WORDS = re.compile(r"[a-z0-9]+(?: [a-z0-9]+)*")
_CHUNK_END = re.compile(r'[\s"]')
_FIELD = re.compile(r"([A-Za-z]+):(.*)", re.S)
_FIELDS = {"author": "author", "authors": "author", "au": "author", "cat": "cat", "category": "cat"}
_TEXT_FIELDS = {"title", "ti", "abstract", "abs", "text", "all", "keyword", "keywords", "kw"}
_OR = {"or", "|", "||"}
_AND = {"and", "&&"}
_OPERATOR_WORDS = {"or", "and"}
_CATEGORY = re.compile(r"([a-z][a-z-]*)(?:\.([a-z][a-z-]*))?(?:\.\*|\.)?", re.I)
class QueryError(ValueError):
    """A query that cannot be understood; the message says what is wrong and where."""


# ---- names and display ------------------------------------------------------------------

def _display_tokens(text: str) -> list[str]:
    """Words as shown back to the user: lower case, accents kept, punctuation dropped."""
    text = unicodedata.normalize("NFC", text).replace("’", "'").lower()
    return _DISPLAY_WORD.findall(_POSSESSIVE.sub("", text))


# ---- the parsed form ----------------------------------------------------------------------

def _same_name_token(query: str, name: str) -> bool:
    return query == name or (len(query) == 1 and name[0] == query) or (len(name) == 1 and query[0] == name)


class Atom(NamedTuple):
    """The smallest test. keys must all be in PaperText.keys (a necessary condition, and a
    sufficient one unless phrase or name is set, which are then checked on the text).
    A named tuple: queries are built by the hundred thousand, and tuples hash in C."""
    keys: tuple[str, ...]
    phrase: str | None = None  # " stem stem " to find in PaperText.text
    name: tuple[str, ...] | None = None  # consecutive tokens of one author's name

    @property
    def exact(self) -> bool:
        return self.phrase is None and self.name is None

    def test(self, text: PaperText) -> bool:
        if self.phrase is not None:
            return self.phrase in text.text
        if self.name is not None:
            return self._name_in(text.names)
        return self.keys[0] in text.keys

    def _name_in(self, names: tuple[tuple[str, ...], ...]) -> bool:
        wanted = self.name or ()
        last = len(wanted) - 1
        surname = wanted[last]
        for name in names:
            if surname not in name:
                continue
            for end in range(last, len(name)):
                # The last word (normally the surname) must match in full; the others may be initials.
                if name[end] == surname and all(
                        _same_name_token(q, name[end - last + i]) for i, q in enumerate(wanted[:last])):
                    return True
        return False


@dataclass(frozen=True)
class Term:
    """One thing the user wrote: a word, a phrase, an author or a category, maybe excluded."""
    kind: str  # "word" | "phrase" | "author" | "cat"
    text: str  # normalized display form: "multi-agent", "flow matching", "Yann LeCun", "cs.LG"
    negated: bool = False
    atoms: tuple[Atom, ...] = field(default=(), compare=False, repr=False)

    def test(self, text: PaperText) -> bool:
        for atom in self.atoms:
            if atom.test(text):
                return True
        return False

    def __str__(self) -> str:
        sign = "-" if self.negated else ""
        if self.kind == "word":
            body = f'"{self.text}"' if self.text in _OPERATOR_WORDS else self.text
        elif self.kind == "phrase":
            body = f'"{self.text}"'
        elif self.kind == "author":
            body = "author:" + (f'"{self.text}"' if " " in self.text else self.text)
        else:
            body = "cat:" + self.text
        return sign + body

    def describe(self) -> str:
        if self.kind == "phrase" or self.text in _OPERATOR_WORDS:
            return f'"{self.text}"'
        if self.kind == "word":
            return self.text
        if self.kind == "author":
            return f"by {self.text}"
        return f"in {self.text}" if "." in self.text else f"in any {self.text} category"


@dataclass(frozen=True)
class SubscriptionQuery:
    """Positive clauses (ANDed; each an OR of terms) and exclusions."""
    clauses: tuple[tuple[Term, ...], ...]
    excluded: tuple[Term, ...] = ()

    def matches(self, paper: Paper) -> bool:
        return self.matches_text(PaperText.of(paper))

    def matches_text(self, text: PaperText) -> bool:
        for clause in self.clauses:
            for term in clause:
                if term.test(text):
                    break
            else:
                return False
        for term in self.excluded:
            if term.test(text):
                return False
        return True

    def categories(self) -> set[str]:
        """The arXiv categories (or archives) the query asks for: what must be harvested to see its papers."""
        return {t.text for clause in self.clauses for t in clause if t.kind == "cat"}

    def __str__(self) -> str:
        parts = [" OR ".join(str(t) for t in clause) for clause in self.clauses]
        return " ".join(parts + [str(t) for t in self.excluded])

    def describe(self, limit: int = 300) -> str:
        """Plain words for confirmations: (diffusion or flow) and matching, by Lee, not video."""
        several = len(self.clauses) > 1 or bool(self.excluded)
        # Words and phrases first, joined by "and"; authors and categories read better after a comma.
        ordered = sorted(self.clauses, key=lambda clause: clause[0].kind in ("author", "cat"))
        text = ""
        for clause in ordered:
            part = " or ".join(t.describe() for t in clause)
            part = f"({part})" if several and len(clause) > 1 else part
            joiner = ", " if clause[0].kind in ("author", "cat") else " and "
            text = part if not text else text + joiner + part
        text += "".join(f", not {t.describe()}" for t in self.excluded)
        return trim_at_word(text, limit)


# ---- parsing --------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Raw:
    kind: str  # "word" | "phrase" | "author" | "cat" | "or" | "and"
    text: str
    negated: bool
    position: int  # 1-based character position, for messages


def _closing_quote(text: str, opening: int, what: str) -> int:
    end = text.find('"', opening + 1)
    if end < 0:
        raise QueryError(f'unclosed quote {what} (add a closing ")')
    return end


def _scan(text: str) -> list[_Raw]:
    found: list[_Raw] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        start = i
        negated = text[i] == "-" and i + 1 < n and not text[i + 1].isspace()
        if negated:
            i += 1
        if text[i] == '"':
            end = _closing_quote(text, i, f"at character {i + 1}")
            found.append(_Raw("phrase", text[i + 1:end], negated, i + 1))
            i = end + 1
            continue
        chunk_end = _CHUNK_END.search(text, i)
        j = chunk_end.start() if chunk_end else n
        chunk = text[i:j]
        if "(" in chunk or ")" in chunk:
            where = i + 1 + min(p for p in (chunk.find("("), chunk.find(")")) if p >= 0)
            raise QueryError(f"parentheses aren't supported (character {where}): OR already binds "
                             'tighter than AND, so "a OR b c" means (a or b) and c')
        field_match = _FIELD.fullmatch(chunk)
        if field_match:
            name, value = field_match.group(1).lower(), field_match.group(2)
            if name in _FIELDS:
                kind = _FIELDS[name]
                if not value and j < n and text[j] == '"':
                    end = _closing_quote(text, j, f"after {kind}:")
                    value, j = text[j + 1:end], end + 1
                found.append(_Raw(kind, value, negated, start + 1))
                i = j
                continue
            if value:
                hint = "; plain words already search titles and abstracts" if name in _TEXT_FIELDS else ""
                raise QueryError(f'unknown field "{name[:20]}:" (use author: or cat:{hint})')
        low = chunk.lower()
        if not negated and low in _OR:
            found.append(_Raw("or", chunk, False, start + 1))
        elif not negated and low in _AND:
            found.append(_Raw("and", chunk, False, start + 1))
        elif not negated and chunk == "NOT":
            raise QueryError("NOT isn't supported: put a minus sign before a word to exclude it, e.g. -video")
        else:
            found.append(_Raw("word", chunk, negated, start + 1))
        i = j
    return found


def _text_atoms(folded: list[str], compound: bool) -> tuple[Atom, ...]:
    stems = [canonical(t) for t in folded]
    if len(stems) == 1:
        atoms = [Atom((stems[0],))]
    elif len(stems) == 2:  # a pair of neighbours is itself a key
        atoms = [Atom((" ".join(stems),))]
    else:
        pairs = tuple(dict.fromkeys(map(" ".join, pairwise(stems))))
        atoms = [Atom(pairs, phrase=" " + " ".join(stems) + " ")]
    if compound and len(stems) > 1:  # multi-agent also finds multiagent
        atoms.append(Atom((canonical("".join(folded)),)))
    return tuple(atoms)


def _name_atoms(folded: list[str]) -> tuple[Atom, ...]:
    if len(folded) == 1:
        return (Atom(("s:" + folded[0],)),)
    first, last = folded[-2], folded[-1]
    if len(folded) == 2:  # decided by name-pair keys alone
        if len(first) == 1:  # "J. Smith": any first name starting with J
            return (Atom((f"p:{first} {last}",)),)
        return Atom((f"n:{first} {last}",)), Atom((f"n:{first[0]} {last}",))
    # Initials may stand for the next-to-last word, so only its first letter is certain.
    return (Atom((f"p:{first[0]} {last}",), name=tuple(folded)),)


def _clean_name(value: str) -> str:
    text = reorder_name(unicodedata.normalize("NFC", value).replace("’", "'"))
    return " ".join(_NOT_IN_NAMES.sub(" ", text).split())


def _category_display(archive: str, subject: str | None) -> str:
    if subject is None:
        return archive
    # arXiv writes two-letter subject classes in capitals (cs.LG, astro-ph.CO), longer ones not.
    return f"{archive}.{subject.upper() if len(subject) <= 2 else subject}"


def _term(raw: _Raw) -> Term | None:
    """A Term, or None for a bare word with no letters or digits (stray punctuation)."""
    if raw.kind == "author":
        name = _clean_name(raw.text)
        folded = words(name)
        if not folded:
            raise QueryError('author: needs a name right after the colon, '
                             'e.g. author:Hinton or author:"Geoffrey Hinton"')
        if all(len(t) == 1 for t in folded):
            raise QueryError('author: needs more than initials, e.g. author:Smith or author:"J. Smith"')
        return Term("author", name, raw.negated, _name_atoms(folded))
    if raw.kind == "cat":
        value = raw.text.strip()
        if not value:
            raise QueryError("cat: needs a category right after the colon, e.g. cat:cs.LG")
        if "," in value:
            raise QueryError("one category per cat:, e.g. cat:cs.LG OR cat:cs.CL")
        found = _CATEGORY.fullmatch(value) if len(value) <= 40 else None
        if not found:
            shown = "".join(ch for ch in value[:20] if ch.isalnum() or ch in ".-")
            raise QueryError(f'cat: needs an arXiv category such as cs.LG, math.AG or cs (all of cs.*), not "{shown}"')
        archive, subject = found.group(1).lower(), (found.group(2) or "").lower() or None
        key = archive if subject is None else f"{archive}.{subject}"
        return Term("cat", _category_display(archive, subject), raw.negated, (Atom(("c:" + key,)),))
    shown = _display_tokens(raw.text)
    folded = words(" ".join(shown))
    if raw.kind == "phrase":
        if not folded:
            raise QueryError(f"empty quotes at character {raw.position}: put words between them")
        kind = "word" if len(shown) == 1 and len(folded) == 1 else "phrase"
        return Term(kind, " ".join(shown), raw.negated, _text_atoms(folded, compound=False))
    if not folded:
        return None
    return Term("word", "-".join(shown), raw.negated, _text_atoms(folded, compound=True))


def _excluded_in_or(position: int) -> QueryError:
    return QueryError(f"an excluded term can't be part of OR (near character {position}): "
                      "-word always applies to the whole query")


def _group(raws: list[_Raw]) -> tuple[list[list[Term]], list[Term]]:
    clauses: list[list[Term]] = []
    excluded: list[Term] = []
    previous: str | None = None  # "term" | "excluded" | "or" | "and"
    for raw in raws:
        if raw.kind == "or":
            if previous in (None, "or", "and"):
                what = {None: "nothing before it", "or": "two ORs in a row", "and": "AND right before it"}[previous]
                raise QueryError(f"OR needs a term on both sides ({what}, at character {raw.position})")
            if previous == "excluded":
                raise _excluded_in_or(raw.position)
            previous = "or"
            continue
        if raw.kind == "and":
            if previous == "or":
                raise QueryError(f"OR needs a term on both sides (AND right after it, at character {raw.position})")
            previous = "and" if previous is not None else None
            continue
        term = _term(raw)
        if term is None:
            continue
        if term.negated:
            if previous == "or":
                raise _excluded_in_or(raw.position)
            excluded.append(term)
            previous = "excluded"
        elif previous == "or":
            clauses[-1].append(term)
            previous = "term"
        else:
            clauses.append([term])
            previous = "term"
    if previous == "or":
        raise QueryError("OR needs a term on both sides (nothing after the last OR)")
    return clauses, excluded


def _atom_set(terms) -> frozenset[Atom]:
    return frozenset(atom for term in terms for atom in term.atoms)


def _dedupe(terms: list[Term]) -> tuple[Term, ...]:
    """The terms without repeats: "model models" is one term."""
    kept: dict[tuple[Atom, ...], Term] = {}
    for term in terms:
        kept.setdefault(term.atoms, term)
    return tuple(kept.values())


def _plain_words(words: list[str]) -> SubscriptionQuery:
    """What parse() makes of lower-case words and nothing else, the commonest stored query,
    without the general scanner: an index parses a hundred thousand of them."""
    kept: dict[str, Term] = {}
    for word in words:
        root = canonical(word)
        if root not in kept:
            kept[root] = Term("word", word, False, (Atom((root,)),))
    return SubscriptionQuery(tuple((term,) for term in kept.values()))


def parse(text: str) -> SubscriptionQuery:
    """A query from what the user typed; QueryError says what is wrong and where."""
    if not isinstance(text, str):
        raise QueryError("the query must be text")
    text = text.translate(_QUOTE_MARKS).strip()
    if not text:
        raise QueryError("empty query: give at least one word to watch for, e.g. diffusion models")
    if len(text) > MAX_ARGUMENT_CHARS:
        raise QueryError(f"the query is too long ({len(text):,} characters; the limit is {MAX_ARGUMENT_CHARS:,})")
    if _PLAIN_WORDS.fullmatch(text):
        words = text.split()
        if _OPERATOR_WORDS.isdisjoint(words):
            return _plain_words(words)
    clauses, excluded = _group(_scan(text))
    if not clauses:
        if excluded:
            raise QueryError("nothing to match: a query needs at least one word that is not excluded "
                             "(-word only removes papers)")
        raise QueryError("nothing to match: the query has no letters or digits")
    unique: dict[frozenset[Atom], tuple[Term, ...]] = {}
    for clause in clauses:
        alternatives = _dedupe(clause)
        unique.setdefault(_atom_set(alternatives), alternatives)
    return SubscriptionQuery(tuple(unique.values()), _dedupe(excluded))
