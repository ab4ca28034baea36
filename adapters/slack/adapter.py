"""paperboy on Slack: slack-bolt's AsyncApp over Socket Mode or HTTP, plus delivery of daily posts and alerts."""
from __future__ import annotations

import logging
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from paperboy.adapters.slack.blocks import SlackMessage, render
from paperboy.adapters.slack.context import UMBRELLA, Poster, SlackContext
from paperboy.adapters.slack.listeners import register_all
from paperboy.adapters.slack.pacing import ChannelPacer, NoRepeatedPosts, PatientRateLimitRetry
from paperboy.adapters.slack.permissions import ConfigureRights
from paperboy.adapters.slack.settings import DEFAULT_API_URL, SlackConfigError
from paperboy.adapters.slack.text import escape
from paperboy.bot.adapter import DeliveryError, SendResult
from paperboy.bot.commands.dispatch import Core
from paperboy.bot.commands.typed import TypedCommands
from paperboy.bot.models import Target
from paperboy.bot.replies import Reply
from paperboy.bot.retry_after import retry_after_header

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
# Errors that will not go away by trying again: the target is gone or paperboy was removed from it.
PERMANENT_ERRORS = frozenset({
    "channel_not_found", "not_in_channel", "is_archived", "account_inactive", "user_not_found",
    "user_disabled", "cannot_dm_bot", "user_not_visible", "restricted_action", "messages_tab_disabled",
})


METADATA_EVENT = "paperboy_delivery"
HISTORY_LOOKBACK = 100  # latest messages of a channel searched for an interrupted delivery's post
POSTED_BEFORE = "posted before an interruption; found in the channel, not posted again"


class SlackAdapter:
    platform = "slack"

    def __init__(self, core: Core, *, bot_token: str, app_token: str | None = None,
                 signing_secret: str | None = None, api_url: str = DEFAULT_API_URL,
                 host: str = "127.0.0.1", port: int = 3000, channel_interval: float = 1.0,
                 max_retry_wait: float = 10.0, ack_budget: float = 1.0, ping_interval: float = 10.0):
        if not app_token and not signing_secret:
            raise SlackConfigError("Slack needs SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode)")
        self.core = core
        self.mode = "socket" if app_token else "http"
        self.host = host
        self.port = port
        self._bot_token = bot_token
        self._app_token = app_token
        self._signing_secret = signing_secret
        self.api_url = api_url if api_url.endswith("/") else api_url + "/"
        self._ping_interval = ping_interval
        self.client = AsyncWebClient(
            token=bot_token, base_url=self.api_url,
            retry_handlers=[NoRepeatedPosts(max_retry_count=2),
                            PatientRateLimitRetry(max_retry_count=3, max_wait=max_retry_wait)])
        self.pacer = ChannelPacer(channel_interval)
        self.poster = Poster(self.client, self.pacer)
        self.commands = TypedCommands(core.specs, umbrella=UMBRELLA)
        self.syntax = self.commands.syntax
        self.context = SlackContext(core=core, client=self.client, commands=self.commands,
                                    rights=ConfigureRights(self.client), poster=self.poster, ack_budget=ack_budget)
        self.app: AsyncApp | None = None
        self.bot_user_id: str | None = None
        self.team_id: str | None = None
        self._socket: AsyncSocketModeHandler | None = None
        self._runner: web.AppRunner | None = None
        self.bound_port: int | None = None

    def __repr__(self) -> str:  # tokens stay out of logs and tracebacks
        return f"SlackAdapter(mode={self.mode!r}, api_url={self.api_url!r})"

    # ---- lifecycle --------------------------------------------------------------------------

    def build_app(self) -> AsyncApp:
        """The bolt app with every listener; HTTP mode verifies each request's signature and age."""
        app = AsyncApp(client=self.client, signing_secret=self._signing_secret,
                       request_verification_enabled=self.mode == "http", ssl_check_enabled=self.mode == "http",
                       url_verification_enabled=self.mode == "http")
        register_all(app, self.context)
        return app

    async def start(self) -> None:
        identity = await self._check_token()
        self.bot_user_id = identity.get("user_id")
        self.team_id = identity.get("team_id")
        self.app = self.build_app()
        if self.mode == "socket":
            await self._start_socket_mode()
        else:
            await self._start_http()
        log.info("Slack connected (%s mode) as %s in %s", self.mode, self.bot_user_id, self.team_id)

    async def _posted_before(self, channel: str, delivery_key: str) -> str | None:
        """The ts of a post of this delivery among the channel's latest messages, if there is one.
        A history Slack will not show (an app installed before the history scopes were asked for)
        means posting again: a repeat is better than a loss."""
        try:
            found = await self.client.conversations_history(channel=channel, limit=HISTORY_LOOKBACK,
                                                            include_all_metadata=True)
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            log.warning("could not look for an earlier post of %s in %s (%s); posting it again", delivery_key,
                        channel, exc.response.get("error") if isinstance(exc, SlackApiError) else type(exc).__name__)
            return None
        for item in found.get("messages") or []:
            payload = (item.get("metadata") or {}).get("event_payload") or {}
            if item.get("bot_id") and payload.get("delivery_key") == delivery_key:
                return str(item.get("ts"))
        return None

    async def _check_token(self) -> dict[str, Any]:
        try:
            return (await self.client.auth_test()).data  # type: ignore[return-value]
        except SlackApiError as exc:
            raise SlackConfigError(f"Slack refused SLACK_BOT_TOKEN ({exc.response.get('error')})") from None
        except aiohttp.ClientError as exc:
            raise SlackConfigError(f"Slack API at {self.api_url} is unreachable ({type(exc).__name__})") from None

    async def _start_socket_mode(self) -> None:
        # Asking for the WebSocket URL once ourselves turns a refused app token into a clear error;
        # the Socket Mode client would otherwise retry it forever.
        try:
            await self.client.apps_connections_open(app_token=self._app_token)
        except SlackApiError as exc:
            raise SlackConfigError(f"Slack refused SLACK_APP_TOKEN ({exc.response.get('error')})") from None
        assert self.app is not None
        self._socket = AsyncSocketModeHandler(self.app, self._app_token, web_client=self.client,
                                              ping_interval=self._ping_interval)
        await self._socket.connect_async()

    async def _start_http(self) -> None:
        assert self.app is not None
        self._runner = web.AppRunner(self.app.web_app(path=EVENTS_PATH, port=self.port), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        addresses = self._runner.addresses  # the real port when 0 asked for any free one
        self.bound_port = addresses[0][1] if addresses else self.port
        log.info("Slack events endpoint: http://%s:%s%s", self.host, self.bound_port, EVENTS_PATH)

    async def connected(self) -> bool:
        if self.mode == "socket":
            return self._socket is not None and await self._socket.client.is_connected()
        return self._runner is not None

    async def stop(self, grace: float = 1.5) -> None:
        await self.context.inflight.wind_down(grace)
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        session = getattr(self.client, "session", None)
        if session is not None and not session.closed:
            await session.close()

    # ---- delivery ---------------------------------------------------------------------------

    async def send(self, target: Target, reply: Reply, *, delivery_key: str | None = None,
                   resend: bool = False) -> SendResult:
        """Posts a daily list or an alert: to a channel ("channel", "threads"), by DM ("dm"), or in a
        channel with the user mentioned ("mention"). Raises DeliveryError when Slack did not take it.

        Slack takes no idempotency key, so each post carries its delivery key in its metadata, and
        a `resend` first looks for it among the channel's latest messages: found, the delivery is
        recorded as sent, not posted again."""
        message = render(reply)
        try:
            if target.mode == "dm":
                if not target.user:
                    raise DeliveryError("a DM delivery needs a user", permanent=True)
                channel = await self.poster.open_dm(target.user)
            else:
                channel = target.channel
                if target.mode == "mention" and target.user:
                    message = _mentioning(target.user, message)
            if not channel:
                raise DeliveryError("no channel to post to", permanent=True)
            if resend and delivery_key:
                earlier = await self._posted_before(channel, delivery_key)
                if earlier is not None:
                    return SendResult(external_id=f"{channel}:{earlier}", note=POSTED_BEFORE)
            ts = await self.poster.post(channel, message, metadata=delivery_metadata(delivery_key))
        except SlackApiError as exc:
            raise _delivery_error(exc) from None
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise DeliveryError(f"Slack unreachable: {type(exc).__name__}") from None
        return SendResult(external_id=f"{channel}:{ts}" if ts else None)


def delivery_metadata(delivery_key: str | None) -> dict[str, Any] | None:
    """Message metadata naming the delivery a post belongs to (shown to no one)."""
    if not delivery_key:
        return None
    return {"event_type": METADATA_EVENT, "event_payload": {"delivery_key": delivery_key}}


def _mentioning(user: str, message: SlackMessage) -> SlackMessage:
    mention = f"<@{escape(user)}>"
    # The card's own note says which subscription matched; the mention is what notifies the person.
    lead = {"type": "section", "text": {"type": "mrkdwn", "text": mention}}
    return SlackMessage(f"{mention} {message.text}", [lead, *message.blocks][:50])


def _delivery_error(exc: SlackApiError) -> DeliveryError:
    error = str(exc.response.get("error") or f"HTTP {exc.response.status_code}")
    if exc.response.status_code == 429:
        wait = retry_after_header(exc.response.headers)
        return DeliveryError(f"rate limited by Slack ({error})", retry_after=wait if wait is not None else 30.0)
    return DeliveryError(f"Slack refused the post: {error}", permanent=error in PERMANENT_ERRORS)
