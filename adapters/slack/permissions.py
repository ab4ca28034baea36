"""Who may configure a channel's daily post: workspace admins and owners, and the channel's creator."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)


class ConfigureRights:
    """Answers from users.info and conversations.info, each remembered for `ttl` seconds so a burst of
    commands costs Slack one lookup, and a demoted admin loses the right within a minute."""

    def __init__(self, client: AsyncWebClient, *, ttl: float = 60.0,
                 monotonic: Callable[[], float] = time.monotonic):
        self.client = client
        self.ttl = ttl
        self._monotonic = monotonic
        self._cache: dict[tuple[str, str, str], tuple[float, Any]] = {}

    async def can_configure(self, team: str, channel: str, user: str, *, is_dm: bool = False) -> bool:
        if is_dm:
            return True  # a direct message with paperboy is the caller's own
        if await self._is_admin(team, user):
            return True
        return bool(channel) and await self._creator(team, channel) == user

    async def _is_admin(self, team: str, user: str) -> bool:
        info = await self._remembered(("user", team, user), lambda: self.client.users_info(user=user), "user")
        if not info:
            return False
        return bool(info.get("is_admin") or info.get("is_owner") or info.get("is_primary_owner"))

    async def _creator(self, team: str, channel: str) -> str | None:
        info = await self._remembered(("channel", team, channel),
                                      lambda: self.client.conversations_info(channel=channel), "channel")
        return info.get("creator") if info else None

    async def _remembered(self, key: tuple[str, str, str], call, field: str) -> dict[str, Any] | None:
        now = self._monotonic()
        cached = self._cache.get(key)
        if cached and now - cached[0] < self.ttl:
            return cached[1]
        try:
            response = await call()
        except SlackApiError as exc:
            # Not being able to see the channel (private, bot not invited) means "not the creator":
            # the answer is "no", never an exception in the command.
            log.info("could not check %s %s: %s", key[0], key[2], exc.response.get("error"))
            return None
        except (TimeoutError, aiohttp.ClientError) as exc:
            log.warning("could not reach Slack to check %s %s: %s", key[0], key[2], type(exc).__name__)
            return None
        value = response.get(field) or {}
        if len(self._cache) > 5000:
            self._cache.clear()
        self._cache[key] = (now, value)
        return value
