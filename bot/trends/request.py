"""What `/paper trend` was asked: up to three series, each a /subscribe query, and an optional range.

Series are separated by a `|` outside quotes, so alternatives inside one series are written with
the word OR (`"state space models" | mamba OR s4 | transformer`). `since=YYYY-MM` and `until=YYYY-MM`
anywhere outside quotes set the first and last month. Each series is parsed by the subscription
parser (paperboy.bot.subscriptions.query), whose rules it then follows exactly.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from paperboy.bot.subscriptions.query import QUOTE_MARKS, QueryError, SubscriptionQuery, parse
from paperboy.bot.syntax import MAX_ARGUMENT_CHARS

MAX_SERIES = 3
_OPTION = re.compile(r"(?i)^(since|until)=(.*)$")
_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
EXAMPLE = '"state space models" | mamba | transformer since=2023-01'


class TrendError(ValueError):
    """Trend text that cannot be understood; the message says what is wrong."""


@dataclass(frozen=True)
class TrendSeries:
    label: str  # as the user wrote it, quotes kept: "state space models", author:Hinton
    query: SubscriptionQuery


@dataclass(frozen=True)
class TrendRequest:
    series: tuple[TrendSeries, ...]
    since: str | None = None  # "YYYY-MM"
    until: str | None = None


def _month(name: str, value: str) -> str:
    found = _MONTH.fullmatch(value.strip())
    if not found or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 1900:
        shown = value[:20]
        raise TrendError(f'{name}= needs a month written YYYY-MM, e.g. {name}=2023-01 (not "{shown}")')
    return f"{found.group(1)}-{int(found.group(2)):02d}"


def _split(text: str) -> tuple[list[str], dict[str, str]]:
    """The series texts (split at each `|` outside quotes) and the since=/until= options."""
    pieces: list[str] = [""]
    options: dict[str, str] = {}
    quoted = False
    word = ""

    def end_word() -> None:
        nonlocal word
        option = _OPTION.match(word) if not quoted else None
        if option:
            name = option.group(1).lower()
            if name in options:
                raise TrendError(f"{name}= is given twice")
            options[name] = _month(name, option.group(2))
        else:
            pieces[-1] += word
        word = ""

    for char in text:
        if char == '"':
            quoted = not quoted
            word += char
        elif char == "|" and not quoted:
            end_word()
            pieces.append("")
        elif char.isspace() and not quoted:
            end_word()
            pieces[-1] += " "
        else:
            word += char
    if quoted:
        raise TrendError('unclosed quote: add a closing " (series are separated by | outside quotes)')
    end_word()
    return [piece.strip() for piece in pieces], options


def parse_trend(text: str) -> TrendRequest:
    """The request in `text`; TrendError says what is wrong."""
    text = (text or "").translate(QUOTE_MARKS).strip()
    if not text:
        raise TrendError(f"give a query to chart, e.g. {EXAMPLE}")
    if len(text) > MAX_ARGUMENT_CHARS:
        raise TrendError(f"the query is too long ({len(text):,} characters; the limit is {MAX_ARGUMENT_CHARS:,})")
    pieces, options = _split(text)
    if len(pieces) > MAX_SERIES:
        raise TrendError(f"at most {MAX_SERIES} queries can be compared in one chart (got {len(pieces)}, "
                         "separated by |); inside one query write OR for alternatives")
    if not any(pieces):
        raise TrendError(f"give a query to chart besides since=/until=, e.g. {EXAMPLE}")
    series = []
    for number, piece in enumerate(pieces, 1):
        where = f"query {number} of {len(pieces)}" if len(pieces) > 1 else "the query"
        if not piece:
            raise TrendError(f"{where} is empty: put a query on both sides of each |")
        try:
            query = parse(piece)
        except QueryError as exc:
            shown = piece if len(piece) <= 40 else piece[:39] + "…"
            raise TrendError(f"{where} ({shown}): {exc}" if len(pieces) > 1 else str(exc)) from None
        series.append(TrendSeries(" ".join(piece.split()), query))
    since, until = options.get("since"), options.get("until")
    if since and until and since > until:
        raise TrendError(f"since={since} is after until={until}")
    return TrendRequest(tuple(series), since, until)
