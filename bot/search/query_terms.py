"""A /paper query taken apart: its words, their spelling corrections, and the FTS5 expressions
that search for them.

Every word becomes a group of alternatives (the word in canonical form first, then close
vocabulary words when the word is unknown or rare, or the two halves of a run-together word).
A title or document "has" a group when it contains any of its alternatives.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from paperboy.bot.models import normalize_title
from paperboy.bot.search import fts
from paperboy.bot.search.common_words import is_common_in_abstracts
from paperboy.bot.search.title_index import TitleIndex
from paperboy.bot.spelling import canonical, canonical_text, variants

MAX_QUERY_CHARS = 500
ARTICLES = frozenset({"a", "an", "the"})
# Words found in this many titles or more only narrow a search that has rarer words.
COMMON_TITLE_DF = 6_000
MAX_FTS_GROUPS = 6
# An AND with one rare word ranks too many records; up to this many groups are searched
# together, common words filling in (cheap once a rare word keeps the match set small).
MIN_FTS_GROUPS = 4
MAX_SPELLINGS = 6


@dataclass(frozen=True)
class Group:
    word: str  # the query word, folded
    alternatives: tuple[str, ...]  # canonical title-index words; the first is the word's own
    corrected: bool = False  # alternatives beyond the first are guesses
    title_df: int = 0  # titles holding any alternative
    fts_words: tuple[str, ...] = ()  # spellings to search the full text for; () for none
    typed: tuple[str, ...] = ()  # the first of fts_words: the word as typed, in both spellings
    weight: float = 0.0  # idf of the word (of its best guess, when corrected)
    forms: frozenset[str] = frozenset()  # spellings that count as the word in a record's text
    guessed_forms: frozenset[str] = frozenset()  # spellings of the guesses only

    @property
    def has_guesses(self) -> bool:
        return len(self.fts_words) > len(self.typed)


@dataclass(frozen=True)
class QueryTerms:
    text: str
    norm: str  # normalize_title(text)
    full: str  # canonical form of every word, stopwords included
    content: str  # canonical form of every word but articles ("reversal curse" is "The Reversal Curse")
    groups: tuple[Group, ...] = field(default=())

    @property
    def is_empty(self) -> bool:
        return not self.norm


def analyze(text: str, index: TitleIndex) -> QueryTerms:
    text = (text or "").strip()[:MAX_QUERY_CHARS]
    tokens = fts.tokenize(text)
    # The index keeps ø, ł, ß as written: a word holding one is searched in that form too.
    as_indexed = {t: i for t, i in zip(tokens, fts.tokenize(text, as_indexed=True), strict=True) if t != i}
    # Single letters ("a b c", the "C" of "C++") single out nothing and cost a lot to gather.
    content = [t for t in fts.content_tokens(tokens) if len(t) > 1] or fts.content_tokens(tokens) or tokens
    groups: list[Group] = []
    seen: set[str] = set()
    for word in content:
        for group in _groups_for(word, index, as_indexed.get(word)):
            if group.alternatives[0] not in seen:
                seen.add(group.alternatives[0])
                groups.append(group)
    _add_joined_words(content, groups, index)
    groups = [_weighed(g, index) for g in groups]
    return QueryTerms(
        text=text,
        norm=normalize_title(text),
        full=canonical_text(tokens),
        content=canonical_text([t for t in tokens if t not in ARTICLES]),
        groups=tuple(groups),
    )


def _groups_for(word: str, index: TitleIndex, indexed: str | None = None) -> list[Group]:
    canon = canonical(word)
    frequency = index.document_frequency(canon)
    spellings = (*variants(word), indexed) if indexed else tuple(variants(word))
    if frequency >= 3 or len(word) < 4 or not word.isalpha():
        return [Group(word, (canon,), False, frequency, spellings, spellings)]
    guesses = index.corrections(canon)
    if guesses:
        # A guess that abstracts are full of ("lear" -> "learn") would make the full-text search
        # slow and vague; the title index still tries it.
        guessed = [s for g in guesses for s in index.surfaces(g)[:2]
                   if s not in spellings and not is_common_in_abstracts(s)]
        return [Group(word, (canon, *guesses), True, frequency + sum(map(index.document_frequency, guesses)),
                      (*spellings, *guessed)[:MAX_SPELLINGS], spellings)]
    if frequency == 0:
        halves = _split_run_together(canon, index)
        if halves:
            # The full text may well hold the word as typed ("SemanticPOSS"): it is searched
            # for as written, the halves only in titles.
            first, second = halves
            return [Group(first, (first,), True, index.document_frequency(first), spellings, spellings),
                    Group(second, (second,), True, index.document_frequency(second), (), ())]
    return [Group(word, (canon,), False, frequency, spellings, spellings)]


def _weighed(group: Group, index: TitleIndex) -> Group:
    known = [a for a in group.alternatives if index.knows(a)]
    if group.corrected and known:
        weight = max(index.idf(a) for a in known)
    else:
        weight = index.idf(group.alternatives[0])
    own = [group.alternatives[0]] if group.corrected and group.has_guesses else list(group.alternatives)
    forms = set(group.typed) | set(own)
    for alternative in own:
        forms.update(index.surfaces(alternative))
    guessed = set(group.fts_words[len(group.typed):]) | set(group.alternatives)
    for alternative in group.alternatives:
        guessed.update(index.surfaces(alternative))
    return replace(group, weight=weight, forms=frozenset(forms), guessed_forms=frozenset(guessed - forms))


def _split_run_together(word: str, index: TitleIndex) -> tuple[str, str] | None:
    """"retrosearch" -> ("retro", "search") when both halves are title words."""
    best = None
    for cut in range(3, len(word) - 2):
        left, right = canonical(word[:cut]), canonical(word[cut:])
        if index.knows(left) and index.knows(right):
            weight = min(index.document_frequency(left), index.document_frequency(right))
            if best is None or weight > best[0]:
                best = (weight, left, right)
    return (best[1], best[2]) if best else None


def _add_joined_words(content: list[str], groups: list[Group], index: TitleIndex) -> None:
    """"retro search" also finds "RetroSearch": a joined pair that titles use joins the first group."""
    for i in range(min(len(content), len(groups)) - 1):
        joined = canonical(content[i] + content[i + 1])
        group = groups[i]
        if group.word == content[i] and index.knows(joined) and joined not in group.alternatives:
            groups[i] = replace(group, alternatives=(*group.alternatives, joined))


def searchable_groups(terms: QueryTerms) -> tuple[list[Group], list[Group]]:
    """(specific, filler) groups for FTS5, rarest first. No search unless some word is specific
    (words common in titles or abstracts cost tens of milliseconds alone, and the title index
    covers them); common words are kept aside to narrow a search that matched too much."""
    usable = sorted((g for g in terms.groups if g.fts_words and g.word not in fts.STOPWORDS),
                    key=lambda g: g.title_df)
    specific = specific_groups(usable)[:MAX_FTS_GROUPS]
    if not specific:
        return [], []
    filler = [g for g in usable if g not in specific][: max(0, MIN_FTS_GROUPS - len(specific))]
    return specific, filler


def specific_groups(groups: list[Group]) -> list[Group]:
    """Words rare enough to search the full text for on their own merit (numbers and two-letter
    tokens are in too many abstracts to count, though they may narrow a search)."""
    return [g for g in groups if g.title_df < COMMON_TITLE_DF and len(g.word) > 2 and not g.word.isdigit()
            and not is_common_in_abstracts(g.word)]


def all_of_expression(groups: list[Group], with_guesses: bool = True) -> str:
    return fts.any_of((g.fts_words if with_guesses else g.typed) for g in groups)


def any_of_expression(groups: list[Group]) -> str:
    spellings: list[str] = []
    for group in groups:
        spellings.extend(s for s in group.fts_words if s not in spellings)
    return fts.quote_terms(spellings, "OR")
