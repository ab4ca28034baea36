"""Making outside text safe to show on Discord: no pings, no markdown, no broken links."""
from __future__ import annotations

import re
from urllib.parse import quote

from paperboy.bot.text import collapse_whitespace, trim_at_word

# Characters Discord's markdown reacts to anywhere in a line. `<` covers user, role and
# channel mentions, custom emoji and timestamps; `[` and `]` cover masked links.
_INLINE = re.compile(r"([\\*_~`|\[\]<>])")
# Characters that only matter at the start of a line: headings, quotes, lists, subtext.
_LINE_START = re.compile(r"^(\s*)(?:([#>+\-])|(\d+)\.(?=\s))", re.MULTILINE)
_BROADCAST = re.compile(r"@(everyone|here)", re.IGNORECASE)
_ZERO_WIDTH_SPACE = "\u200b"
_URL_UNSAFE = re.compile(r"[\s()<>\[\]\"'`|\\]")


def escape(text: str) -> str:
    """Outside text shown literally: markdown escaped, @everyone/@here and <@id> inert."""
    escaped = _INLINE.sub(r"\\\1", text)
    escaped = _LINE_START.sub(_escape_line_start, escaped)
    return _BROADCAST.sub(lambda m: "@" + _ZERO_WIDTH_SPACE + m.group(1), escaped)


def _escape_line_start(match: re.Match) -> str:
    indent, marker, number = match.groups()
    # A backslash before a digit is shown literally, so a numbered list is defused at its dot.
    return f"{indent}\\{marker}" if marker else f"{indent}{number}\\."


def plain(text: str) -> str:
    """Text for places Discord shows without markdown (thread names, footers, choice labels):
    only the broadcast words need defusing there."""
    return _BROADCAST.sub(lambda m: "@" + _ZERO_WIDTH_SPACE + m.group(1), text)


def one_line(text: str | None) -> str:
    return collapse_whitespace(text)


trim_words = trim_at_word


def escaped_within(text: str, limit: int) -> str:
    """escape(text) shortened at a word boundary until the escaped form fits in `limit`.
    Trimming happens before escaping, so no escape sequence is ever cut in half."""
    raw = one_line(text)
    budget = limit
    while True:
        candidate = escape(trim_words(raw, budget))
        if len(candidate) <= limit or budget <= 1:
            return candidate if len(candidate) <= limit else ""
        budget = min(budget - 1, budget * limit // len(candidate))


def safe_url(url: str | None, limit: int = 512) -> str | None:
    """An http(s) URL Discord accepts in a link button, embed or masked link; None otherwise.
    Characters that would end a markdown link early are percent-encoded."""
    if not url:
        return None
    text = url.strip()
    if not re.match(r"^https?://[^\s/]+", text, re.IGNORECASE):
        return None
    text = _URL_UNSAFE.sub(lambda m: quote(m.group(0)), text)
    return text if len(text) <= limit else None


def masked_link(label_escaped: str, url: str | None) -> str:
    """`[label](url)` when the URL is usable, else the label alone."""
    safe = safe_url(url)
    return f"[{label_escaped}]({safe})" if safe else label_escaped
