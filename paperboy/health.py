"""Is paperboy up? `paperboy run` writes a heartbeat into the database every few seconds (when, and
whether each chat adapter is connected); `paperboy health` reads the one of its own host, for a
container's HEALTHCHECK or a systemd timer."""
from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
from dataclasses import dataclass
from datetime import datetime

from paperboy.bot.adapter import Adapter, Monitored
from paperboy.bot.clock import Clock, iso, parse_iso, wait_or_stop
from paperboy.bot.store import StateStore

log = logging.getLogger(__name__)

BEAT_EVERY = 10.0  # seconds between heartbeats
STALE_AFTER = 60.0  # a heartbeat older than this is a process that hangs or is gone
PREFIX = "heartbeat:"


@dataclass(frozen=True)
class Heartbeat:
    host: str
    pid: int
    at: str
    adapters: dict[str, bool]  # platform -> connected


def _name(host: str, pid: int) -> str:
    return f"{PREFIX}{host}:{pid}"


async def adapters_connected(adapters: list[Adapter]) -> dict[str, bool]:
    states = {}
    for adapter in adapters:
        try:
            states[adapter.platform] = await adapter.connected() if isinstance(adapter, Monitored) else True
        except Exception:  # a check that fails is a connection that is not up
            states[adapter.platform] = False
    return states


async def beat(store: StateStore, clock: Clock, adapters: list[Adapter], stop: asyncio.Event,
               every: float = BEAT_EVERY) -> None:
    """Writes this process's heartbeat until `stop`, then removes it: a stopped bot is not a hung one."""
    name = _name(socket.gethostname(), os.getpid())
    try:
        while not stop.is_set():
            beat = Heartbeat(socket.gethostname(), os.getpid(), iso(clock.now()), await adapters_connected(adapters))
            try:
                await store.run(store.set_state, name, json.dumps(beat.__dict__))
            except Exception:  # a busy database now and then must not stop the bot
                log.warning("could not write the heartbeat", exc_info=True)
            await wait_or_stop(stop, clock, every)
    finally:
        try:
            await store.run(store.delete_state, name)
        except Exception:
            log.warning("could not remove the heartbeat", exc_info=True)


def heartbeats(store: StateStore, host: str) -> list[Heartbeat]:
    """The heartbeats of `host`'s running paperboys, freshest first."""
    found = []
    for value in store.states_with_prefix(f"{PREFIX}{host}:").values():
        try:
            data = json.loads(value)
            found.append(Heartbeat(data["host"], int(data["pid"]), data["at"], dict(data["adapters"])))
        except (ValueError, KeyError, TypeError):
            continue
    return sorted(found, key=lambda b: b.at, reverse=True)


def check(store: StateStore, now: datetime, host: str | None = None) -> tuple[bool, str]:
    """Whether a `paperboy run` on this host is alive with every adapter connected, and why not."""
    host = host or socket.gethostname()
    beats = heartbeats(store, host)
    if not beats:
        return False, f"no paperboy run on {host} is writing a heartbeat to this database"
    freshest = beats[0]
    age = (now - parse_iso(freshest.at)).total_seconds()
    if age > STALE_AFTER:
        return False, f"the last heartbeat on {host} (pid {freshest.pid}) is {age:.0f}s old: the process hangs or is gone"
    down = sorted(platform for platform, up in freshest.adapters.items() if not up)
    adapters = ", ".join(f"{p} {'connected' if up else 'NOT connected'}" for p, up in sorted(freshest.adapters.items()))
    summary = f"pid {freshest.pid}, heartbeat {age:.0f}s ago, adapters: {adapters or 'none (headless)'}"
    if down:
        return False, f"{', '.join(down)} not connected ({summary})"
    return True, f"healthy ({summary})"
