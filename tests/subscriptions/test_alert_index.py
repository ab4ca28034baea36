"""The inverted index finds exactly what checking every subscription against every paper finds."""
from __future__ import annotations

import logging
import random

import pytest

from paperboy.bot.models import Paper, Subscription
from paperboy.bot.subscriptions.index import SubscriptionIndex
from paperboy.bot.subscriptions.paper_text import PaperText
from paperboy.bot.subscriptions.query import QueryError, parse

# A small vocabulary so that random queries often match, with plurals, hyphens and accents.
WORDS = ["diffusion", "diffusions", "model", "models", "policy", "policies", "flow", "matching", "graph",
         "neural", "network", "networks", "robot", "robots", "video", "videos", "language", "reasoning",
         "agent", "multi-agent", "gpt-4", "café", "naïve", "image", "images", "the", "of", "a", "for"]
NAMES = ["Yann LeCun", "Y. LeCun", "Hector Garcia-Molina", "Fei-Fei Li", "Li Wei", "Wei Li", "Jason Lee",
         "Lee Sedol", "Smith, John", "J. Smith", "Martin Luther King Jr.", "Søren Kierkegaard",
         "Ana María López", "A. M. López", "Geoffrey E. Hinton", "G. Hinton"]
CATEGORIES = ["cs.LG", "cs.CL", "cs.CV", "stat.ML", "math.OC", "hep-th", "astro-ph.CO"]


def random_paper(rng: random.Random, number: int) -> Paper:
    return Paper(
        key=f"2501.{number:05d}",
        title=" ".join(rng.choices(WORDS, k=rng.randint(3, 8))).title(),
        abstract=(" ".join(rng.choices(WORDS, k=rng.randint(0, 40))) + ".") if rng.random() < 0.9 else None,
        authors=tuple(rng.sample(NAMES, rng.randint(0, 4))),
        categories=tuple(rng.sample(CATEGORIES, rng.randint(0, 3))),
        ai_keywords=tuple(" ".join(rng.choices(WORDS, k=2)) for _ in range(rng.randint(0, 2))),
    )


def random_term(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.40:
        return rng.choice(WORDS).upper() if rng.random() < 0.1 else rng.choice(WORDS)
    if kind < 0.60:
        return '"' + " ".join(rng.choices(WORDS, k=rng.randint(2, 3))) + '"'
    if kind < 0.80:
        name = rng.choice(NAMES)
        parts = name.replace(",", "").split()
        choice = rng.random()
        if choice < 0.4:
            return f"author:{rng.choice(parts)}"
        if choice < 0.7:
            return f'author:"{name}"'
        return f'author:"{" ".join(parts[-2:])}"'
    category = rng.choice(CATEGORIES)
    return f"cat:{category.split('.')[0] if rng.random() < 0.3 else category}"


def random_query(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(1, 3)):
        group = [random_term(rng) for _ in range(1 if rng.random() < 0.7 else rng.randint(2, 3))]
        parts.append(" OR ".join(group))
    for _ in range(0 if rng.random() < 0.6 else rng.randint(1, 2)):
        parts.append("-" + random_term(rng))
    rng.shuffle(parts)
    return " ".join(parts)


def subscription(number: int, query: str, notify: str = "dm") -> Subscription:
    return Subscription(number, "discord", "guild1", f"user{number % 7}", "chan1", notify, query,
                        "2025-01-01T00:00:00Z")


def naive(subscriptions: list[Subscription], papers: list[Paper]) -> set[tuple[int, str]]:
    """Every subscription against every paper (each paper folded once, as query.matches would)."""
    texts = [(paper.key, PaperText.of(paper)) for paper in papers]
    found = set()
    for sub in subscriptions:
        try:
            query = parse(sub.query)
        except QueryError:
            continue
        found.update((sub.id, key) for key, text in texts if query.matches_text(text))
    return found


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_indexed_matching_equals_the_naive_loop(seed):
    rng = random.Random(seed)
    papers = [random_paper(rng, n) for n in range(120)]
    subs = [subscription(n + 1, random_query(rng)) for n in range(600)]
    pairs = SubscriptionIndex.build(subs).matches(papers)
    expected = naive(subs, papers)
    assert {(s.id, p.key) for s, p in pairs} == expected
    assert len(pairs) == len(expected)  # no pair twice
    assert len(expected) > 500  # the randomized set really exercises matching


def test_the_same_paper_twice_in_a_batch_is_matched_once():
    paper = Paper(key="2501.1", title="Diffusion models")
    index = SubscriptionIndex.build([subscription(1, "diffusion")])
    assert [(s.id, p.key) for s, p in index.matches([paper, paper])] == [(1, "2501.1")]


def test_subscriptions_sharing_a_query_each_get_the_match():
    paper = Paper(key="2501.1", title="Diffusion models for video")
    subs = [subscription(1, "diffusion"), subscription(2, "Diffusion"), subscription(3, "diffusion -audio"),
            subscription(4, '"diffusion models"'), subscription(5, "diffusion models"), subscription(6, "audio")]
    index = SubscriptionIndex.build(subs)
    assert sorted(s.id for s, _ in index.matches([paper])) == [1, 2, 3, 4, 5]


def test_invalid_stored_queries_are_skipped_logged_and_listed(caplog):
    subs = [subscription(1, "diffusion"), subscription(2, 'author:"unclosed'), subscription(3, "-only -exclusions"),
            subscription(4, "video")]
    with caplog.at_level(logging.WARNING, logger="paperboy.bot.subscriptions.index"):
        index = SubscriptionIndex.build(subs)
    assert [s.id for s, _ in index.skipped] == [2, 3]
    assert "unclosed quote" in index.skipped[0][1]
    assert "subscription #2 skipped" in caplog.text and "subscription #3 skipped" in caplog.text
    paper = Paper(key="2501.1", title="Diffusion for video")
    assert sorted(s.id for s, _ in index.matches([paper])) == [1, 4]
    assert len(index) == 2


def test_rebuilding_from_a_previous_index_gives_the_same_matches():
    rng = random.Random(11)
    papers = [random_paper(rng, n) for n in range(60)]
    first = [subscription(n + 1, random_query(rng)) for n in range(300)]
    later = first[50:] + [subscription(1000 + n, random_query(rng)) for n in range(100)]
    previous = SubscriptionIndex.build(first)
    rebuilt = SubscriptionIndex.build(later, previous=previous)
    fresh = SubscriptionIndex.build(later)
    assert {(s.id, p.key) for s, p in rebuilt.matches(papers)} == {(s.id, p.key) for s, p in fresh.matches(papers)}
    assert {(s.id, p.key) for s, p in previous.matches(papers)} == naive(first, papers)  # unchanged by reuse


def test_query_of_gives_the_parsed_query():
    sub = subscription(1, "diffusion OR flow matching")
    index = SubscriptionIndex.build([sub])
    assert index.query_of(sub) == parse("diffusion OR flow matching")
    assert index.query_of(subscription(2, "x")) is None


def test_an_empty_index_or_batch_matches_nothing():
    assert SubscriptionIndex.build([]).matches([Paper(key="a", title="Diffusion")]) == []
    assert SubscriptionIndex.build([subscription(1, "diffusion")]).matches([]) == []


def test_description_of_reads_the_query_in_plain_words():
    sub = subscription(1, 'diffusion OR flow matching -video')
    index = SubscriptionIndex.build([sub])
    assert index.description_of(sub) == "(diffusion or flow) and matching, not video"
    assert index.description_of(subscription(2, "not indexed")) == "not indexed"


def test_large_batches_where_most_papers_match():
    # More than a few hundred matching papers take another path from bit sets to papers.
    papers = [Paper(key=f"2501.{n:05d}", title=f"The study number{n} of graphs",
                    abstract="Graphs and more graphs." if n % 3 else None) for n in range(700)]
    subs = [subscription(1, "the"), subscription(2, "graph study"), subscription(3, "graphs -number5"),
            subscription(4, '"the study" OR nothing'), subscription(5, "graph more")]
    pairs = SubscriptionIndex.build(subs).matches(papers)
    assert {(s.id, p.key) for s, p in pairs} == naive(subs, papers)
    counts = {sub.id: sum(1 for s, _ in pairs if s.id == sub.id) for sub in subs}
    assert counts == {1: 700, 2: 700, 3: 699, 4: 700, 5: 466}


def test_bit_positions_whatever_the_density():
    from paperboy.bot.subscriptions.index import _positions

    rng = random.Random(5)
    for count in (1, 2, 16, 17, 250, 251, 1500):
        chosen = set(rng.sample(range(2000), count))
        assert sorted(_positions(sum(1 << n for n in chosen))) == sorted(chosen)


def test_matching_never_switches_the_collector_off_for_the_whole_process():
    """Matching runs in a worker thread while the bot goes on: it may not disable the cyclic
    collector process-wide. It freezes the index it built instead."""
    import gc
    import threading

    subs = [subscription(n, f"topic{n} word{n % 97}") for n in range(20_000)]
    papers = [Paper(key=f"p{n}", title=f"Topic{n} and word{n % 97}") for n in range(300)]
    samples: list[bool] = []
    done = threading.Event()

    def work() -> None:
        try:
            SubscriptionIndex.build(subs).matches(papers)
        finally:
            done.set()

    worker = threading.Thread(target=work)
    worker.start()
    while not done.is_set():
        samples.append(gc.isenabled())
    worker.join()
    assert samples and all(samples)
    assert gc.get_freeze_count() > 0
