"""The discord.py client paperboy runs: sharded, no privileged intents, nothing pings by default."""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

InteractionHandler = Callable[[discord.Interaction], Awaitable[None]]


class PaperboyClient(discord.AutoShardedClient):
    """Hands every interaction to paperboy; connects to a configured gateway when there is one."""

    def __init__(self, handle_interaction: InteractionHandler, *, gateway_url: str | None = None,
                 shard_count: int | None = None, shard_ids: Sequence[int] | None = None,
                 guild_ready_timeout: float = 2.0, max_ratelimit_timeout: float = 60.0,
                 identify_spacing: float = 5.0):
        intents = discord.Intents.none()
        intents.guilds = True  # channel and thread metadata; no privileged intent is needed
        # paperboy uses no voice: discord.py's warnings that voice libraries are missing say nothing.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        super().__init__(
            intents=intents,
            shard_count=shard_count,
            shard_ids=list(shard_ids) if shard_ids else None,
            allowed_mentions=discord.AllowedMentions.none(),
            chunk_guilds_at_startup=False,
            member_cache_flags=discord.MemberCacheFlags.none(),
            max_messages=None,
            guild_ready_timeout=guild_ready_timeout,
            max_ratelimit_timeout=max_ratelimit_timeout,
        )
        self._handle_interaction = handle_interaction
        self._gateway = yarl.URL(gateway_url) if gateway_url else None
        self._identify_spacing = identify_spacing

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        await self._handle_interaction(interaction)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        # Discord lets a bot identify one shard per 5 s (per concurrency bucket).
        if not initial and self._identify_spacing > 0:
            await asyncio.sleep(self._identify_spacing)

    async def launch_shard(self, gateway: yarl.URL, shard_id: int, *, initial: bool = False) -> None:
        # GET /gateway/bot names Discord's own gateway; a self-hosted one must win over it.
        await super().launch_shard(self._gateway or gateway, shard_id, initial=initial)


class Endpoints:
    """discord.py keeps its REST base and default gateway on classes, so pointing the client
    elsewhere (a self-hosted server, a test server) sets them while the adapter runs and puts
    the previous values back when it stops. One process talks to one Discord."""

    def __init__(self, api_base: str, gateway_url: str | None):
        self.api_base = api_base
        self.gateway_url = gateway_url
        self._saved: tuple[str, yarl.URL] | None = None

    def apply(self) -> None:
        if self._saved is None:
            self._saved = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
        Route.BASE = self.api_base
        if self.gateway_url:
            DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)

    def restore(self) -> None:
        if self._saved is not None:
            Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = self._saved
            self._saved = None
