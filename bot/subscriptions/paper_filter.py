"""A parsed /subscribe query as a PaperFilter (paperboy.bot.models), the form a store can count and
rank papers by without reading each one (trend charts).

The store's full-text index is close to, not the same as, the rules of query.matches (see query's
docstring). What carries over exactly: words folded the same way, phrases (words in a row within one
field), OR, exclusions, compounds (`multi-agent` is both "multi agent" and "multiagent"), British and
American spellings (both are searched), categories and `cat:cs` for every cs.* category. What is
close: plurals (the index's stemmer also joins model/models and policy/policies, but also
train/training, which matches() keeps apart); `author:Lee` (a surname: the index finds "lee" among the
authors and the store checks that a name ends with it, comparing lower-cased text, so an accented
name written without its accents is missed); Hugging Face keywords are not in the index.
"""
from __future__ import annotations

from paperboy.bot.models import CategoryMatch, FilterItem, PaperFilter, WordsMatch
from paperboy.bot.spelling import american, british
from paperboy.bot.subscriptions.query import SubscriptionQuery, Term
from paperboy.bot.text import words


def _spellings(folded: list[str]) -> list[tuple[str, ...]]:
    """The words as written, then in American and in British spelling (colour, color)."""
    american_form = tuple(american(word) for word in folded)
    british_form = tuple(british(word) for word in american_form)
    return list(dict.fromkeys((tuple(folded), american_form, british_form)))


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
    items: list[FilterItem] = [WordsMatch("text", spelled) for spelled in _spellings(folded)]
    if term.kind == "word" and len(folded) > 1:  # multi-agent also finds multiagent
        items.extend(WordsMatch("text", spelled) for spelled in _spellings(["".join(folded)]))
    return tuple(dict.fromkeys(items))


def paper_filter(query: SubscriptionQuery) -> PaperFilter:
    """The query's clauses and exclusions as store-neutral items (see the module docstring)."""
    clauses = tuple(tuple(item for term in clause for item in _items(term)) for clause in query.clauses)
    excluded = tuple(item for term in query.excluded for item in _items(term))
    return PaperFilter(clauses, excluded)
