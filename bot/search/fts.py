"""Safe FTS5 MATCH expressions, built only from tokens this module extracted itself.

User text never reaches MATCH as syntax: it is split into words (paperboy.bot.text) much as the
index's `unicode61 remove_diacritics 2` tokenizer splits it, and every token is double-quoted (a
quoted string is always a plain phrase to FTS5, so AND, NEAR, -, *, ^, : and parentheses lose
any meaning). A prefix `*` is appended only by code, outside the quotes.
"""
from __future__ import annotations

from collections.abc import Iterable

from paperboy.bot.text import words

# Hard caps keep a 10,000-character argument from turning into a 10,000-term query.
MAX_INPUT_CHARS = 2000
MAX_TOKENS = 64
MAX_TOKEN_CHARS = 64

STOPWORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had
has have having he her here hers herself him himself his how i if in into is it its itself just
me more most my myself no nor not now of off on once only or other our ours ourselves out over
own same she should so some such than that the their theirs them themselves then there these
they this those through to too under until up very via was we were what when where which while
who whom why will with would you your yours yourself yourselves using use towards toward vs
""".split())


def tokenize(text: str | None, max_tokens: int = MAX_TOKENS, max_chars: int = MAX_INPUT_CHARS, *,
             as_indexed: bool = False) -> list[str]:
    """The words of a text, in order and capped. `as_indexed` gives them as the index's tokenizer
    stores them (it keeps ø, ł, ß: "łukasz", where the words paperboy compares have "lukasz");
    both lists are always the same length, word for word."""
    if not text:
        return []
    found = words(text[:max_chars], base_letters=not as_indexed)
    return [t[:MAX_TOKEN_CHARS] for t in found[:max_tokens]]


def content_tokens(tokens: Iterable[str]) -> list[str]:
    """Tokens without stopwords and without repeats, order kept."""
    seen: set[str] = set()
    kept = []
    for token in tokens:
        if token in STOPWORDS or token in seen:
            continue
        seen.add(token)
        kept.append(token)
    return kept


def quote_term(term: str, prefix: bool = False) -> str:
    """One FTS5 string: double quotes around it, inner quotes doubled; `*` only when asked."""
    return '"' + term.replace('"', '""') + '"' + ("*" if prefix else "")


def quote_terms(terms: Iterable[str], operator: str = "OR", *, prefix_last: bool = False) -> str:
    """Quoted terms joined by AND or OR; "" when there is nothing to search for."""
    if operator not in ("AND", "OR"):
        raise ValueError(f"operator must be AND or OR, not {operator!r}")
    cleaned = [t for t in terms if t and t.strip()]
    if not cleaned:
        return ""
    quoted = [quote_term(t, prefix=prefix_last and i == len(cleaned) - 1) for i, t in enumerate(cleaned)]
    return f" {operator} ".join(quoted)


def any_of(groups: Iterable[Iterable[str]]) -> str:
    """(a OR a') AND (b OR b') ...: every group must match by at least one of its spellings."""
    parts = []
    for group in groups:
        inner = quote_terms(group, "OR")
        if inner:
            parts.append(f"({inner})")
    return " AND ".join(parts)


def in_column(column: str, expression: str) -> str:
    """Limits an expression to one column of papers_fts."""
    if column not in ("title", "abstract", "authors"):
        raise ValueError(f"unknown FTS column {column!r}")
    return f"{column} : ({expression})" if expression else ""
