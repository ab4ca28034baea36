"""Discord settings from the environment. The token is held but never shown."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_API_BASE = "https://discord.com/api/v10"


class SettingsError(ValueError):
    """A Discord variable that is set but unusable; the message names it and says why."""


class DiscordStartError(RuntimeError):
    """The adapter could not connect; the message says why (never quoting the token)."""


@dataclass(frozen=True)
class DiscordSettings:
    token: str = field(repr=False)
    api_base: str = DEFAULT_API_BASE
    gateway_url: str | None = None  # None: the one Discord names (GET /gateway/bot)
    guild_id: int | None = None  # sync commands to this guild only (instant, for development)
    shard_count: int | None = None  # None: as many as Discord recommends
    shard_ids: tuple[int, ...] | None = None  # this process's shards; None: all of them

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> DiscordSettings | None:
        token = (env.get("DISCORD_TOKEN") or "").strip()
        if not token:
            return None
        api_base = (env.get("DISCORD_API_BASE") or DEFAULT_API_BASE).strip().rstrip("/")
        if not api_base.startswith(("http://", "https://")):
            raise SettingsError("DISCORD_API_BASE must be an http(s) URL ending in /api/v10")
        gateway = (env.get("DISCORD_GATEWAY_URL") or "").strip() or None
        if gateway and not gateway.startswith(("ws://", "wss://")):
            raise SettingsError("DISCORD_GATEWAY_URL must be a ws:// or wss:// URL")
        guild_id = _snowflake(env.get("DISCORD_GUILD_ID"), "DISCORD_GUILD_ID")
        shard_count = _positive(env.get("DISCORD_SHARD_COUNT"), "DISCORD_SHARD_COUNT")
        shard_ids = _shard_ids(env.get("DISCORD_SHARD_IDS"))
        if shard_ids is not None:
            if shard_count is None:
                raise SettingsError("DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT (the total across all processes)")
            outside = [s for s in shard_ids if s >= shard_count]
            if outside:
                raise SettingsError(f"DISCORD_SHARD_IDS {outside} are not below DISCORD_SHARD_COUNT={shard_count}")
        return cls(token=token, api_base=api_base, gateway_url=gateway, guild_id=guild_id,
                   shard_count=shard_count, shard_ids=shard_ids)


def _snowflake(raw: str | None, name: str) -> int | None:
    text = (raw or "").strip()
    if not text:
        return None
    if not text.isdigit():
        raise SettingsError(f"{name} must be a numeric Discord id (Developer Mode > Copy Server ID)")
    return int(text)


def _positive(raw: str | None, name: str) -> int | None:
    text = (raw or "").strip()
    if not text:
        return None
    if not text.isdigit() or int(text) < 1:
        raise SettingsError(f"{name} must be a whole number, 1 or more")
    return int(text)


def _shard_ids(raw: str | None) -> tuple[int, ...] | None:
    text = (raw or "").strip()
    if not text:
        return None
    ids: list[int] = []
    for part in text.replace(" ", "").split(","):
        if "-" in part:  # a range such as 0-3
            low, _, high = part.partition("-")
            if not (low.isdigit() and high.isdigit()) or int(low) > int(high):
                raise SettingsError(f"DISCORD_SHARD_IDS: {part!r} is not a range like 0-3")
            ids.extend(range(int(low), int(high) + 1))
        elif part.isdigit():
            ids.append(int(part))
        elif part:
            raise SettingsError(f"DISCORD_SHARD_IDS: {part!r} is not a shard number (use e.g. 0,1 or 0-3)")
    return tuple(sorted(set(ids))) or None
