"""Names for the papers a database held before it kept them: mined in the background, a step at a
time, by the process that leads (the store records how far the steps got, so a restart goes on
where it stopped). Papers stored since get their names as they are stored."""
from __future__ import annotations

import asyncio
import logging
import time

from paperboy.bot.search.store import SearchStore

log = logging.getLogger(__name__)

BATCH = 250  # papers a step mines: ~30 ms of the store's thread, which lookups wait behind
PAUSE = 0.05  # seconds between steps, for the lookups waiting


async def backfill_aliases(store: SearchStore, stop: asyncio.Event, batch: int = BATCH, pause: float = PAUSE) -> int:
    """Mines the names of the papers left, until none are or `stop` is set; returns how many it covered."""
    total, started = 0, time.perf_counter()
    while not stop.is_set():
        covered = await store.run(store.backfill_aliases, batch)
        if not covered:
            break
        if not total:
            log.info("paper names: mining those of papers stored before they were kept")
        total += covered
        await asyncio.sleep(pause)
    if total:
        log.info("paper names: mined those of %d papers in %.0fs", total, time.perf_counter() - started)
    return total
