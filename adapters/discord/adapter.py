"""paperboy on Discord: slash commands in, daily lists and alerts out."""
from __future__ import annotations

import asyncio
import logging

import discord

from paperboy.adapters.discord.client import Endpoints, PaperboyClient
from paperboy.adapters.discord.delivery import Deliverer
from paperboy.adapters.discord.interactions import InteractionHandler
from paperboy.adapters.discord.pacer import RequestPacer
from paperboy.adapters.discord.schema import command_payloads, same_commands
from paperboy.adapters.discord.settings import DiscordSettings, DiscordStartError
from paperboy.bot.adapter import DeliveryError, SendResult
from paperboy.bot.commands.dispatch import Core
from paperboy.bot.models import Target
from paperboy.bot.replies import Reply
from paperboy.bot.syntax import SLASH

log = logging.getLogger(__name__)


class DiscordAdapter:
    platform = "discord"
    syntax = SLASH  # every command is its own slash command

    def __init__(self, core: Core, settings: DiscordSettings, *, pacer: RequestPacer | None = None,
                 answer_within: float = 1.5, lookup_within: float = 0.5, ready_timeout: float = 60.0,
                 guild_ready_timeout: float = 2.0, identify_spacing: float = 5.0,
                 thread_archive_minutes: int = 1440):
        self.core = core
        self.settings = settings
        self.pacer = pacer or RequestPacer()
        self.interactions = InteractionHandler(core, answer_within=answer_within, lookup_within=lookup_within)
        self.ready_timeout = ready_timeout
        self.guild_ready_timeout = guild_ready_timeout
        self.identify_spacing = identify_spacing
        self.thread_archive_minutes = thread_archive_minutes
        self._endpoints = Endpoints(settings.api_base, settings.gateway_url)
        self.client: PaperboyClient | None = None
        self._deliverer: Deliverer | None = None
        self._connection: asyncio.Task | None = None

    def __repr__(self) -> str:
        return f"DiscordAdapter(api_base={self.settings.api_base!r}, shards={self.settings.shard_ids or 'all'})"

    async def start(self) -> None:
        """Logs in, syncs the slash commands, connects every shard of this process; returns when ready."""
        self._endpoints.apply()
        client = PaperboyClient(self.interactions.handle, gateway_url=self.settings.gateway_url,
                                shard_count=self.settings.shard_count, shard_ids=self.settings.shard_ids,
                                guild_ready_timeout=self.guild_ready_timeout,
                                identify_spacing=self.identify_spacing)
        self.client = client
        try:
            await client.login(self.settings.token)
        except discord.LoginFailure as exc:
            await self._close_client()
            raise DiscordStartError("Discord refused the token (DISCORD_TOKEN): check it in the Developer "
                                    "Portal, Bot tab, Reset Token") from exc
        except (discord.HTTPException, OSError) as exc:
            await self._close_client()
            raise DiscordStartError(f"could not reach Discord at {self.settings.api_base}: {exc}") from exc
        self._deliverer = Deliverer(client, self.pacer, thread_archive_minutes=self.thread_archive_minutes)
        await self.sync_commands()
        self._connection = asyncio.create_task(client.connect(reconnect=True), name="discord-gateway")
        self._connection.add_done_callback(self._connection_ended)
        ready = asyncio.ensure_future(client.wait_until_ready())
        try:
            done, _ = await asyncio.wait({ready, self._connection}, timeout=self.ready_timeout,
                                         return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not ready.done():
                ready.cancel()
                await asyncio.gather(ready, return_exceptions=True)
        if self._connection in done or not done:
            problem = self._connection.exception() if self._connection.done() else None
            await self.stop()
            raise DiscordStartError(f"the Discord gateway did not become ready: {problem or 'timed out'}")
        log.info("discord: connected, shards %s of %s", self.settings.shard_ids or "all",
                 self.settings.shard_count or "recommended")

    def _connection_ended(self, task: asyncio.Task) -> None:
        # discord.py reconnects and resumes by itself; ending means it gave up (e.g. the token
        # was revoked). Deliveries then fail with "not connected" and wait in the outbox.
        if not task.cancelled() and task.exception() is not None and self.client is not None:
            log.error("discord: the gateway connection ended and will not come back: %s", task.exception())

    async def sync_commands(self) -> bool:
        """Makes Discord's registered commands match the specs; True when something was written.
        A failure is logged, not raised: deliveries still work without commands."""
        assert self.client is not None and self.client.application_id is not None
        http, app_id, guild_id = self.client.http, self.client.application_id, self.settings.guild_id
        wanted = command_payloads(self.core.specs)
        try:
            await self.pacer.acquire()
            registered = (await http.get_guild_commands(app_id, guild_id) if guild_id
                          else await http.get_global_commands(app_id))
            if same_commands(registered, wanted):
                return False
            await self.pacer.acquire()
            if guild_id:
                await http.bulk_upsert_guild_commands(app_id, guild_id, wanted)
            else:
                await http.bulk_upsert_global_commands(app_id, wanted)
            log.info("discord: %d slash commands synced %s", len(wanted),
                     f"to guild {guild_id}" if guild_id else "globally (may take up to an hour to show)")
            return True
        except discord.HTTPException as exc:
            log.error("discord: syncing slash commands failed: %s", exc)
            return False

    async def send(self, target: Target, reply: Reply, *, delivery_key: str | None = None,
                   resend: bool = False) -> SendResult:
        """Every message carries a nonce from the delivery key with enforce_nonce, so Discord drops
        a repeat sent within its nonce memory (minutes); with `resend`, threads already opened are
        found and not opened again."""
        if self._deliverer is None or self.client is None or self.client.is_closed():
            raise DeliveryError("the Discord adapter is not connected")
        return await self._deliverer.send(target, reply, delivery_key, resend=resend)

    async def connected(self) -> bool:
        return self.client is not None and self.client.is_ready() and not self.client.is_closed()

    async def stop(self) -> None:
        await self.interactions.cancel_all()
        await self._close_client()
        if self._connection is not None:
            if not self._connection.done():
                self._connection.cancel()
            await asyncio.gather(self._connection, return_exceptions=True)
            self._connection = None
        self._deliverer = None
        self._endpoints.restore()

    async def _close_client(self) -> None:
        if self.client is not None and not self.client.is_closed():
            await self.client.close()
