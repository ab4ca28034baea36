"""The fake Discord's wire helpers: recorded payload shapes, exact JSON responses, and Discord's
documented message limits checked independently of the adapter's own code."""
from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

PAYLOADS = Path(__file__).parent / "payloads"


def payload(name: str) -> Any:
    return json.loads((PAYLOADS / name).read_text())


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # discord.py parses a body as JSON only when the content type is exactly "application/json".
    body = json.dumps(data).encode()
    return web.Response(body=body, status=status, headers={"Content-Type": "application/json", **(headers or {})})


def limit_violations(body: dict[str, Any]) -> list[str]:
    """What Discord would reject in a message body (its documented limits), as readable text."""
    found = []
    content = body.get("content") or ""
    embeds = body.get("embeds") or []
    if len(content) > 2000:
        found.append(f"content has {len(content)} characters")
    if len(embeds) > 10:
        found.append(f"{len(embeds)} embeds")
    total = 0
    for embed in embeds:
        sizes = {"title": 256, "description": 4096}
        for key, most in sizes.items():
            if len(embed.get(key) or "") > most:
                found.append(f"embed {key} has {len(embed[key])} characters")
        fields = embed.get("fields") or []
        if len(fields) > 25:
            found.append(f"{len(fields)} fields")
        for item in fields:
            if not item.get("name") or not item.get("value"):
                found.append("a field without name or value")
            if len(item.get("name") or "") > 256 or len(item.get("value") or "") > 1024:
                found.append("a field too long")
        footer = (embed.get("footer") or {}).get("text") or ""
        if len(footer) > 2048:
            found.append("footer too long")
        url = embed.get("url")
        if url is not None and not str(url).startswith(("http://", "https://")):
            found.append(f"embed url {url!r} is not http(s)")
        total += len(embed.get("title") or "") + len(embed.get("description") or "") + len(footer)
        total += sum(len(i.get("name") or "") + len(i.get("value") or "") for i in fields)
    if total > 6000:
        found.append(f"embeds hold {total} characters")
    rows = body.get("components") or []
    if len(rows) > 5:
        found.append(f"{len(rows)} component rows")
    for row in rows:
        buttons = row.get("components") or []
        if len(buttons) > 5:
            found.append(f"{len(buttons)} buttons in a row")
        for button in buttons:
            if button.get("style") == 5:
                if not str(button.get("url", "")).startswith(("http://", "https://")) or len(button["url"]) > 512:
                    found.append(f"link button url {button.get('url')!r}")
                if not button.get("label") or len(button["label"]) > 80:
                    found.append(f"button label {button.get('label')!r}")
            elif not 0 < len(str(button.get("custom_id") or "")) <= 100 or "url" in button:
                found.append(f"button custom_id {button.get('custom_id')!r}")
    if not content and not embeds and not rows:
        found.append("an empty message")
    return found


def choice_violations(data: dict[str, Any]) -> list[str]:
    choices = data.get("choices")
    if not isinstance(choices, list):
        return ["autocomplete answer without choices"]
    found = [f"{len(choices)} choices"] if len(choices) > 25 else []
    for choice in choices:
        name, value = str(choice.get("name", "")), str(choice.get("value", ""))
        if not 1 <= len(name) <= 100 or not 1 <= len(value) <= 100:
            found.append(f"choice {name[:30]!r}={value[:30]!r} out of bounds")
    return found


def invalid_form_body(problems: list[str]) -> web.Response:
    return json_response({"message": "Invalid Form Body", "code": 50035, "errors": {"_errors": problems}}, 400)


INTERACTION_DEADLINE = 3.0  # Discord forgets an interaction not answered within 3 s


@dataclass
class Call:
    method: str
    path: str  # below /api/v10
    query: dict[str, str]
    body: Any
    headers: dict[str, str]
    at: float  # time.monotonic() when it arrived
    status: int = 0


@dataclass
class InteractionRecord:
    """What the bot answered to one INTERACTION_CREATE."""
    id: str
    token: str
    sent_at: float
    callbacks: list[Call] = field(default_factory=list)
    followups: list[Call] = field(default_factory=list)
    edits: list[Call] = field(default_factory=list)
    deletes: list[Call] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def callback(self) -> dict[str, Any]:
        return self.callbacks[0].body

    @property
    def answered_after(self) -> float:
        return self.callbacks[0].at - self.sent_at

    async def wait_for(self, predicate: Callable[[InteractionRecord], bool], timeout: float = 10.0) -> None:
        async def loop() -> None:
            while not predicate(self):
                self.changed.clear()
                await self.changed.wait()
        await asyncio.wait_for(loop(), timeout)
