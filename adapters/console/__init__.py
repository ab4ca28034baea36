"""The terminal as a chat platform (rich): typed commands in, cards and deliveries out. Started when
no other platform is configured and there is a terminal."""
from __future__ import annotations

import sys
from collections.abc import Mapping

from paperboy.adapters import Platform
from paperboy.adapters.console.adapter import ConsoleAdapter
from paperboy.bot.commands.dispatch import Core


def _from_env(core: Core, env: Mapping[str, str]) -> ConsoleAdapter | None:
    """The terminal, when there is one: without (systemd, a detached container) the bot runs headless."""
    return ConsoleAdapter(core) if sys.stdin is not None and sys.stdin.isatty() else None


PLATFORM = Platform("console", _from_env, fallback=True)
