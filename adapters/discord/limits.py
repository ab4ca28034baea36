"""Discord's documented size limits, and a check that a rendered message keeps to them."""
from __future__ import annotations

from typing import Any

MESSAGE_CHARS = 2000
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER_TEXT = 2048
AUTHOR_NAME = 256
EMBED_TOTAL = 6000  # all embeds of one message together
EMBEDS_PER_MESSAGE = 10
BUTTON_LABEL = 80
BUTTON_URL = 512
CUSTOM_ID = 100
BUTTONS_PER_ROW = 5
ROWS_PER_MESSAGE = 5
THREAD_NAME = 100
CHOICES = 25
CHOICE_NAME = 100
CHOICE_VALUE = 100
COMMAND_DESCRIPTION = 100
OPTION_MAX_LENGTH = 6000


def embed_chars(embed: dict[str, Any]) -> int:
    """Characters that count toward the 6,000 total, as Discord counts them."""
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    total += len((embed.get("footer") or {}).get("text") or "")
    total += len((embed.get("author") or {}).get("name") or "")
    for item in embed.get("fields") or ():
        total += len(item.get("name") or "") + len(item.get("value") or "")
    return total


def problems(content: str, embeds: list[dict[str, Any]], buttons: list[tuple[str, str]],
             actions: list[tuple[str, str]] = ()) -> list[str]:
    """Every limit one message breaks; empty when Discord would accept it."""
    found = []
    if len(content) > MESSAGE_CHARS:
        found.append(f"content {len(content)} > {MESSAGE_CHARS}")
    if len(embeds) > EMBEDS_PER_MESSAGE:
        found.append(f"{len(embeds)} embeds > {EMBEDS_PER_MESSAGE}")
    if sum(embed_chars(e) for e in embeds) > EMBED_TOTAL:
        found.append(f"embeds total {sum(embed_chars(e) for e in embeds)} > {EMBED_TOTAL}")
    for e in embeds:
        if len(e.get("title") or "") > EMBED_TITLE:
            found.append("embed title too long")
        if len(e.get("description") or "") > EMBED_DESCRIPTION:
            found.append("embed description too long")
        if len(e.get("fields") or ()) > EMBED_FIELDS:
            found.append("too many fields")
        for item in e.get("fields") or ():
            if not item.get("name") or not item.get("value"):
                found.append("empty field name or value")
            if len(item.get("name") or "") > FIELD_NAME or len(item.get("value") or "") > FIELD_VALUE:
                found.append("field too long")
        if len((e.get("footer") or {}).get("text") or "") > FOOTER_TEXT:
            found.append("footer too long")
    if len(buttons) > BUTTONS_PER_ROW or len(actions) > BUTTONS_PER_ROW:  # a row of links, a row of actions
        found.append("too many buttons")
    for label, custom_id in actions:
        if not label or len(label) > BUTTON_LABEL or not custom_id or len(custom_id) > CUSTOM_ID:
            found.append(f"bad action {label!r}")
    for label, url in buttons:
        if not label or len(label) > BUTTON_LABEL or len(url) > BUTTON_URL:
            found.append(f"bad button {label!r}")
    if not content and not embeds:
        found.append("empty message")
    return found
