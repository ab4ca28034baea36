"""A Discord of our own on 127.0.0.1: REST under /api/v10 and a JSON gateway, recording every call.

The real discord.py client talks to it exactly as it talks to Discord. Payloads come from the
shapes in tests/discord/payloads/. Faults (429 storms, closed DMs, missing channels) are switched
on per test."""
from __future__ import annotations

import asyncio
import copy
import itertools
import json
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web
from fake_discord_rest import RestRoutes
from fake_discord_wire import Call, InteractionRecord, json_response, payload

_CALL = web.RequestKey("call", object)
DISCORD_EPOCH_MS = 1420070400000
TOKEN = "fake-bot-token.not-a-secret"
HEARTBEAT_MS = 41250

# Gateway opcodes
DISPATCH, HEARTBEAT, IDENTIFY, RESUME, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 0, 1, 2, 6, 9, 10, 11




@dataclass
class Fault:
    """Answer the next `times` requests matching method + path pattern with this status and body."""
    method: str
    pattern: re.Pattern
    times: int
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)




class FakeDiscord(RestRoutes):
    def __init__(self, *, token: str = TOKEN, shard_count: int = 1, global_limit: int | None = None):
        self.token = token
        self.recommended_shards = shard_count
        self.app_id = payload("application_me.json")["id"]
        self.bot_user = payload("user_me.json")
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        self.rejected: list[tuple[Call, list[str]]] = []  # bodies Discord would refuse
        self.global_limit = global_limit  # requests per second, enforced with a global 429
        self.global_limited = 0
        self._recent_bot_requests: deque[float] = deque()
        self.identifies: list[dict[str, Any]] = []
        self.resumes: list[dict[str, Any]] = []
        self._sessions: dict[str, int] = {}
        self.guilds: dict[str, dict[str, Any]] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}  # "global" or guild id -> registered
        self.messages: list[dict[str, Any]] = []
        self.threads: list[dict[str, Any]] = []
        self.dm_channels: dict[str, str] = {}  # user id -> DM channel id
        self.closed_dms: set[str] = set()
        self.missing_channels: set[str] = set()
        self.interactions: dict[str, InteractionRecord] = {}
        self._by_token: dict[str, InteractionRecord] = {}  # a burst of thousands is looked up by token
        self.shards: dict[int, web.WebSocketResponse] = {}
        self.shard_count = 1  # as the client identified
        self.gateway_connected = asyncio.Event()
        self._nonces: dict[tuple[str, str], dict[str, Any]] = {}
        # How long a nonce is remembered: Discord's documentation speaks of "a few minutes".
        self.nonce_seconds = 300.0
        self.repeats_dropped = 0  # message creations answered with the message a nonce already made
        self._ids = itertools.count(1)
        self._sequence = itertools.count(1)
        self._sockets: set[web.WebSocketResponse] = set()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.add_guild()

    # ---- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> FakeDiscord:
        app = web.Application(middlewares=[self._record])
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{path:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        for socket in list(self._sockets):
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    def env(self, **extra: str) -> dict[str, str]:
        return {"DISCORD_TOKEN": self.token, "DISCORD_API_BASE": self.api_base,
                "DISCORD_GATEWAY_URL": self.gateway_url, **extra}

    # ---- ids and world ------------------------------------------------------------------------

    def snowflake(self) -> str:
        millis = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return str((millis << 22) | (next(self._ids) & 0x3FFFFF))

    def add_guild(self, guild_id: str | None = None, channels: int = 1) -> str:
        template = payload("guild_create.json")["d"]
        guild = copy.deepcopy(template)
        guild["id"] = guild_id or (template["id"] if not self.guilds else self.snowflake())
        guild["roles"][0]["id"] = guild["id"]
        base_channel = template["channels"][0]
        guild["channels"] = []
        for n in range(channels):
            channel = copy.deepcopy(base_channel)
            channel["id"] = base_channel["id"] if not self.guilds and n == 0 else self.snowflake()
            channel["name"] = "papers" if n == 0 else f"papers-{n}"
            channel["position"] = n
            guild["channels"].append(channel)
        guild["members"][0]["user"]["id"] = self.bot_user["id"]
        self.guilds[guild["id"]] = guild
        return guild["id"]

    @property
    def guild_id(self) -> str:
        return next(iter(self.guilds))

    @property
    def channel_id(self) -> str:
        return self.guilds[self.guild_id]["channels"][0]["id"]

    def channel_ids(self, guild_id: str | None = None) -> list[str]:
        return [c["id"] for c in self.guilds[guild_id or self.guild_id]["channels"]]

    def shard_of(self, guild_id: str | None, shard_count: int) -> int:
        return 0 if guild_id is None else (int(guild_id) >> 22) % shard_count

    # ---- faults -------------------------------------------------------------------------------

    def fail(self, method: str, path_pattern: str, *, times: int, status: int, body: dict[str, Any],
             headers: dict[str, str] | None = None) -> Fault:
        fault = Fault(method.upper(), re.compile(path_pattern), times, status, body, headers or {})
        self.faults.append(fault)
        return fault

    def rate_limit(self, method: str, path_pattern: str, *, times: int, retry_after: float = 0.05,
                   is_global: bool = False) -> Fault:
        body = payload("rate_limited.json")
        body.update(retry_after=retry_after, **{"global": is_global})
        headers = {"Retry-After": str(retry_after), "Via": "1.1 google", "X-RateLimit-Scope": "user"}
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        return self.fail(method, path_pattern, times=times, status=429, body=body, headers=headers)

    # ---- recording ----------------------------------------------------------------------------

    @web.middleware
    async def _record(self, request: web.Request, handler: Callable) -> web.StreamResponse:
        if not request.path.startswith("/api/v10/"):
            return await handler(request)
        body: Any = None
        files: list[dict[str, Any]] = []
        if request.content_type == "multipart/form-data":
            # discord.py sends attachments as payload_json plus files[n] parts, as Discord documents.
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                data = await part.read()
                if part.name == "payload_json":
                    body = json.loads(data)
                else:
                    files.append({"name": part.name, "filename": part.filename, "data": bytes(data),
                                  "content_type": part.headers.get("Content-Type", "")})
            if isinstance(body, dict):
                body["_files"] = files
        elif raw := await request.read():
            if request.content_type == "application/json":
                body = json.loads(raw)
            else:
                body = raw.decode(errors="replace")
        call = Call(request.method, request.path[len("/api/v10"):], dict(request.query), body,
                    dict(request.headers), time.monotonic())
        self.calls.append(call)
        request[_CALL] = call
        response = await handler(request)
        call.status = response.status
        return response

    def requests(self, method: str | None = None, pattern: str | None = None) -> list[Call]:
        regex = re.compile(pattern) if pattern else None
        return [c for c in self.calls if (method is None or c.method == method.upper())
                and (regex is None or regex.search(c.path))]

    def channel_messages(self, channel_id: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["channel_id"] == str(channel_id)]

    # ---- REST ---------------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.Response:
        call: Call = request[_CALL]  # type: ignore[assignment]
        for fault in self.faults:
            if fault.times > 0 and fault.method == call.method and fault.pattern.search(call.path):
                fault.times -= 1
                return json_response(fault.body, fault.status, fault.headers)
        if request.headers.get("Authorization") != f"Bot {self.token}" and not self._is_webhook(call.path):
            return json_response({"message": "401: Unauthorized", "code": 0}, 401)
        if self.global_limit and not self._is_webhook(call.path):
            refused = self._over_global_limit(call.at)
            if refused is not None:
                return refused
        for method, pattern, handler in self._routes():
            if method == call.method:
                found = re.fullmatch(pattern, call.path)
                if found:
                    return await handler(call, *found.groups())
        return json_response({"message": "404: Not Found", "code": 0}, 404)

    def _over_global_limit(self, now: float) -> web.Response | None:
        """Discord's global limit: at most `global_limit` bot requests in any second."""
        recent = self._recent_bot_requests
        while recent and now - recent[0] >= 1.0:
            recent.popleft()
        if len(recent) >= self.global_limit:
            retry_after = round(1.0 - (now - recent[0]), 3)
            body = payload("rate_limited.json")
            body.update(retry_after=retry_after, **{"global": True})
            self.global_limited += 1
            return json_response(body, 429, {"Retry-After": str(retry_after), "Via": "1.1 google",
                                             "X-RateLimit-Global": "true", "X-RateLimit-Scope": "global"})
        recent.append(now)
        return None

    @staticmethod
    def _is_webhook(path: str) -> bool:
        return path.startswith(("/interactions/", "/webhooks/"))

    def _routes(self) -> list[tuple[str, str, Callable]]:
        return [
            ("GET", r"/users/@me", self._me),
            ("GET", r"/oauth2/applications/@me", self._application),
            ("GET", r"/gateway/bot", self._gateway_bot),
            ("GET", r"/gateway", self._gateway_bot),
            ("GET", r"/applications/(\d+)/commands", self._get_commands),
            ("PUT", r"/applications/(\d+)/commands", self._put_commands),
            ("GET", r"/applications/(\d+)/guilds/(\d+)/commands", self._get_guild_commands),
            ("PUT", r"/applications/(\d+)/guilds/(\d+)/commands", self._put_guild_commands),
            ("POST", r"/interactions/(\d+)/([^/]+)/callback", self._callback),
            ("POST", r"/webhooks/(\d+)/([^/]+)", self._followup),
            ("PATCH", r"/webhooks/(\d+)/([^/]+)/messages/([^/]+)", self._edit_original),
            ("DELETE", r"/webhooks/(\d+)/([^/]+)/messages/([^/]+)", self._delete_original),
            ("POST", r"/channels/(\d+)/messages", self._create_message),
            ("POST", r"/channels/(\d+)/threads", self._create_thread),
            ("GET", r"/guilds/(\d+)/threads/active", self._active_threads),
            ("GET", r"/channels/(\d+)/messages", self._channel_history),
            ("POST", r"/users/@me/channels", self._open_dm),
        ]


    def interaction_payload(self, command: str, options: list[dict[str, Any]] | None = None, *,
                            subcommand: str | None = None, kind: int = 2, user_id: str = "555555555555555555",
                            permissions: int | None = None, dm: bool = False, thread: bool = False,
                            guild_id: str | None = None, channel_id: str | None = None) -> dict[str, Any]:
        """An INTERACTION_CREATE body as Discord sends it; kind 2 = command, 4 = autocomplete."""
        data = payload("interaction_dm.json" if dm else "interaction_guild.json")["d"]
        data.update(id=self.snowflake(), application_id=self.app_id, type=kind,
                    token=f"token-{self.snowflake()}")
        registered = self.commands.get(guild_id or self.guild_id) or self.commands.get("global") or []
        command_id = next((c["id"] for c in registered if c["name"] == command), self.snowflake())
        values = options or []
        if subcommand is not None:
            values = [{"type": 1, "name": subcommand, "options": values}]
        data["data"] = {"type": 1, "name": command, "id": command_id, "options": values}
        if dm:
            data["user"]["id"] = user_id
            channel = self.dm_channels.setdefault(user_id, self.snowflake())
            data["channel_id"] = data["channel"]["id"] = channel
            data["channel"]["recipients"][0]["id"] = user_id
            return data
        guild = guild_id or self.guild_id
        data["guild_id"] = data["guild"]["id"] = guild
        data["authorizing_integration_owners"] = {"0": guild}
        data["member"]["user"]["id"] = user_id
        if permissions is not None:
            data["member"]["permissions"] = str(permissions)
        if thread:
            channel_data = payload("interaction_thread_channel.json")
            channel_data.update(id=self.snowflake(), guild_id=guild, parent_id=channel_id or self.channel_ids(guild)[0])
        else:
            channel_data = data["channel"]
            channel_data.update(id=channel_id or self.channel_ids(guild)[0], guild_id=guild)
        data["channel"] = channel_data
        data["channel_id"] = channel_data["id"]
        return data

    def component_payload(self, custom_id: str, *, user_id: str = "555555555555555555", dm: bool = False,
                          channel_id: str | None = None) -> dict[str, Any]:
        """An INTERACTION_CREATE for a click on a message's button (type 3, component_type 2)."""
        data = self.interaction_payload("unused", user_id=user_id, dm=dm, channel_id=channel_id)
        data["type"] = 3
        data["data"] = {"custom_id": custom_id, "component_type": 2}
        data["message"] = self._message(data["channel_id"], {"content": "", "embeds": []})
        return data

    async def interact(self, data: dict[str, Any]) -> InteractionRecord:
        """Sends INTERACTION_CREATE on the shard that owns the guild (shard 0 for DMs)."""
        await asyncio.wait_for(self.gateway_connected.wait(), 10)
        shard = self.shard_of(data.get("guild_id"), self.shard_count)
        socket = self.shards.get(shard)
        if socket is None:
            raise AssertionError(f"no gateway connection for shard {shard}")
        record = InteractionRecord(id=data["id"], token=data["token"], sent_at=time.monotonic())
        self.interactions[data["id"]] = record
        self._by_token[record.token] = record
        await self._dispatch(socket, "INTERACTION_CREATE", data)
        return record

    # ---- gateway ------------------------------------------------------------------------------

    async def _dispatch(self, socket: web.WebSocketResponse, event: str, data: Any) -> None:
        await socket.send_str(json.dumps({"op": DISPATCH, "t": event, "s": next(self._sequence), "d": data}))

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        self._sockets.add(socket)
        shard_id: int | None = None
        try:
            await socket.send_str(json.dumps(payload("hello.json") | {"d": {"heartbeat_interval": HEARTBEAT_MS}}))
            async for frame in socket:
                if frame.type != WSMsgType.TEXT:
                    continue
                message = json.loads(frame.data)
                op = message.get("op")
                if op == HEARTBEAT:
                    await socket.send_str(json.dumps({"op": HEARTBEAT_ACK}))
                elif op == IDENTIFY:
                    shard_id = await self._identify(socket, message["d"])
                    if shard_id is None:
                        break
                elif op == RESUME:
                    shard_id = await self._resume(socket, message["d"])
                    if shard_id is None:
                        break
        finally:
            self._sockets.discard(socket)
            if shard_id is not None and self.shards.get(shard_id) is socket:
                del self.shards[shard_id]
        return socket

    async def _resume(self, socket: web.WebSocketResponse, data: dict[str, Any]) -> int | None:
        self.resumes.append(data)
        shard_id = self._sessions.get(data.get("session_id"))
        if data.get("token") != self.token or shard_id is None:
            await socket.send_str(json.dumps({"op": INVALID_SESSION, "d": False}))
            return None
        self.shards[shard_id] = socket
        resumed = payload("resumed.json")
        resumed["s"] = next(self._sequence)
        await socket.send_str(json.dumps(resumed))
        self.gateway_connected.set()
        return shard_id

    async def drop_gateway(self, code: int = 4000) -> None:
        """Closes every gateway connection the way Discord does when it wants clients to resume."""
        self.gateway_connected.clear()
        for socket in list(self._sockets):
            await socket.close(code=code, message=b"Unknown error")

    async def _identify(self, socket: web.WebSocketResponse, data: dict[str, Any]) -> int | None:
        self.identifies.append(data)
        if data.get("token") != self.token:
            await socket.close(code=4004, message=b"Authentication failed.")
            return None
        shard_id, shard_count = data.get("shard") or [0, 1]
        self.shard_count = shard_count
        ready = payload("ready.json")["d"]
        session_id = f"session-{self.snowflake()}"
        self._sessions[session_id] = shard_id
        ready.update(user=self.bot_user, session_id=session_id,
                     resume_gateway_url=self.gateway_url, shard=[shard_id, shard_count],
                     application={"id": self.app_id, "flags": ready["application"]["flags"]})
        mine = [g for g in self.guilds if self.shard_of(g, shard_count) == shard_id]
        ready["guilds"] = [{"id": g, "unavailable": True} for g in mine]
        self.shards[shard_id] = socket
        await self._dispatch(socket, "READY", ready)
        for guild_id in mine:
            await self._dispatch(socket, "GUILD_CREATE", self.guilds[guild_id])
        self.gateway_connected.set()
        return shard_id
