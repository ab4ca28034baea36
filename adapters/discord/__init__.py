"""The Discord adapter: slash commands, daily lists and subscription alerts on discord.py."""
from adapters.discord.adapter import DiscordAdapter, DiscordStartError
from adapters.discord.settings import DiscordSettings, SettingsError

__all__ = ["DiscordAdapter", "DiscordSettings", "DiscordStartError", "SettingsError"]
