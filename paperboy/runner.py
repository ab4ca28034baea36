"""`paperboy run`: adapters, the daily scheduler, the delivery worker and the ingest loop, together."""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Mapping

from paperboy.adapters import Platform, platforms
from paperboy.bot.adapter import Adapter, Interactive
from paperboy.bot.clock import Clock, SystemClock
from paperboy.bot.commands.admission import IN_PROGRESS, Admission, LoopLag
from paperboy.bot.commands.dispatch import Core, build_core
from paperboy.bot.delivery.leader import Leadership
from paperboy.bot.delivery.outbox import LEASE_SECONDS, DeliveryWorker
from paperboy.bot.delivery.pipeline import ingest_forever
from paperboy.bot.delivery.scheduler import DailyScheduler
from paperboy.bot.search.lookup_pool import LookupPool, OpenStore
from paperboy.bot.search.naming import name_papers
from paperboy.bot.search.semantic import SemanticSearch, embed_forever
from paperboy.bot.sources import Sources
from paperboy.config import seconds, whole_number
from paperboy.health import beat
from paperboy.storage.sql import SQLStore

log = logging.getLogger(__name__)

INGEST_EVERY = 1800  # seconds between ingests, unless PAPERBOY_INGEST_INTERVAL says otherwise
MAX_LOOKUP_WORKERS = 16


def lookup_workers(env: Mapping[str, str]) -> int:
    """PAPERBOY_LOOKUP_WORKERS, else one worker process per core (up to 4); 0: lookups on the
    store's thread in the bot's own process."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return whole_number(env, "PAPERBOY_LOOKUP_WORKERS", min(4, cores), minimum=0, maximum=MAX_LOOKUP_WORKERS)


class StartupError(Exception):
    """A chat adapter could not start for a reason the operator can fix (bad token, bad URL)."""


def configured_adapters(core: Core, env: Mapping[str, str], registered: list[Platform]) -> list[tuple[Platform, Adapter]]:
    """Every platform the environment configures; the fallback ones (the terminal) when none is."""
    found = _built(core, env, [p for p in registered if not p.fallback])
    if not found:
        found = _built(core, env, [p for p in registered if p.fallback])
        names = ", ".join(s for p in registered for s in p.secrets[:1]) or "none registered"
        if found:  # someone is at the terminal: nothing to act on
            log.info("no chat platform is configured (%s): running in the terminal", names)
        else:  # posts pile up in the outbox until the operator configures a platform
            log.warning("no chat platform is configured (%s) and there is no terminal: running headless. "
                        "Daily lists and alerts are kept in the outbox until a platform is configured.", names)
    return found


def _built(core: Core, env: Mapping[str, str], chosen: list[Platform]) -> list[tuple[Platform, Adapter]]:
    found = []
    for platform in chosen:
        try:
            adapter = platform.from_env(core, env)
        except platform.config_errors as exc:
            raise StartupError(f"{platform.name}: {exc}") from exc
        if adapter is not None:
            found.append((platform, adapter))
    return found


class Stopper:
    """The first SIGINT or SIGTERM asks the bot to stop; deliveries in flight get a moment to finish
    or are released. A second one ends the process at once."""

    def __init__(self, stop: asyncio.Event, exit_now: Callable[[int], object] = os._exit):
        self.stop = stop
        self._exit_now = exit_now

    def __call__(self) -> None:
        if self.stop.is_set():
            print("paperboy: stopped at once", file=sys.stderr, flush=True)
            self._exit_now(130)
            return
        log.warning("stopping (once more to stop at once)")
        self.stop.set()


def stop_on_signals(stop: asyncio.Event) -> None:
    """SIGINT and SIGTERM go to a Stopper for `stop`, on the running loop."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, Stopper(stop))
        except (NotImplementedError, RuntimeError):  # not the main thread, or no signals here
            pass


async def run_bot(store: SQLStore, sources: Sources, env: Mapping[str, str], *, clock: Clock | None = None,
                  semantic: SemanticSearch | None = None, stop: asyncio.Event | None = None,
                  open_store: OpenStore | None = None) -> int:
    """Builds the bot from its settings and runs it until SIGINT or SIGTERM, `stop` is set, or an
    interactive adapter's session ends. `open_store` opens this database again, in a lookup worker
    process (none without it); `semantic`: dense retrieval (the semantic extra)."""
    lease = seconds(env, "PAPERBOY_DELIVERY_LEASE", LEASE_SECONDS, minimum=3)
    interval = seconds(env, "PAPERBOY_INGEST_INTERVAL", INGEST_EVERY, minimum=1)
    workers = lookup_workers(env) if open_store is not None else 0
    pool = LookupPool(open_store, workers) if open_store is not None and workers else None
    lag = LoopLag()
    core = build_core(store, clock=clock or SystemClock(), sources=sources, semantic=semantic,
                      admission=Admission(IN_PROGRESS, lag=lag), ranker=pool, lookup_workers=workers if pool else 0)
    try:
        return await _run(store, core, sources, env, lag, pool, lease, interval, stop)
    finally:
        await core.matcher.aclose()


async def _run(store: SQLStore, core: Core, sources: Sources, env: Mapping[str, str], lag: LoopLag,
               pool: LookupPool | None, lease: float, interval: float, stop: asyncio.Event | None) -> int:
    adapters = configured_adapters(core, env, platforms())
    stop = stop or asyncio.Event()
    stop_on_signals(stop)
    started: list[Adapter] = []
    try:
        # A stop while starting (a platform slow to answer) ends the start too.
        await _unless(stop, _start(store, core, adapters, started, pool))
        if stop.is_set():
            return 0
        worker = DeliveryWorker(store, {a.platform: a for a in started}, core.clock, core.context.kinds,
                                lease_seconds=lease)
        scheduler = DailyScheduler(store, core.clock, {a.platform: a.syntax for a in started})
        if sources.offline:
            log.info("PAPERBOY_OFFLINE is on: no ingest from the paper sources")

        async def lead(until: asyncio.Event) -> None:
            """The leader's jobs: one process per database runs them."""
            async with asyncio.TaskGroup() as jobs:
                jobs.create_task(scheduler.run(until))
                jobs.create_task(name_papers(store, until))
                if not sources.offline:
                    jobs.create_task(ingest_forever(store, sources, core.clock, until, core.matcher, interval))
                if core.matcher.semantic is not None:  # the semantic extra: vectors for new papers
                    jobs.create_task(embed_forever(store, core.matcher.semantic.embedder, until))

        leadership = Leadership(store, worker.name)
        async with asyncio.TaskGroup() as group:
            group.create_task(lag.run(stop))
            group.create_task(worker.run(stop))
            group.create_task(leadership.run(stop, lead))
            group.create_task(beat(store, core.clock, started, stop))
            for adapter in started:
                if isinstance(adapter, Interactive):
                    group.create_task(talk(adapter, stop))
    finally:
        for adapter in reversed(started):
            try:
                await adapter.stop()
            except Exception:
                log.exception("stopping %s failed", adapter.platform)
        if pool is not None:  # after the adapters: no lookup is on its way to it
            await pool.close()
    return 0


async def _start(store: SQLStore, core: Core, adapters: list[tuple[Platform, Adapter]], started: list[Adapter],
                 pool: LookupPool | None) -> None:
    # The title index takes seconds at 300k papers: built before any adapter takes an interaction
    # (and saved beside the database, where the lookup workers open it).
    await store.run(core.matcher.refresh)
    if pool is not None:
        await pool.start()
    if core.matcher.semantic is not None:  # the model loads in seconds: not on the first description
        await asyncio.to_thread(core.matcher.semantic.embedder.encode, ["warming up"])
    for platform, adapter in adapters:
        try:
            await adapter.start()
        except platform.config_errors as exc:
            raise StartupError(f"{platform.name}: {exc}") from exc
        started.append(adapter)


async def _unless(stop: asyncio.Event, work: Awaitable[None]) -> None:
    """`work`, cancelled if `stop` is set first."""
    doing = asyncio.ensure_future(work)
    stopped = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({doing, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (doing, stopped):
            if not task.done():
                task.cancel()
        await asyncio.gather(doing, stopped, return_exceptions=True)
    if not doing.cancelled() and doing.exception() is not None:
        raise doing.exception()


async def talk(session: Interactive, stop: asyncio.Event) -> None:
    """An interactive session that sets `stop` when it ends (/quit, end of input) and ends when
    `stop` is set (a signal, the bot stopping)."""
    await _unless(stop, session.interact())
    stop.set()
