"""A Slack stand-in on loopback for the real slack_sdk and slack-bolt clients.

It serves the Web API methods paperboy calls (form or JSON bodies, bearer tokens, HTTP 429 with
Retry-After), a Socket Mode WebSocket that sends envelopes and records the acks that come back,
and response_url endpoints; every call is recorded for the tests to inspect. Message payloads are
checked against Slack's Block Kit limits, the way Slack answers invalid_blocks."""
from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import WSMsgType, web
from slack_blocks import BlockError, check_blocks

BOT_TOKEN = "xoxb-fake-bot-token-0123456789"
APP_TOKEN = "xapp-fake-app-token-0123456789"
TEAM = "T0PAPERS"
BOT_USER = "U0PAPERBOY"
BOT_ID = "B0PAPERBOY"
APP_ID = "A0PAPERBOY"


@dataclass
class ApiCall:
    method: str
    params: dict[str, Any]
    token: str | None
    at: float
    status: int = 200
    ok: bool = True
    error: str | None = None


@dataclass
class Ack:
    envelope_id: str
    payload: dict[str, Any] | None
    sent_at: float
    acked_at: float

    @property
    def delay(self) -> float:
        return self.acked_at - self.sent_at


@dataclass
class Failure:
    status: int = 200
    error: str | None = None
    retry_after: int | None = None


@dataclass
class Channel:
    id: str
    name: str
    creator: str = ""
    is_private: bool = False
    is_im: bool = False
    bot_is_member: bool = True


@dataclass
class User:
    id: str
    name: str
    is_admin: bool = False
    is_owner: bool = False
    deleted: bool = False


class FakeSlack:
    def __init__(self) -> None:
        self.calls: list[ApiCall] = []
        self.responses: list[tuple[str, dict[str, Any], float]] = []  # (response_url id, body, at)
        self.acks: dict[str, Ack] = {}
        self.channels: dict[str, Channel] = {}
        self.users: dict[str, User] = {}
        self.failures: dict[str, deque[Failure]] = defaultdict(deque)
        self.history: dict[str, list[dict[str, Any]]] = defaultdict(list)  # channel -> messages, oldest first
        self.uploads: dict[str, dict[str, Any]] = {}  # file id -> what files upload v2 sent, step by step
        self.drops: dict[str, int] = defaultdict(int)  # method -> calls to carry out, then drop the connection
        self.valid_tokens = {BOT_TOKEN}
        self.valid_app_tokens = {APP_TOKEN}
        self._ts = itertools.count(1)
        self._sent_at: dict[str, float] = {}
        self._ack_waiters: dict[str, asyncio.Future] = {}
        self._sockets: list[web.WebSocketResponse] = []
        self._socket_ready = asyncio.Event()
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port: int = 0
        self.socket_connections = 0
        self.add_user(User("U0ADMIN", "ada", is_admin=True))
        self.add_user(User("U0ALICE", "alice"))
        self.add_user(User("U0BOB", "bob"))
        self.add_channel(Channel("C0GENERAL", "general", creator="U0ADMIN"))
        self.add_channel(Channel("C0PAPERS", "papers", creator="U0ALICE"))

    # ---- setup ------------------------------------------------------------------------------

    def add_user(self, user: User) -> None:
        self.users[user.id] = user

    def add_channel(self, channel: Channel) -> None:
        self.channels[channel.id] = channel

    def fail_next(self, method: str, *, status: int = 200, error: str | None = None,
                  retry_after: int | None = None, times: int = 1) -> None:
        """The next `times` calls of `method` fail: HTTP 429 with Retry-After, or ok=false with `error`."""
        for _ in range(times):
            self.failures[method].append(Failure(status, error or ("ratelimited" if status == 429 else None),
                                                 retry_after))

    def drop_connection_after(self, method: str, times: int = 1) -> None:
        """The next `times` calls of `method` are carried out (a post is posted), then the connection
        breaks before the answer: the client cannot tell whether the call went through."""
        self.drops[method] += times

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/response/{uuid.uuid4().hex[:12]}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)
        app.router.add_get("/link/", self._websocket)
        app.router.add_post("/response/{rid}", self._response_url)
        app.router.add_post("/upload/{file_id}", self._upload)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # ---- inspection -------------------------------------------------------------------------

    def calls_to(self, method: str, *, ok: bool | None = True) -> list[ApiCall]:
        return [c for c in self.calls if c.method == method and (ok is None or c.ok == ok)]

    def posts(self, channel: str | None = None) -> list[dict[str, Any]]:
        return [c.params for c in self.calls_to("chat.postMessage") if channel is None or c.params["channel"] == channel]

    async def wait_until(self, condition: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Waits for anything recorded to make `condition()` truthy; returns its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"condition not met within {timeout} s; calls: "
                                     f"{[c.method for c in self.calls]}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.05))
            except TimeoutError:
                pass

    def _record(self) -> None:
        self._changed.set()

    # ---- Web API ----------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST":
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                params.update(dict(await request.post()))
        auth = request.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else params.pop("token", None)
        params.pop("token", None)
        call = ApiCall(method, params, token, time.monotonic())
        self.calls.append(call)
        self._record()
        status, body, headers = self._answer(method, params, token)
        call.status, call.ok, call.error = status, bool(body.get("ok")), body.get("error")
        if self.drops[method] > 0:
            self.drops[method] -= 1
            if request.transport is not None:
                request.transport.close()
            raise ConnectionResetError("the fake dropped the connection after answering")
        return web.json_response(body, status=status, headers=headers)

    def _answer(self, method: str, params: dict[str, Any], token: str | None):
        queued = self.failures.get(method)
        if queued:
            failure = queued.popleft()
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
            return failure.status, {"ok": False, "error": failure.error}, headers
        wanted = self.valid_app_tokens if method == "apps.connections.open" else self.valid_tokens
        if token not in wanted:
            return 200, {"ok": False, "error": "invalid_auth" if token else "not_authed"}, {}
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return 200, {"ok": False, "error": "unknown_method"}, {}
        try:
            return 200, handler(params), {}
        except SlackError as exc:
            return 200, {"ok": False, "error": exc.error, **exc.extra}, {}

    def _next_ts(self) -> str:
        return f"{1_700_000_000 + next(self._ts)}.000100"

    def _m_auth_test(self, params):
        return {"ok": True, "url": "https://paper-lab.slack.com/", "team": "Paper Lab", "user": "paperboy",
                "team_id": TEAM, "user_id": BOT_USER, "bot_id": BOT_ID, "is_enterprise_install": False}

    def _m_apps_connections_open(self, params):
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link/?ticket={uuid.uuid4()}&app_id={APP_ID}"}

    def _channel(self, channel_id: str) -> Channel:
        channel = self.channels.get(channel_id or "")
        if channel is None:
            raise SlackError("channel_not_found")
        return channel

    def _check_message(self, params) -> None:
        blocks = params.get("blocks")
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        if not params.get("text") and not blocks:
            raise SlackError("no_text")
        if blocks:
            try:
                check_blocks(blocks)
            except BlockError as exc:
                raise SlackError("invalid_blocks", response_metadata={"messages": [str(exc)]}) from exc

    def _m_chat_postMessage(self, params):
        channel = self._channel(params.get("channel"))
        if channel.is_private and not channel.bot_is_member:
            raise SlackError("not_in_channel")
        self._check_message(params)
        ts = self._next_ts()
        message = {"type": "message", "user": BOT_USER, "bot_id": BOT_ID, "ts": ts,
                   "text": params.get("text", ""), "blocks": params.get("blocks", [])}
        if params.get("thread_ts"):
            message["thread_ts"] = params["thread_ts"]
        metadata = params.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        self.history[channel.id].append({**message, "metadata": metadata} if metadata else message)
        return {"ok": True, "channel": channel.id, "ts": ts, "message": message}

    def _m_conversations_history(self, params):
        channel = self._channel(params.get("channel"))
        limit = int(params.get("limit") or 100)
        with_metadata = str(params.get("include_all_metadata")).lower() in ("1", "true")
        newest_first = list(reversed(self.history[channel.id]))[:limit]
        if not with_metadata:
            newest_first = [{k: v for k, v in m.items() if k != "metadata"} for m in newest_first]
        return {"ok": True, "messages": newest_first, "has_more": len(self.history[channel.id]) > limit}

    def _m_chat_postEphemeral(self, params):
        channel = self._channel(params.get("channel"))
        if params.get("user") not in self.users:
            raise SlackError("user_not_in_channel")
        self._check_message(params)
        return {"ok": True, "message_ts": self._next_ts(), "channel": channel.id}

    def _m_chat_unfurl(self, params):
        unfurls = params.get("unfurls")
        if isinstance(unfurls, str):
            unfurls = json.loads(unfurls)
        if not unfurls:
            raise SlackError("invalid_unfurls")
        if not params.get("unfurl_id"):
            self._channel(params.get("channel"))
            if not params.get("ts"):
                raise SlackError("cannot_find_message")
        for unfurl in unfurls.values():
            try:
                check_blocks(unfurl.get("blocks", []))
            except BlockError as exc:
                raise SlackError("invalid_unfurls", response_metadata={"messages": [str(exc)]}) from exc
        return {"ok": True}

    def _m_conversations_open(self, params):
        user_id = params.get("users") or ""
        user = self.users.get(user_id)
        if user is None:
            raise SlackError("user_not_found")
        if user.deleted:
            raise SlackError("user_disabled")
        dm = "D" + user_id[1:]
        self.channels.setdefault(dm, Channel(dm, "", is_im=True))
        return {"ok": True, "channel": {"id": dm}}

    def _m_conversations_info(self, params):
        channel = self._channel(params.get("channel"))
        if channel.is_private and not channel.bot_is_member:
            raise SlackError("channel_not_found")
        data = {"id": channel.id, "name": channel.name, "is_channel": not channel.is_im,
                "is_private": channel.is_private, "is_im": channel.is_im, "is_member": channel.bot_is_member,
                "created": 1_600_000_000, "is_archived": False}
        if channel.creator:
            data["creator"] = channel.creator
        return {"ok": True, "channel": data}

    def _m_users_info(self, params):
        user = self.users.get(params.get("user") or "")
        if user is None:
            raise SlackError("user_not_found")
        return {"ok": True, "user": {"id": user.id, "team_id": TEAM, "name": user.name, "deleted": user.deleted,
                                     "is_admin": user.is_admin, "is_owner": user.is_owner,
                                     "is_primary_owner": False, "is_bot": False}}

    # ---- files upload v2: get an upload URL, send the bytes there, complete into a channel ---------

    def _m_files_getUploadURLExternal(self, params):
        if not params.get("filename") or not str(params.get("length") or "").isdigit():
            raise SlackError("invalid_arguments")
        file_id = f"F{len(self.uploads) + 1:07d}"
        self.uploads[file_id] = {"filename": params["filename"], "length": int(params["length"]),
                                 "alt_txt": params.get("alt_txt"), "data": None, "completed": False}
        return {"ok": True, "upload_url": f"http://127.0.0.1:{self.port}/upload/{file_id}", "file_id": file_id}

    async def _upload(self, request: web.Request) -> web.Response:
        upload = self.uploads.get(request.match_info["file_id"])
        if upload is None:
            return web.Response(status=404, text="unknown upload")
        data = await request.read()
        if len(data) != upload["length"]:
            return web.Response(status=400, text="length mismatch")
        upload["data"] = data
        return web.Response(text=f"OK - {len(data)}")

    def _m_files_completeUploadExternal(self, params):
        files = params.get("files")
        files = json.loads(files) if isinstance(files, str) else files
        channel_id = params.get("channel_id")
        if channel_id:
            channel = self._channel(channel_id)
            if not channel.bot_is_member:
                raise SlackError("not_in_channel")
        done = []
        for item in files or []:
            upload = self.uploads.get(item.get("id"))
            if upload is None or upload["data"] is None:
                raise SlackError("file_not_found")
            upload.update(completed=True, title=item.get("title"), channel=channel_id,
                          thread_ts=params.get("thread_ts"), initial_comment=params.get("initial_comment"))
            done.append({"id": item["id"], "title": item.get("title"), "name": upload["filename"]})
        self._record()
        return {"ok": True, "files": done}

    def completed_uploads(self, channel: str | None = None) -> list[dict[str, Any]]:
        return [u for u in self.uploads.values() if u["completed"] and (channel is None or u["channel"] == channel)]

    # ---- response_url -----------------------------------------------------------------------

    async def _response_url(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.responses.append((request.match_info["rid"], body, time.monotonic()))
        self._record()
        return web.Response(text="ok")

    def responses_to(self, url: str) -> list[dict[str, Any]]:
        rid = url.rsplit("/", 1)[-1]
        return [body for r, body, _ in self.responses if r == rid]

    # ---- Socket Mode ------------------------------------------------------------------------

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        self.socket_connections += 1
        await ws.send_json({"type": "hello", "num_connections": len(self._sockets),
                            "debug_info": {"host": "fake-slack", "approximate_connection_time": 18060},
                            "connection_info": {"app_id": APP_ID}})
        self._socket_ready.set()
        self._record()
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self._take_ack(json.loads(message.data))
        finally:
            self._sockets.remove(ws)
            if not self._sockets:
                self._socket_ready.clear()
        return ws

    def _take_ack(self, data: dict[str, Any]) -> None:
        envelope_id = data.get("envelope_id")
        if not envelope_id or envelope_id not in self._sent_at:
            return
        ack = Ack(envelope_id, data.get("payload"), self._sent_at[envelope_id], time.monotonic())
        self.acks[envelope_id] = ack
        waiter = self._ack_waiters.pop(envelope_id, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(ack)
        self._record()

    async def wait_connected(self, timeout: float = 5.0) -> None:
        await asyncio.wait_for(self._socket_ready.wait(), timeout)

    async def ask_to_reconnect(self) -> None:
        """What Slack does before recycling a Socket Mode connection (every few hours)."""
        for ws in list(self._sockets):
            await ws.send_json({"type": "disconnect", "reason": "refresh_requested",
                                "debug_info": {"host": "fake-slack"}})

    async def send_envelope(self, kind: str, payload: dict[str, Any], *,
                            accepts_response_payload: bool | None = None) -> str:
        """Sends one Socket Mode envelope (slash_commands, events_api, interactive); returns its id."""
        await self.wait_connected()
        envelope_id = str(uuid.uuid4())
        envelope = {"envelope_id": envelope_id, "payload": payload, "type": kind,
                    "accepts_response_payload": kind != "events_api" if accepts_response_payload is None
                    else accepts_response_payload}
        if kind == "events_api":
            envelope.update({"retry_attempt": 0, "retry_reason": ""})
        self._ack_waiters[envelope_id] = asyncio.get_running_loop().create_future()
        self._sent_at[envelope_id] = time.monotonic()
        await self._sockets[-1].send_json(envelope)
        return envelope_id

    async def ack_for(self, envelope_id: str, timeout: float = 5.0) -> Ack:
        if envelope_id in self.acks:
            return self.acks[envelope_id]
        return await asyncio.wait_for(asyncio.shield(self._ack_waiters[envelope_id]), timeout)


class SlackError(Exception):
    def __init__(self, error: str, **extra: Any):
        super().__init__(error)
        self.error = error
        self.extra = extra
