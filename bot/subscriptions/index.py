"""Every subscription against a batch of new papers, at once.

Checking each of 100,000 subscriptions against each of 2,000 papers is 200 million tests. Instead
the batch of papers is folded once into an inverted index (key -> bit set of the papers holding
it), every distinct query is filed under the keys of one of its required clauses (the
rarest-looking one; each alternative of an OR group), and only queries whose key occurs somewhere
in the batch are evaluated, all papers at once, by AND/OR of those bit sets. Keys are word stems,
pairs of neighbouring stems, surnames, name pairs and categories, so most queries are decided by
the keys alone; phrases of three words or more and full author names get an exact check on the
few papers that survive.
"""
from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import compress, product

from paperboy.bot.models import Paper, Subscription
from paperboy.bot.spelling import canonical
from paperboy.bot.subscriptions.paper_text import KeyFilter, PaperText
from paperboy.bot.subscriptions.query import Atom, QueryError, SubscriptionQuery, Term, parse

log = logging.getLogger(__name__)

_COMMON_WORDS = frozenset(canonical(w) for w in (
    "a an the of for and or in on to with by from via is are be we our this that these as at can "
    "it its their which using based new towards toward into than not more such also both between "
    "learning model models method methods approach results data show propose proposed paper "
    "performance task tasks network networks large language training"
).split())

DESCRIPTION_LIMIT = 160  # characters of a query's description in an alert
Postings = dict[str, int]  # key -> bit set of the papers that hold it


@lru_cache(maxsize=65_536)
def _rarity(key: str) -> float:
    """A guess at the share of papers holding a key: lower is rarer, rarer keys file queries better."""
    if key.startswith("c:"):
        return 0.1 if "." in key else 0.5
    if key.startswith(("p:", "n:")):
        return 0.0005
    if key.startswith("s:"):
        return 0.002
    if " " in key:  # two neighbouring words
        return 0.005
    if key in _COMMON_WORDS:
        return 1.0
    if key.isdigit():
        return 0.05
    return min(0.5, 0.5 / max(len(key), 1))


def _alternative_keys(atom: Atom) -> tuple[str, ...]:
    return tuple(sorted(set(atom.keys), key=_rarity))


def _clause_alternatives(terms: Iterable[Term]) -> tuple[tuple[str, ...], ...]:
    return tuple(dict.fromkeys(_alternative_keys(atom) for term in terms for atom in term.atoms))


def _cost(alternatives: tuple[tuple[str, ...], ...]) -> float:
    return sum(_rarity(keys[0]) for keys in alternatives)


@dataclass(slots=True)
class _Plan:
    """One distinct query, with every subscription that holds it. Only what matching needs is
    kept, not the parsed query: 100,000 parsed queries are a million objects for the cyclic
    collector to walk."""
    number: int
    canonical: str  # str(query): subscriptions with the same one share the plan
    # Required clauses, rarest first; each a single key, or alternatives that are each keys to AND.
    steps: tuple[str | tuple[tuple[str, ...], ...], ...]
    excluded_keys: tuple[str, ...]  # exclusions the key index decides exactly
    # What the keys alone cannot decide (phrases, author names), checked on the paper's text:
    unsure_clauses: tuple[tuple[Atom, ...], ...]
    unsure_excluded: tuple[Atom, ...]
    # Filed under the first key of each alternative of its rarest clause:
    first_keys: tuple[str, ...]
    subscriptions: list[Subscription] = field(default_factory=list)
    # Derived, for the hot loop:
    conjunction: tuple[str, ...] | None = None  # the keys, when every required clause is one key
    shared: bool = False  # filed under several keys, so evaluated once per batch on purpose
    needs_check: bool = False
    description: str | None = None  # query.describe(), made when an alert first needs it

    def __post_init__(self) -> None:
        if all(isinstance(step, str) for step in self.steps):
            self.conjunction = self.steps  # type: ignore[assignment]
        self.shared = len(self.first_keys) > 1
        self.needs_check = bool(self.unsure_clauses or self.unsure_excluded)

    @classmethod
    def of(cls, number: int, query: SubscriptionQuery) -> _Plan:
        clauses = sorted((_clause_alternatives(c) for c in query.clauses), key=_cost)
        clause_atoms = [tuple(a for t in clause for a in t.atoms) for clause in query.clauses]
        excluded_atoms = [a for t in query.excluded for a in t.atoms]
        return cls(number, str(query),
                   steps=tuple(c[0][0] if len(c) == 1 and len(c[0]) == 1 else c for c in clauses),
                   first_keys=tuple(dict.fromkeys(keys[0] for keys in clauses[0])),
                   excluded_keys=tuple(a.keys[0] for a in excluded_atoms if a.exact),
                   unsure_clauses=tuple(atoms for atoms in clause_atoms if not all(a.exact for a in atoms)),
                   unsure_excluded=tuple(a for a in excluded_atoms if not a.exact))

    def renumbered(self, number: int) -> _Plan:
        """A copy for another index: its own number, no subscriptions yet."""
        return _Plan(number, self.canonical, self.steps, self.excluded_keys, self.unsure_clauses,
                     self.unsure_excluded, self.first_keys, description=self.description)

    @property
    def all_keys(self) -> Iterator[str]:
        for step in self.steps:
            if isinstance(step, str):
                yield step
            else:
                yield from (key for keys in step for key in keys)
        yield from self.excluded_keys

    @property
    def single_key(self) -> str | None:
        """The key when holding it is the whole query."""
        if len(self.steps) == 1 and isinstance(self.steps[0], str) and not self.excluded_keys \
                and not self.needs_check:
            return self.steps[0]
        return None

    def confirm(self, candidates: int, texts: list[PaperText]) -> int:
        """The candidates (a bit set of papers) that pass what the keys could not decide."""
        kept = 0
        for number in _positions(candidates):
            text = texts[number]
            for atoms in self.unsure_clauses:
                for atom in atoms:
                    if atom.test(text):
                        break
                else:
                    break
            else:
                for atom in self.unsure_excluded:
                    if atom.test(text):
                        break
                else:
                    kept |= 1 << number
        return kept

    def candidates(self, postings: Postings) -> int:
        """A bit set of the papers that hold every required clause's keys (exclusions and exact
        checks come after). Bit sets, not sets: an AND of 2,000-bit integers costs less than hashing."""
        get = postings.get
        found = -1
        for step in self.steps:
            if step.__class__ is str:  # the usual clause: one key
                found &= get(step, 0)
            else:
                either = 0
                for keys in step:
                    papers = get(keys[0], 0)
                    for key in keys[1:]:
                        if not papers:
                            break
                        papers &= get(key, 0)
                    either |= papers
                found &= either
            if not found:
                return 0
        return found


_BIT_BYTES = bytes.maketrans(b"01", b"\x00\x01")


def _positions(bits: int) -> Iterable[int]:
    """The positions of the set bits. Few: peeled off one by one. More: found with str.find in the
    binary text. Many: the binary text, lowest bit first, as 0/1 bytes selecting from a range."""
    count = bits.bit_count()
    if count <= 16:
        positions = []
        while bits:
            lowest = bits & -bits
            positions.append(lowest.bit_length() - 1)
            bits ^= lowest
        return positions
    if count <= 250:
        text = bin(bits)
        last = len(text) - 1
        positions = []
        at = text.find("1", 2)
        while at >= 0:
            positions.append(last - at)
            at = text.find("1", at + 1)
        return positions
    selectors = bin(bits).encode()[:1:-1].translate(_BIT_BYTES)
    return compress(range(len(selectors)), selectors)


class SubscriptionIndex:
    """Every stored subscription parsed once and filed under a key it cannot match without."""

    def __init__(self, plans: list[_Plan], skipped: list[tuple[Subscription, str]],
                 plans_by_text: dict[str, _Plan]):
        self.skipped = skipped  # (subscription, why) for stored queries that no longer parse
        self._plans = plans
        self._plans_by_text = plans_by_text
        self._plan_of = {sub.id: plan for plan in plans for sub in plan.subscriptions}
        # Queries that are one key (a word, a two-word phrase, a surname, a category) need no
        # evaluation: their subscriptions are pooled under that key. Queries of two keys or more,
        # all required, are filed under their two rarest, so that one C-level set intersection
        # skips those whose second key the batch lacks; those of exactly two keys are pooled there.
        # The rest are filed under their first keys.
        self._single_key: dict[str, list[Subscription]] = {}
        # first key -> second key -> (subscriptions whose query is exactly those two keys, other plans)
        self._by_pair: dict[str, dict[str, tuple[list[Subscription], list[_Plan]]]] = {}
        self._by_key: dict[str, list[_Plan]] = {}
        for plan in plans:
            if plan.single_key is not None:
                self._single_key.setdefault(plan.single_key, []).extend(plan.subscriptions)
            elif plan.conjunction is not None and len(plan.conjunction) > 1:
                first, second = plan.conjunction[:2]
                pooled, others = self._by_pair.setdefault(first, {}).setdefault(second, ([], []))
                if len(plan.conjunction) == 2 and not plan.excluded_keys and not plan.needs_check:
                    pooled.extend(plan.subscriptions)
                else:
                    others.append(plan)
            else:
                for key in plan.first_keys:
                    self._by_key.setdefault(key, []).append(plan)
        self._relevant_keys = frozenset(key for plan in plans for key in plan.all_keys)
        self._key_filter = KeyFilter.of(self._relevant_keys)

    @classmethod
    def build(cls, subscriptions: Iterable[Subscription],
              previous: SubscriptionIndex | None = None) -> SubscriptionIndex:
        """Parses every subscription's query once (the queries of previous, an index built
        earlier, are reused: only new query texts are parsed). A stored query that no longer
        parses is logged and skipped, and listed in .skipped."""
        known = previous._plans_by_text if previous is not None else {}
        plans: dict[str, _Plan] = {}  # by canonical query
        by_text: dict[str, _Plan] = {}
        skipped: list[tuple[Subscription, str]] = []
        for sub in subscriptions:
            cls._file(sub, plans, by_text, known, skipped)
        index = cls(list(plans.values()), skipped, by_text)
        # An index is a million small objects that live until the next ingest. Frozen, the cyclic
        # collector stops rescanning them every time matching allocates (which doubled its cost);
        # they are freed as usual once nothing refers to them.
        gc.freeze()
        return index

    @staticmethod
    def _file(sub: Subscription, plans: dict[str, _Plan], by_text: dict[str, _Plan],
              known: dict[str, _Plan], skipped: list[tuple[Subscription, str]]) -> None:
        """Adds sub to the plan of its query, parsing the query unless an earlier index has it."""
        plan = by_text.get(sub.query)
        if plan is None:
            earlier = known.get(sub.query)
            if earlier is None:
                try:
                    fresh = _Plan.of(len(plans), parse(sub.query))
                except QueryError as exc:
                    log.warning("subscription #%s skipped: its query no longer parses (%s)", sub.id, exc)
                    skipped.append((sub, str(exc)))
                    return
                plan = plans.setdefault(fresh.canonical, fresh)
            else:
                plan = plans.get(earlier.canonical)
                if plan is None:
                    plan = plans[earlier.canonical] = earlier.renumbered(len(plans))
            by_text[sub.query] = plan
        plan.subscriptions.append(sub)

    def __len__(self) -> int:
        return len(self._plan_of)

    def query_of(self, subscription: Subscription) -> SubscriptionQuery | None:
        """The parsed query of an indexed subscription (parsed again: the index keeps less)."""
        plan = self._plan_of.get(subscription.id)
        return parse(plan.canonical) if plan is not None else None

    def description_of(self, subscription: Subscription) -> str:
        """The query in plain words, as confirmations show it; the stored text when not indexed."""
        plan = self._plan_of.get(subscription.id)
        if plan is None:
            return subscription.query
        if plan.description is None:
            plan.description = parse(plan.canonical).describe(DESCRIPTION_LIMIT)
        return plan.description

    def matches(self, papers: list[Paper]) -> list[tuple[Subscription, Paper]]:
        """Every (subscription, paper) pair that matches, each once, in no particular order."""
        unique = list({paper.key: paper for paper in papers}.values())
        texts = [PaperText.of(paper, self._key_filter) for paper in unique]
        postings = self._postings(texts)
        pairs: list[tuple[Subscription, Paper]] = []
        paper_at = unique.__getitem__
        for key in postings.keys() & self._single_key.keys():
            pairs.extend(product(self._single_key[key], map(paper_at, _positions(postings[key]))))
        self._evaluate(postings, texts, pairs, paper_at)
        return pairs

    def _postings(self, texts: list[PaperText]) -> Postings:
        """key -> bit set of the papers that hold it."""
        postings: Postings = {}
        get = postings.get
        for number, text in enumerate(texts):
            bit = 1 << number
            for key in text.keys:  # already cut down to the keys some query uses
                postings[key] = get(key, 0) | bit
        return postings

    def _evaluate(self, postings: Postings, texts: list[PaperText], pairs: list[tuple[Subscription, Paper]],
                  paper_at: Callable[[int], Paper]) -> None:
        """Adds the matches of every plan whose filing keys the batch holds."""
        get = postings.get
        for first in postings.keys() & self._by_pair.keys():
            holding_first = postings[first]
            by_second = self._by_pair[first]
            for second in by_second.keys() & postings.keys():
                holding_both = holding_first & postings[second]
                if holding_both:
                    pooled, others = by_second[second]
                    if pooled:
                        pairs.extend(product(pooled, map(paper_at, _positions(holding_both))))
                    for plan in others:
                        hits = holding_both
                        for other in plan.conjunction[2:]:  # type: ignore[index]
                            hits &= get(other, 0)
                        self._add(plan, hits, postings, texts, pairs, paper_at)
        evaluated: set[int] = set()
        for key in postings.keys() & self._by_key.keys():
            for plan in self._by_key[key]:
                if plan.shared:
                    if plan.number in evaluated:
                        continue
                    evaluated.add(plan.number)
                conjunction = plan.conjunction
                if conjunction is not None:
                    hits = get(conjunction[0], 0)
                    for other in conjunction[1:]:
                        hits &= get(other, 0)
                else:
                    hits = plan.candidates(postings)
                self._add(plan, hits, postings, texts, pairs, paper_at)

    @staticmethod
    def _add(plan: _Plan, hits: int, postings: Postings, texts: list[PaperText],
             pairs: list[tuple[Subscription, Paper]], paper_at: Callable[[int], Paper]) -> None:
        """Applies the plan's exclusions and exact checks to hits, and adds what is left."""
        if not hits:
            return
        for key in plan.excluded_keys:
            excluded = postings.get(key)
            if excluded:
                hits &= ~excluded
        if hits and plan.needs_check:
            hits = plan.confirm(hits, texts)
        if hits:
            pairs.extend(product(plan.subscriptions, map(paper_at, _positions(hits))))
