"""Lookups in worker processes, so the bot's event loop keeps answering under a storm of /paper.

Ranking a query (Matcher.rank) and completing a title (suggest_titles) hold the GIL for
milliseconds each: rapidfuzz over candidate titles and Python scoring, with only the SQL in between
releasing it (bench/RESULTS.md, "Under load"). On a thread of the bot's process that work takes
turns with the event loop, which then reads interactions and sends acknowledgements late. Worker
processes have GILs of their own.

Each worker opens the store itself (its own connection: SQLite in WAL lets readers run beside the
bot's writes) and the title index from the file saved beside the database, memory-mapped, so the
workers share its pages through the page cache instead of each holding a copy. A worker follows
new papers the way the bot's own matcher does (Matcher.index refreshes from the store). Dense
retrieval (the semantic extra) stays in the bot's process, where the model is loaded once: with
it, a query that reads as a description and that no title settles is ranked there again.
"""
from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager

from paperboy.bot.models import Paper
from paperboy.bot.search.match import Match
from paperboy.bot.search.matcher import Matcher
from paperboy.bot.search.store import SearchStore

log = logging.getLogger(__name__)

OpenStore = Callable[[], SearchStore]  # picklable (a module-level function, or a partial of one)

# The one matcher of a worker process, made by _start_worker when the process starts.
_worker_matcher: Matcher | None = None


def _start_worker(open_store: OpenStore, aliases: bool, bot: int) -> None:
    global _worker_matcher
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the bot, which stops its workers
    if hasattr(signal, "pthread_sigmask"):  # started with it blocked (_sigint_held): a Ctrl-C meanwhile is dropped
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    threading.Thread(target=_exit_with, args=(bot,), name="paperboy-orphan-check", daemon=True).start()
    matcher = Matcher(open_store(), aliases=aliases, names_papers=False)  # the bot's process names papers
    matcher.refresh()
    _worker_matcher = matcher


def _exit_with(parent: int, every: float = 1.0) -> None:
    """Ends this worker once the bot is gone: a bot stopped at once (a second Ctrl-C, SIGKILL)
    cannot stop its workers, and they would wait for lookups forever. `parent` is the bot's pid as
    the bot gave it: a worker still starting when the bot ended already has another parent."""
    while os.getppid() == parent:
        time.sleep(every)
    os._exit(0)


def _matcher() -> Matcher:
    assert _worker_matcher is not None, "a lookup worker runs only after _start_worker"
    return _worker_matcher


def _rank(query: str, limit: int, describe: bool) -> Match:
    return _matcher().rank(query, limit, describe=describe)


def _suggest_titles(partial: str, limit: int) -> list[Paper]:
    return _matcher().suggest_titles(partial, limit)


def _ready() -> int:
    return len(_matcher().index)


class LookupPool:
    """`workers` processes ranking lookups for one store. A worker that dies is replaced: the pool
    is made again at the next lookup, and the lookup that met the failure raises BrokenProcessPool
    (the matcher then answers it on the store's thread)."""

    def __init__(self, open_store: OpenStore, workers: int, *, aliases: bool = True):
        if workers < 1:
            raise ValueError("a lookup pool needs at least one worker")
        self.open_store = open_store
        self.workers = workers
        self.aliases = aliases
        self._executor: Executor | None = None

    def _pool(self) -> Executor:
        if self._executor is None:
            # spawn: a forked child would inherit the bot's threads and open connections mid-use.
            self._executor = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                                 initializer=_start_worker, initargs=(self.open_store, self.aliases, os.getpid()))
        return self._executor

    async def start(self) -> None:
        """Starts the workers and waits until each has its title index open (a second or two at
        300k papers, from the saved file)."""
        sizes = await asyncio.gather(*(self._call(_ready) for _ in range(self.workers)))
        log.info("lookups: %d worker processes ready (%d papers)", self.workers, max(sizes, default=0))

    async def rank(self, query: str, limit: int, *, describe: bool = True) -> Match:
        return await self._call(_rank, query, limit, describe)

    async def suggest_titles(self, partial: str, limit: int) -> list[Paper]:
        return await self._call(_suggest_titles, partial, limit)

    async def _call(self, work, *args):
        pool = self._pool()
        try:
            with _sigint_held():  # a worker this submission starts inherits the mask
                pending = asyncio.get_running_loop().run_in_executor(pool, work, *args)
            return await pending
        except BrokenProcessPool:
            log.error("a lookup worker process died; starting the workers again")
            if self._executor is pool:
                self._executor = None
                pool.shutdown(wait=False, cancel_futures=True)
            raise

    async def close(self) -> None:
        """Stops the workers: lookups queued and not started are dropped, running ones finish."""
        pool, self._executor = self._executor, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)


@contextmanager
def _sigint_held() -> Iterator[None]:
    """SIGINT blocked on this thread meanwhile. Ctrl-C in a terminal reaches every process of its
    group, worker processes too: one still starting (before _start_worker ignores it) would print a
    KeyboardInterrupt traceback. A process inherits the mask of the thread that starts it."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)
