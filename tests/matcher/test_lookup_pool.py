"""Lookups ranked in worker processes answer as the bot's own matcher does, follow papers stored
after the workers started, and survive a worker that dies; on SQLite and on PostgreSQL."""
from __future__ import annotations

import multiprocessing
import os
import signal
from functools import partial

import pytest
from conftest import SEEN_AT, library

from paperboy.bot.models import Paper
from paperboy.bot.search.lookup_pool import LookupPool
from paperboy.bot.search.matcher import Matcher
from paperboy.storage import open_store

QUERIES = ["the reversal curse", "lora low rank adaptation", "direct preference optimisation reward model",
           "deep residual lerning image recognition", "holography string compactifications"]


@pytest.fixture
def db(db_location):
    store = open_store(db_location)
    store.upsert_papers(library(), SEEN_AT)
    store.close()
    return db_location


@pytest.fixture
async def pooled(db):
    """A matcher whose lookups go to one worker process, and one that ranks in this process."""
    store = open_store(db)
    pool = LookupPool(partial(open_store, db), 1)
    await pool.start()
    matcher = Matcher(store)
    matcher.ranker = pool
    yield matcher, Matcher(store)
    await pool.close()
    store.close()


async def test_a_worker_answers_as_the_matcher_in_this_process_does(pooled):
    in_worker, here = pooled
    for query in QUERIES:
        away, home = await in_worker.lookup(query), await here.lookup(query)
        assert away.best is not None and away.best.paper == home.best.paper
        assert (away.confident, away.via, [s.paper.key for s in away.alternatives]) == \
               (home.confident, home.via, [s.paper.key for s in home.alternatives])
    assert [p.key for p in await in_worker.suggest("lora")] == [p.key for p in here.suggest_titles("lora")]


async def test_a_worker_finds_a_paper_stored_after_it_started(pooled):
    in_worker, _ = pooled
    paper = Paper(key="2611.00042", arxiv_id="2611.00042", title="Quokka Routing for Sparse Mixtures of Experts",
                  abstract="We route tokens like quokkas.")
    in_worker.store.upsert_papers([paper], SEEN_AT)
    match = await in_worker.lookup("quokka routing sparse mixtures")
    assert match.best is not None and match.best.paper.key == "2611.00042"


async def test_a_worker_that_dies_costs_no_answer_and_is_replaced(pooled):
    in_worker, _ = pooled
    for child in multiprocessing.active_children():
        os.kill(child.pid, signal.SIGKILL)
    answers = [await in_worker.lookup("the reversal curse") for _ in range(3)]
    assert all(a.best is not None and "Reversal Curse" in a.best.paper.title for a in answers)
    assert multiprocessing.active_children()  # a new worker took the dead one's place
