"""The terminal as a chat platform (rich): typed commands in, cards and deliveries out. Started when
no other platform is configured."""
from __future__ import annotations

from collections.abc import Mapping

from paperboy.adapters import Platform
from paperboy.adapters.console.adapter import ConsoleAdapter
from paperboy.bot.commands.dispatch import Core


def _from_env(core: Core, env: Mapping[str, str]) -> ConsoleAdapter:
    return ConsoleAdapter(core)


PLATFORM = Platform("console", _from_env, fallback=True)
