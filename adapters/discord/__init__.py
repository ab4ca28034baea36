"""The Discord adapter: slash commands, daily lists and subscription alerts on discord.py."""
from paperboy.adapters.discord.adapter import DiscordAdapter, DiscordStartError
from paperboy.adapters.discord.settings import DiscordSettings, SettingsError

__all__ = ["DiscordAdapter", "DiscordSettings", "DiscordStartError", "SettingsError"]
