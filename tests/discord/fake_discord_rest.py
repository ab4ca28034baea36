"""The fake Discord's REST routes: the application and its commands, messages, threads, DMs, and
interaction callbacks and follow-ups, answered as Discord answers them. A part of FakeDiscord
(fake_discord.py), whose state they read and record."""
from __future__ import annotations

import copy
from typing import Any

from aiohttp import web
from fake_discord_wire import (
    INTERACTION_DEADLINE,
    Call,
    InteractionRecord,
    choice_violations,
    invalid_form_body,
    json_response,
    limit_violations,
    payload,
)


class RestRoutes:
    async def _me(self, call: Call) -> web.Response:
        return json_response(self.bot_user)

    async def _application(self, call: Call) -> web.Response:
        return json_response(payload("application_me.json"))

    async def _gateway_bot(self, call: Call) -> web.Response:
        data = payload("gateway_bot.json")
        data.update(url=self.gateway_url, shards=self.recommended_shards)
        return json_response(data)

    def _stored_commands(self, scope: str, commands: list[dict[str, Any]]) -> list[dict[str, Any]]:
        stored = []
        for command in commands:
            item = copy.deepcopy(command)
            item.update(id=self.snowflake(), application_id=self.app_id, version=self.snowflake(),
                        default_member_permissions=None, dm_permission=True)
            if scope != "global":
                item["guild_id"] = scope
            stored.append(item)
        self.commands[scope] = stored
        return stored

    async def _get_commands(self, call: Call, app_id: str) -> web.Response:
        return json_response(self.commands.get("global", []))

    async def _put_commands(self, call: Call, app_id: str) -> web.Response:
        return json_response(self._stored_commands("global", call.body))

    async def _get_guild_commands(self, call: Call, app_id: str, guild_id: str) -> web.Response:
        return json_response(self.commands.get(guild_id, []))

    async def _put_guild_commands(self, call: Call, app_id: str, guild_id: str) -> web.Response:
        return json_response(self._stored_commands(guild_id, call.body))

    def _message(self, channel_id: str, body: dict[str, Any], **extra: Any) -> dict[str, Any]:
        message = payload("message.json")
        message.update(id=self.snowflake(), channel_id=str(channel_id), author=self.bot_user,
                       content=body.get("content") or "", embeds=body.get("embeds") or [],
                       components=body.get("components") or [], flags=body.get("flags") or 0,
                       nonce=body.get("nonce"), **extra)
        return message

    async def _create_message(self, call: Call, channel_id: str) -> web.Response:
        if channel_id in self.missing_channels:
            return json_response({"message": "Unknown Channel", "code": 10003}, 404)
        recipient = next((u for u, c in self.dm_channels.items() if c == channel_id), None)
        if recipient is not None and recipient in self.closed_dms:
            return json_response(payload("error_cannot_message_user.json"), 403)
        body = call.body or {}
        problems = limit_violations(body)
        if problems:
            self.rejected.append((call, problems))
            return invalid_form_body(problems)
        nonce = body.get("nonce")
        remembered = self._nonces.get((channel_id, nonce)) if nonce and body.get("enforce_nonce") else None
        if remembered is not None and call.at - remembered["_noted_at"] < self.nonce_seconds:
            self.repeats_dropped += 1
            return json_response({k: v for k, v in remembered.items() if k != "_noted_at"})
        message = self._message(channel_id, body)
        message["allowed_mentions"] = body.get("allowed_mentions")  # kept for assertions
        self.messages.append(message)
        if nonce and body.get("enforce_nonce"):
            self._nonces[(channel_id, nonce)] = {**message, "_noted_at": call.at}
        return json_response(message)

    async def _create_thread(self, call: Call, channel_id: str) -> web.Response:
        if channel_id in self.missing_channels:
            return json_response({"message": "Unknown Channel", "code": 10003}, 404)
        thread = payload("thread.json")
        guild_id = next((g for g, data in self.guilds.items() if channel_id in self.channel_ids(g)), self.guild_id)
        thread.update(id=self.snowflake(), parent_id=channel_id, guild_id=guild_id, owner_id=self.bot_user["id"],
                      name=call.body["name"], type=call.body.get("type", 11))
        thread["thread_metadata"]["auto_archive_duration"] = call.body.get("auto_archive_duration", 1440)
        self.threads.append(thread)
        return json_response(thread, 201)

    async def _active_threads(self, call: Call, guild_id: str) -> web.Response:
        threads = [t for t in self.threads if t.get("guild_id") == guild_id]
        return json_response({"threads": threads, "members": []})

    async def _channel_history(self, call: Call, channel_id: str) -> web.Response:
        limit = int(call.query.get("limit", 50))
        found = [m for m in reversed(self.messages) if m["channel_id"] == channel_id][:limit]
        return json_response(found)

    async def _open_dm(self, call: Call) -> web.Response:
        user_id = str(call.body["recipient_id"])
        channel = payload("dm_channel.json")
        channel_id = self.dm_channels.setdefault(user_id, self.snowflake())
        channel["id"] = channel_id
        channel["recipients"][0]["id"] = user_id
        return json_response(channel)

    # ---- interactions -------------------------------------------------------------------------

    async def _callback(self, call: Call, interaction_id: str, token: str) -> web.Response:
        record = self.interactions.get(interaction_id)
        if record is None or record.token != token or call.at - record.sent_at > INTERACTION_DEADLINE:
            return json_response({"message": "Unknown interaction", "code": 10062}, 404)
        if record.callbacks:
            return json_response({"message": "Interaction has already been acknowledged.", "code": 40060}, 400)
        kind = call.body.get("type")
        data = call.body.get("data") or {}
        flags = data.get("flags") or 0
        if kind in (4, 8):
            problems = limit_violations(data) if kind == 4 else choice_violations(data)
            if problems:
                self.rejected.append((call, problems))
                return invalid_form_body(problems)
        record.callbacks.append(call)
        record.changed.set()
        if kind == 8:  # autocomplete result: nothing to show
            return web.Response(status=204)
        user = payload("interaction_guild.json")["d"]["member"]["user"]
        message = self._message("0", data, interaction={"id": interaction_id, "type": 2, "name": "", "user": user})
        answer = payload("interaction_callback.json")
        answer["interaction"].update(id=interaction_id, response_message_id=message["id"],
                                     response_message_loading=kind == 5,
                                     response_message_ephemeral=bool(flags & 64))
        answer["resource"] = {"type": kind, "message": message}
        return json_response(answer)

    def _record_for(self, token: str) -> InteractionRecord | None:
        return self._by_token.get(token)

    async def _followup(self, call: Call, app_id: str, token: str) -> web.Response:
        record = self._record_for(token)
        if record is None or not record.callbacks:
            return json_response({"message": "Unknown Webhook", "code": 10015}, 404)
        problems = limit_violations(call.body or {})
        if problems:
            self.rejected.append((call, problems))
            return invalid_form_body(problems)
        record.followups.append(call)
        record.changed.set()
        return json_response(self._message("0", call.body or {}, webhook_id=app_id))

    async def _edit_original(self, call: Call, app_id: str, token: str, message_id: str) -> web.Response:
        record = self._record_for(token)
        if record is None:
            return json_response({"message": "Unknown Webhook", "code": 10015}, 404)
        record.edits.append(call)
        record.changed.set()
        return json_response(self._message("0", call.body or {}, webhook_id=app_id))

    async def _delete_original(self, call: Call, app_id: str, token: str, message_id: str) -> web.Response:
        record = self._record_for(token)
        if record is None:
            return json_response({"message": "Unknown Webhook", "code": 10015}, 404)
        record.deletes.append(call)
        record.changed.set()
        return web.Response(status=204)
