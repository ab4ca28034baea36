"""Names for stored papers: mined here from each paper's title and abstract (aliases.mine) and
handed to the store, which keeps them. A paper stored with a new or changed text waits in the
store until then. The process that stored it names it at once (the matcher, when it indexes new
papers; `paperboy import` and `paperboy ingest` when they are done), and the leader names whatever
is left, a step at a time: papers stored by a process that stopped first, and those of a database
whose papers were stored before names were kept."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from paperboy.bot.search.aliases import dated, mine
from paperboy.bot.search.store import NameStore

log = logging.getLogger(__name__)

BATCH = 250  # papers a step names: ~30 ms of the store's thread, which lookups wait behind
PAUSE = 0.05  # seconds between steps, for the lookups waiting
IDLE = 5.0  # seconds between looks for papers left to name, when none were


def name_pending(store: NameStore, limit: int = BATCH, *, newest_first: bool = False) -> int:
    """Names up to `limit` waiting papers (a withdrawn one gets none); returns how many."""
    papers = store.papers_to_name(limit, newest_first)
    if not papers:
        return 0
    names = [(alias.alias, paper.paper_rowid, alias.kind, alias.strength, alias.expansion,
              dated(paper.published, paper.venue, paper.arxiv_id))
             for paper in papers if not paper.withdrawn for alias in mine(paper.title, paper.abstract)]
    store.save_names([paper.paper_rowid for paper in papers], names)
    return len(papers)


def name_all_pending(store: NameStore, batch: int = 2000) -> int:
    """Names every waiting paper; returns how many."""
    total = 0
    while named := name_pending(store, batch):
        total += named
    return total


async def name_papers(store: NameStore, stop: asyncio.Event, batch: int = BATCH, pause: float = PAUSE,
                      idle: float = IDLE) -> int:
    """The leader's job: names the papers left, a step at a time, until `stop`; returns how many."""
    total, started, reported = 0, time.perf_counter(), 0
    while not stop.is_set():
        named = await store.run(name_pending, store, batch)
        total += named
        if named:
            await asyncio.sleep(pause)
            continue
        if total > reported:
            log.info("paper names: mined those of %d papers in %.0fs", total - reported, time.perf_counter() - started)
            reported = total
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), idle)
        started = time.perf_counter()
    return total
