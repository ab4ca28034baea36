"""The Discord adapter: slash commands, daily lists and subscription alerts on discord.py."""
from __future__ import annotations

from collections.abc import Mapping

from paperboy.adapters import Platform
from paperboy.adapters.discord.settings import DiscordSettings, DiscordStartError, SettingsError
from paperboy.bot.adapter import Adapter
from paperboy.bot.commands.dispatch import Core


def _from_env(core: Core, env: Mapping[str, str]) -> Adapter | None:
    settings = DiscordSettings.from_env(env)
    if settings is None:
        return None
    # discord.py takes a third of a second to import: only a process that uses Discord pays it.
    from paperboy.adapters.discord.adapter import DiscordAdapter

    return DiscordAdapter(core, settings)


PLATFORM = Platform("discord", _from_env, secrets=("DISCORD_TOKEN",),
                    config_errors=(SettingsError, DiscordStartError))
