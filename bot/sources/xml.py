"""XML answers from the paper sources, read safely: one rule for every XML source."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from paperboy.bot.sources.http import SourceError


def xml_root(content: bytes, tag: str, *, format: str, answer: str, source: str) -> ET.Element:
    """The document's root, which must be `tag` ("{namespace}name"); otherwise a SourceError naming
    the `format` it is not, or the `answer` that was expected. A body with a DOCTYPE or an entity
    is refused unread (entity expansion is a classic way to exhaust memory)."""
    if b"<!DOCTYPE" in content[:2048] or b"<!ENTITY" in content:
        raise SourceError("refusing an XML body with a DOCTYPE", source=source)
    try:
        root = ET.fromstring(content)
    except ET.ParseError as exc:
        raise SourceError(f"the response is not valid {format}: {exc}", source=source) from None
    if root.tag != tag:
        raise SourceError(f"expected {answer}, got <{root.tag}>", source=source)
    return root


def text_of(element: ET.Element | None) -> str | None:
    return element.text if element is not None else None
