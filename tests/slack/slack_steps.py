"""Driving the fake Slack the way a user would: a slash command in, the answer the user sees out."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fake_slack import Ack, FakeSlack
from slack_payloads import slash_command

from paperboy.adapters.slack.blocks import SHARE_ACTION

ACK_DEADLINE = 3.0


@dataclass
class Answer:
    ack: Ack
    body: dict[str, Any]  # what the user sees: the ack's payload, or what came through response_url
    via_response_url: bool

    @property
    def header(self) -> str:
        return next(b["text"]["text"] for b in self.body["blocks"] if b["type"] == "header")

    @property
    def all_text(self) -> str:
        return json.dumps(self.body["blocks"], ensure_ascii=False) + self.body.get("text", "")

    @property
    def ephemeral(self) -> bool:
        return self.body.get("response_type") == "ephemeral"


async def slash(fake: FakeSlack, text: str, **where) -> Answer:
    url = fake.response_url()
    envelope = await fake.send_envelope("slash_commands", slash_command(text, response_url=url, **where))
    ack = await fake.ack_for(envelope)
    assert ack.delay < ACK_DEADLINE
    if ack.payload and (ack.payload.get("blocks") or ack.payload.get("text")):
        return Answer(ack, ack.payload, False)
    responses = await fake.wait_until(lambda: fake.responses_to(url))
    return Answer(ack, responses[0], True)


def share_value(answer: Answer) -> str:
    for block in answer.body["blocks"]:
        for element in block.get("elements", []):
            if element.get("action_id") == SHARE_ACTION:
                return element["value"]
    raise AssertionError("no Post to channel button")
