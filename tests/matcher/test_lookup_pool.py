"""Lookups ranked in worker processes answer as the bot's own matcher does, follow papers stored
after the workers started, and survive a worker that dies; on SQLite and on PostgreSQL."""
from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
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


def test_workers_end_when_the_bot_is_stopped_at_once(db, tmp_path):
    """A bot that ends without stopping its pool (a second Ctrl-C, SIGKILL) leaves no worker behind."""
    script = tmp_path / "bot.py"
    script.write_text(
        "import asyncio, os, sys\n"
        "from functools import partial\n"
        "from paperboy.bot.search.lookup_pool import LookupPool\n"
        "from paperboy.storage import open_store\n"
        "async def main():\n"
        "    pool = LookupPool(partial(open_store, sys.argv[1]), 2)\n"
        "    await pool.start()\n"
        "    print(' '.join(str(c.pid) for c in __import__('multiprocessing').active_children()), flush=True)\n"
        "    os._exit(130)\n"
        "if __name__ == '__main__':\n"
        "    asyncio.run(main())\n")
    done = subprocess.run([sys.executable, str(script), str(db)], capture_output=True, text=True, timeout=60)
    workers = [int(pid) for pid in done.stdout.split()]
    assert len(workers) >= 2
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers)


def test_a_worker_still_starting_when_the_bot_ends_ends_too(db, tmp_path):
    """The bot ends while its worker is still importing: the worker must know the bot it belongs
    to, not take whichever process is its parent by the time it looks."""
    script = tmp_path / "bot.py"
    script.write_text(
        "import asyncio, os, sys\n"
        "from functools import partial\n"
        "from paperboy.bot.search.lookup_pool import LookupPool, _ready\n"
        "from paperboy.storage import open_store\n"
        "async def main():\n"
        "    pool = LookupPool(partial(open_store, sys.argv[1]), 1)\n"
        "    pool._pool().submit(_ready)\n"
        "    print(' '.join(str(c.pid) for c in __import__('multiprocessing').active_children()), flush=True)\n"
        "    os._exit(130)\n"
        "if __name__ == '__main__':\n"
        "    asyncio.run(main())\n")
    bot = subprocess.Popen([sys.executable, str(script), str(db)], stdout=subprocess.PIPE, text=True)
    workers = [int(pid) for pid in bot.stdout.readline().split()]
    bot.wait(timeout=30)
    assert workers
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    alive = [pid for pid in workers if _alive(pid)]
    for pid in alive:
        os.kill(pid, signal.SIGKILL)
    assert not alive


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
