"""Slack payloads for the tests, built from the recorded shapes in payloads/ with a few fields changed."""
from __future__ import annotations

import copy
import json
import uuid
from functools import cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent / "payloads"


@cache
def _shape(name: str) -> dict[str, Any]:
    return json.loads((HERE / f"{name}.json").read_text())


def shape(name: str) -> dict[str, Any]:
    return copy.deepcopy(_shape(name))


def slash_command(text: str, *, response_url: str, user: str = "U0ALICE", channel: str = "C0PAPERS",
                  channel_name: str | None = None) -> dict[str, Any]:
    body = shape("slash_command")
    body.update(text=text, response_url=response_url, user_id=user, channel_id=channel,
                trigger_id=f"{uuid.uuid4().int % 10**13}.1234567890123.{uuid.uuid4().hex}")
    if channel_name is not None:
        body["channel_name"] = channel_name
    elif channel.startswith("D"):
        body["channel_name"] = "directmessage"
    return body


def app_mention(text: str, *, user: str = "U0ALICE", channel: str = "C0PAPERS", ts: str = "1700000100.000200",
                thread_ts: str | None = None) -> dict[str, Any]:
    body = shape("app_mention")
    event = body["event"]
    event.update(text=text, user=user, channel=channel, ts=ts, event_ts=ts)
    event["blocks"][0]["elements"][0]["elements"][1]["text"] = text.split(">", 1)[-1]
    if thread_ts:
        event["thread_ts"] = thread_ts
    body["event_id"] = "Ev" + uuid.uuid4().hex[:10].upper()
    return body


def link_shared(urls: list[str], *, user: str = "U0BOB", channel: str = "C0PAPERS",
                message_ts: str = "1700000200.000300", composer: bool = False) -> dict[str, Any]:
    body = shape("link_shared")
    event = body["event"]
    event.update(user=user, channel=channel, message_ts=message_ts,
                 links=[{"domain": url.split("/")[2], "url": url} for url in urls])
    if composer:
        event.update(channel="COMPOSER", source="composer", message_ts=uuid.uuid4().hex,
                     unfurl_id=uuid.uuid4().hex)
    body["event_id"] = "Ev" + uuid.uuid4().hex[:10].upper()
    return body


def share_click(value: str, *, response_url: str, user: str = "U0ALICE", channel: str = "C0PAPERS") -> dict[str, Any]:
    body = shape("block_actions_share")
    body["user"]["id"] = user
    body["channel"]["id"] = channel
    body["container"]["channel_id"] = channel
    body["response_url"] = response_url
    body["actions"][0]["value"] = value
    return body


def card_click(action_id: str, value: str, label: str, *, response_url: str, user: str = "U0ALICE",
               channel: str = "C0PAPERS") -> dict[str, Any]:
    """A click on a card's Save, BibTeX or Similar button, in the recorded block_actions shape."""
    body = share_click(value, response_url=response_url, user=user, channel=channel)
    action = body["actions"][0]
    action.update(action_id=action_id, text={"type": "plain_text", "text": label, "emoji": False})
    action.pop("style", None)
    return body
