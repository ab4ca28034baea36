"""Chat platforms, one package each: console (the terminal), discord, slack and memory (a test backend).

An adapter package registers itself with one entry point in the `paperboy.adapters` group
(pyproject.toml) naming its `Platform`: what the platform is called, how it is built from the
environment, which variables hold its secrets and which errors mean a bad configuration. The
runner and the configuration ask `platforms()`; nothing else names a platform. Adapters may import
the core's commands and shared models; the core never imports an adapter.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points

from paperboy.bot.adapter import Adapter
from paperboy.bot.commands.dispatch import Core

ENTRY_POINT_GROUP = "paperboy.adapters"


@dataclass(frozen=True)
class Platform:
    name: str
    # The adapter this environment configures, or None when it configures none (no token set).
    # Raises one of config_errors when the settings cannot work.
    from_env: Callable[[Core, Mapping[str, str]], Adapter | None]
    secrets: tuple[str, ...] = ()  # variables whose values must never be shown
    config_errors: tuple[type[Exception], ...] = ()  # raised by from_env or start() for settings to fix
    fallback: bool = False  # started only when no other platform is configured (the terminal)


def platforms() -> list[Platform]:
    """Every registered platform, by name."""
    found = [entry.load() for entry in entry_points(group=ENTRY_POINT_GROUP)]
    for platform in found:
        if not isinstance(platform, Platform):
            raise TypeError(f"the {ENTRY_POINT_GROUP} entry point {platform!r} is not a Platform")
    return sorted(found, key=lambda platform: platform.name)
