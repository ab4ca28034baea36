"""A parsed /subscribe query as a PaperFilter (paperboy.bot.models), the form a store can count and
rank papers by without reading each one (trend charts).

The store's full-text index is close to, not the same as, the rules of query.matches (see query's
docstring). What carries over exactly: words folded the same way, phrases (words in a row within one
field), OR, exclusions, compounds (`multi-agent` is both "multi agent" and "multiagent"), British and
American spellings (both are searched), categories and `cat:cs` for every cs.* category. What is
close: plurals (the index's stemmer joins model/models and policy/policies, but also
transformer/transformation and train/training, which matches() keeps apart: a single word's item
therefore also asks for the part every plural-tolerant form of it shares, "transformer" or "polic",
in the title or abstract, which removes the first kind but not a form that only adds letters); `author:Lee` (a surname: the index finds "lee" among the
authors and the store checks that a name ends with it, comparing lower-cased text, so an accented
name written without its accents is missed); Hugging Face keywords are not in the index.
"""
from __future__ import annotations

from paperboy.bot.models import CategoryMatch, FilterItem, PaperFilter, WordsMatch
from paperboy.bot.spelling import american, british, canonical
from paperboy.bot.subscriptions.query import SubscriptionQuery, Term
from paperboy.bot.text import words


def _spellings(folded: list[str]) -> list[tuple[str, ...]]:
    """The words as written, then in American and in British spelling (colour, color)."""
    american_form = tuple(american(word) for word in folded)
    british_form = tuple(british(word) for word in american_form)
    return list(dict.fromkeys((tuple(folded), american_form, british_form)))


def _shared_part(word: str) -> str | None:
    """What every form matches() takes for the word has in it: "polic" for policy/policies,
    "colo" for colour/color; None when too short to be worth checking."""
    shared = word
    stem = canonical(word)
    for position, (a, b) in enumerate(zip(word, stem, strict=False)):
        if a != b:
            shared = word[:position]
            break
    else:
        shared = word[:min(len(word), len(stem))]
    return shared if len(shared) >= 4 and shared.isascii() else None


def _text(spelled: tuple[str, ...]) -> WordsMatch:
    return WordsMatch("text", spelled, contains=_shared_part(spelled[0]) if len(spelled) == 1 else None)


def _items(term: Term) -> tuple[FilterItem, ...]:
    if term.kind == "cat":
        value = term.text.lower()
        return (CategoryMatch(value, archive="." not in value),)
    folded = words(term.text)
    if term.kind == "author":
        if len(folded) == 1:
            return (WordsMatch("authors", (folded[0],), surname=True),)
        first, last = folded[-2], folded[-1]
        if len(folded) == 2 and len(first) > 1:  # "Yann LeCun" is also stored as "Y. LeCun"
            return WordsMatch("authors", (first, last)), WordsMatch("authors", (first[0], last))
        return (WordsMatch("authors", (first[0], last), initial=True),)
    items: list[FilterItem] = [_text(spelled) for spelled in _spellings(folded)]
    if term.kind == "word" and len(folded) > 1:  # multi-agent also finds multiagent
        items.extend(_text(spelled) for spelled in _spellings(["".join(folded)]))
    return tuple(dict.fromkeys(items))


def paper_filter(query: SubscriptionQuery) -> PaperFilter:
    """The query's clauses and exclusions as store-neutral items (see the module docstring)."""
    clauses = tuple(tuple(item for term in clause for item in _items(term)) for clause in query.clauses)
    excluded = tuple(item for term in query.excluded for item in _items(term))
    return PaperFilter(clauses, excluded)
