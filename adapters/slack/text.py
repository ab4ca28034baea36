"""Text made safe for Slack: escaped control characters, limits kept at word boundaries."""
from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

ELLIPSIS = "…"
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_NEEDS_ESCAPE = re.compile(r"[&<>]")


def escape(text: str) -> str:
    """Slack reads &, < and > as markup (<!channel>, <@U123>, <url|label>); entities show them literally."""
    return _NEEDS_ESCAPE.sub(lambda m: _ESCAPES[m.group(0)], text)


def escaped_length(text: str) -> int:
    return len(text) + 4 * text.count("&") + 3 * (text.count("<") + text.count(">"))


def fit(text: str, limit: int) -> str:
    """Escaped text of at most `limit` characters, cut at a word boundary with an ellipsis when too long.

    Limits are measured on the escaped form (what Slack counts), and the cut is made on the raw text,
    so an entity such as &amp; is never split."""
    text = (text or "").strip()
    if escaped_length(text) <= limit:
        return escape(text)
    budget = limit - len(ELLIPSIS)
    used = end = 0
    for index, char in enumerate(text):
        used += len(_ESCAPES.get(char, char))
        if used > budget:
            break
        end = index + 1
    cut = text[:end]
    if text[end:end + 1] not in (" ", "\n"):
        boundary = max(cut.rfind(" "), cut.rfind("\n"))
        # Only one enormous word (a hash, a long URL) is ever cut inside itself.
        if boundary > budget // 3:
            cut = cut[:boundary]
    return escape(cut.rstrip(" ,;:.-\n") + ELLIPSIS)


def one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def chunks(text: str, limit: int) -> list[str]:
    """Long text as escaped pieces of at most `limit` characters each, split at line breaks when it
    can, else between words: for places where Slack caps one text object but allows several."""
    pieces: list[str] = []
    current = ""

    def flush() -> None:
        nonlocal current
        if current.strip():
            pieces.append(escape(current.strip("\n")))
        current = ""

    for line in (text or "").split("\n"):
        joined = f"{current}\n{line}" if current else line
        if escaped_length(joined) <= limit:
            current = joined
            continue
        flush()
        for word in line.split(" "):
            joined = f"{current} {word}" if current else word
            if escaped_length(joined) <= limit:
                current = joined
                continue
            flush()
            while escaped_length(word) > limit:
                head = _longest_prefix(word, limit)
                pieces.append(escape(head))
                word = word[len(head):]
            current = word
    flush()
    return pieces


def _longest_prefix(word: str, limit: int) -> str:
    used = 0
    for index, char in enumerate(word):
        used += len(_ESCAPES.get(char, char))
        if used > limit:
            return word[:index]
    return word


def unescape(text: str) -> str:
    """What a user typed, from the escaped form Slack delivers message text in."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def safe_url(url: str | None, limit: int = 3000) -> str | None:
    """An http(s) URL fit for a button or a <url|label> link, or None.

    Characters Slack would read as link syntax (<, >, |, spaces) are percent-encoded; other schemes
    (javascript:, data:) are refused, so paper metadata cannot smuggle anything into a message."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    cleaned = quote(url, safe=":/?#[]@!$&'()*+,;=%~-._")
    return cleaned if len(cleaned) <= limit else None


_SLACK_LINK = re.compile(r"<((?:https?://|mailto:)[^<>|]+)(?:\|[^<>]*)?>")
_SLACK_MENTION = re.compile(r"<[@#!][^<>]*>")


def plain_message_text(text: str, *, drop_mentions: bool = True) -> str:
    """Message text as the user wrote it: <url|label> becomes the url, mentions go, entities decode."""
    text = _SLACK_LINK.sub(lambda m: m.group(1), text or "")
    if drop_mentions:
        text = _SLACK_MENTION.sub(" ", text)
    return " ".join(unescape(text).split())
