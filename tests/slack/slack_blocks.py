"""Slack's documented Block Kit limits, as the fake Slack checks every message against them
(Slack answers invalid_blocks)."""
from __future__ import annotations

from typing import Any


class BlockError(ValueError):
    pass


def check_blocks(blocks: list[dict[str, Any]]) -> None:
    """Slack's documented Block Kit limits; a message outside them is refused with invalid_blocks."""
    if len(blocks) > 50:
        raise BlockError(f"{len(blocks)} blocks; at most 50")
    for n, block in enumerate(blocks):
        kind = block.get("type")
        if kind == "header":
            _check_text(block["text"], 150, f"block {n} header", plain_only=True)
        elif kind == "section":
            if "text" in block:
                _check_text(block["text"], 3000, f"block {n} section")
            if "accessory" in block:
                _check_element(block["accessory"], f"block {n} accessory")
        elif kind == "context":
            if not 1 <= len(block["elements"]) <= 10:
                raise BlockError(f"block {n} context has {len(block['elements'])} elements")
            for element in block["elements"]:
                _check_text(element, 3000, f"block {n} context")
        elif kind == "actions":
            if not 1 <= len(block["elements"]) <= 25:
                raise BlockError(f"block {n} actions has {len(block['elements'])} elements")
            for element in block["elements"]:
                _check_element(element, f"block {n} action")
        elif kind != "divider":
            raise BlockError(f"block {n}: unexpected type {kind!r}")


def _check_text(obj: dict[str, Any], limit: int, where: str, plain_only: bool = False) -> None:
    if obj.get("type") not in (("plain_text",) if plain_only else ("plain_text", "mrkdwn")):
        raise BlockError(f"{where}: text type {obj.get('type')!r}")
    text = obj.get("text")
    if not isinstance(text, str) or not 1 <= len(text) <= limit:
        raise BlockError(f"{where}: text of {len(text or '')} characters; limit {limit}")


def _check_element(element: dict[str, Any], where: str) -> None:
    if element.get("type") != "button":
        raise BlockError(f"{where}: unexpected element {element.get('type')!r}")
    _check_text(element["text"], 75, where, plain_only=True)
    if "url" in element and not (isinstance(element["url"], str) and len(element["url"]) <= 3000):
        raise BlockError(f"{where}: url too long")
    if len(element.get("value", "")) > 2000:
        raise BlockError(f"{where}: value too long")
    if len(element.get("action_id", "")) > 255:
        raise BlockError(f"{where}: action_id too long")
