"""`paperboy run`: adapters, the daily scheduler, the delivery worker and the ingest loop, together."""
from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any, Mapping

from paperboy.bot.adapter import Adapter
from paperboy.bot.commands.dispatch import Core
from paperboy.bot.store import Store

log = logging.getLogger(__name__)


class StartupError(Exception):
    """A chat adapter could not start for a reason the operator can fix (bad token, bad URL)."""


def _startup_errors() -> tuple[type[BaseException], ...]:
    from paperboy.adapters.discord import DiscordStartError, SettingsError
    from paperboy.adapters.slack.adapter import SlackConfigError

    return (DiscordStartError, SettingsError, SlackConfigError)


def chat_adapters(core: Core, env: Mapping[str, str]) -> list[Adapter]:
    """Every chat adapter whose tokens are set."""
    from paperboy.adapters.discord import DiscordAdapter
    from paperboy.adapters.slack import SlackAdapter

    try:
        found = [DiscordAdapter.from_env(core, env), SlackAdapter.from_env(core, env)]
    except _startup_errors() as exc:
        raise StartupError(str(exc)) from exc
    return [a for a in found if a is not None]


async def run_bot(store: Store, core: Core, sources: Any, env: Mapping[str, str]) -> int:
    from paperboy.bot.delivery.outbox import DeliveryWorker
    from paperboy.bot.delivery.pipeline import ingest_forever
    from paperboy.bot.delivery.scheduler import DailyScheduler

    adapters = chat_adapters(core, env)
    console = None
    if not adapters:
        from paperboy.adapters.console.adapter import ConsoleAdapter

        console = ConsoleAdapter(core)
        adapters = [console]
        log.warning("no DISCORD_TOKEN or SLACK_BOT_TOKEN set: running in the terminal")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):
            pass
    started: list[Adapter] = []
    # The title index takes seconds at 300k papers: build it before any adapter takes an
    # interaction, off the event loop (nothing else touches the store yet).
    await asyncio.to_thread(core.matcher.refresh)
    try:
        for adapter in adapters:
            try:
                await adapter.start()
            except _startup_errors() as exc:
                raise StartupError(f"{adapter.platform}: {exc}") from exc
            started.append(adapter)
        worker = DeliveryWorker(store, {a.platform: a for a in started}, core.clock)
        recovered = worker.recover()
        if recovered:
            log.warning("%d deliveries were interrupted by the last stop; sending them again", recovered)
        scheduler = DailyScheduler(store, core.clock, {a.platform: a.syntax for a in started})
        interval = float(env.get("PAPERBOY_INGEST_INTERVAL", "1800"))
        async with asyncio.TaskGroup() as group:
            group.create_task(scheduler.run(stop))
            group.create_task(worker.run(stop))
            if sources.offline:
                log.warning("PAPERBOY_OFFLINE=1: no ingest from the paper sources")
            else:
                group.create_task(ingest_forever(store, sources, core.clock, stop, core.matcher, interval))
            if console is not None:
                group.create_task(_stop_when_done(console, stop))
    finally:
        for adapter in reversed(started):
            try:
                await adapter.stop()
            except Exception:
                log.exception("stopping %s failed", adapter.platform)
    return 0


async def _stop_when_done(console: Any, stop: asyncio.Event) -> None:
    await console.interact()
    stop.set()
