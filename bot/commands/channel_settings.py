"""`/digest config key=value ...` read into channel settings, each value checked, with a clear
answer for anything that cannot be used."""
from __future__ import annotations

import re
import shlex
import zoneinfo
from typing import Any

from paperboy.bot.categories import category_named, closest_category
from paperboy.bot.commands.invocation import Invocation
from paperboy.bot.delivery.schedules import read_every, read_weekday
from paperboy.bot.replies import Error
from paperboy.bot.settings import yes_or_no
from paperboy.bot.subscriptions.query import QueryError, parse

_TIME = re.compile(r"^([01]?\d|2[0-3])[:h.]?([0-5]\d)$")
KEYS = "time, tz, top, min_upvotes, filter, sources, threads, every, day, lag"
DIGEST_WORDS = ("show", "config", "off", "on")


def quoted(text: str, limit: int = 60) -> str:
    """User text quoted back in a reply, on one line and cut short."""
    text = " ".join(text.split())
    return "“" + (text if len(text) <= limit else text[: limit - 1] + "…") + "”"


def digest_words(inv: Invocation) -> tuple[str, str]:
    """(subcommand, the rest): `/digest` alone shows, key=value words configure."""
    sub = str(inv.options.get("subcommand") or "").strip().lower()
    rest = inv.args.strip()
    if not sub:
        head, _, tail = rest.partition(" ")
        if head.lower() in DIGEST_WORDS:
            sub, rest = head.lower(), tail.strip()
        else:
            sub = "show" if not rest else "config" if "=" in rest else "?"
    return sub, rest


def read_settings(inv: Invocation) -> dict[str, Any] | Error:
    """The settings asked for, as store fields (daily_time, tz, top_n, ...), or what is wrong."""
    _, rest = digest_words(inv)
    raw: dict[str, Any] = {k: v for k, v in inv.options.items() if k not in ("subcommand",) and v is not None}
    example = inv.syntax.say('digest config filter="diffusion -medical"')
    try:
        words = shlex.split(rest)
    except ValueError:
        return Error(f"A quote is not closed. Example: {example}")
    for word in words:
        key, eq, value = word.partition("=")
        if not eq:
            return Error(f"Settings look like key=value; {quoted(word, 30)} has no “=”. Keys: {KEYS}.")
        raw[key.strip().lower()] = value.strip()
    return _validated(raw)


def _validated(raw: dict[str, Any]) -> dict[str, Any] | Error:
    settings: dict[str, Any] = {}
    for key, value in raw.items():
        text = str(value).strip()
        if key == "time":
            found = _TIME.match(text)
            if not found:
                return Error(f"time must be HH:MM on a 24-hour clock, e.g. 09:00, not {quoted(text, 20)}.")
            settings["daily_time"] = f"{int(found.group(1)):02d}:{found.group(2)}"
        elif key in ("tz", "timezone"):
            try:
                zoneinfo.ZoneInfo(text)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                return Error(f"Unknown time zone {quoted(text, 40)}. Use a name like Europe/Berlin, "
                             "America/New_York or UTC.")
            settings["tz"] = text
        elif key == "top":
            if not text.isdigit() or not 1 <= int(text) <= 25:
                return Error("top must be a number from 1 to 25.")
            settings["top_n"] = int(text)
        elif key in ("min_upvotes", "min"):
            if not text.isdigit():
                return Error("min_upvotes must be a whole number, 0 or more.")
            settings["min_upvotes"] = int(text)
        elif key == "filter":
            if text.lower() in ("", "none", "off"):
                settings["filter"] = None
                continue
            try:
                settings["filter"] = str(parse(text))
            except QueryError as exc:
                return Error(f"The filter is not a valid query: {exc}")
        elif key == "sources":
            parts = [p.strip() for p in text.replace(" ", ",").split(",") if p.strip()]
            if parts == ["hf"] or text.lower() in ("hf", "huggingface"):
                settings["sources"] = "hf"
                continue
            if not parts:
                return Error("sources is hf (Hugging Face Daily Papers) or arXiv categories like cs.LG,cs.CL.")
            named = [category_named(p) for p in parts]
            unknown = next((p for p, n in zip(parts, named, strict=True) if n is None), None)
            if unknown is not None:
                guess = closest_category(unknown)
                hint = f" Did you mean {guess}?" if guess else " Categories look like cs.LG, math.AG or astro-ph.GA."
                return Error(f"sources: {quoted(unknown, 30)} is not an arXiv category.{hint}")
            settings["sources"] = ",".join(dict.fromkeys(n for n in named if n))
        elif key in ("threads", "thread_per_paper"):
            if isinstance(value, bool):
                settings["thread_per_paper"] = value
            elif yes_or_no(text) is not None:
                settings["thread_per_paper"] = yes_or_no(text)
            else:
                return Error("threads is on or off.")
        elif key == "every":
            every = read_every(text)
            if every is None:
                return Error("every is day, week or month, or several joined by commas: every=day,week.")
            settings["every"] = ",".join(every)
        elif key in ("day", "weekday", "week_day"):
            week_day = read_weekday(text)
            if week_day is None:
                return Error(f"day is the weekday of the weekly post: mon, tue, wed, thu, fri, sat or sun, "
                             f"not {quoted(text, 20)}.")
            settings["week_day"] = week_day
        elif key in ("lag", "lag_days"):
            if text not in ("0", "1"):
                return Error("lag is 0 (today's list, posted on the morning's upvotes) or 1 (yesterday's list, "
                             "ranked on the upvotes it gathered since).")
            settings["lag_days"] = int(text)
        else:
            return Error(f"Unknown setting {quoted(key, 30)}. Keys: {KEYS}.")
    return settings
