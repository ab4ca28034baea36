"""An adapter that keeps every post in memory: the test backend, and a dry run for platform "memory"."""
from __future__ import annotations

from collections.abc import Mapping

from paperboy.adapters import Platform
from paperboy.adapters.memory.adapter import MemoryAdapter
from paperboy.bot.commands.dispatch import Core
from paperboy.bot.settings import flag

ENABLE = "PAPERBOY_MEMORY_ADAPTER"


def _from_env(core: Core, env: Mapping[str, str]) -> MemoryAdapter | None:
    if not flag(env, ENABLE):
        return None
    return MemoryAdapter(clock=core.clock)


PLATFORM = Platform("memory", _from_env)
