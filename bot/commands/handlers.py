"""Command handlers: each takes the Core and an Invocation and returns plain reply data."""
from __future__ import annotations

import re
import shlex
import zoneinfo
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from paperboy.bot.clock import iso
from paperboy.bot.models import Invocation
from paperboy.bot.replies import Card, Error, Notice, PaperList, Reply, Scored

if TYPE_CHECKING:
    from paperboy.bot.commands.dispatch import Core

_TIME = re.compile(r"^([01]?\d|2[0-3])[:h.]?([0-5]\d)$")
_CATEGORY = re.compile(r"^[a-z\-]+(\.[A-Za-z\-]+)?$")
_TRUE = {"1", "true", "yes", "on", "y"}
_FALSE = {"0", "false", "no", "off", "n"}


def _quote(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return "“" + (text if len(text) <= limit else text[: limit - 1] + "…") + "”"


# ---- /paper ------------------------------------------------------------------------------

async def paper(core: "Core", inv: Invocation) -> Reply:
    query = (inv.options.get("query") or inv.args).strip()
    if not query:
        return Error("Tell me which paper: /paper 2309.12288, /paper arxiv.org/abs/2309.12288, "
                     "or /paper reversal curse.")
    if len(query) > 500:
        return Error(f"That query is {len(query):,} characters; /paper takes up to 500. "
                     "Paste an arXiv id or link, a title, or a few keywords.")
    match = await core.matcher.lookup(query, limit=5)
    if match.best is not None and match.confident:
        return Card(match.best.paper, round(match.best.score, 4), tuple(match.alternatives))
    candidates = tuple(s for s in ((match.best,) if match.best else ()) + tuple(match.alternatives))
    if candidates:
        return PaperList(title=f"No confident match for {_quote(query)}. Did you mean:",
                         items=candidates, note="Add a few more words of the title, or use the arXiv id.")
    if match.via == "id":
        return Error(f"I couldn't find arXiv:{_quote(query)[1:-1]} in the library or at the paper sources. "
                     "Check the id, or try the title.")
    return Notice(f"No paper found for {_quote(query)}. Try other words from the title or abstract, "
                  "or an arXiv id.", ephemeral=True)


# ---- subscriptions -----------------------------------------------------------------------

def _split_notify(inv: Invocation) -> tuple[str, str | None]:
    """Pulls `notify=dm|channel` out of the text; options (from structured commands) win."""
    text = inv.options.get("query") or inv.args
    notify = inv.options.get("notify")
    kept = []
    for word in text.split(" "):
        low = word.lower()
        if low.startswith("notify=") and notify is None:
            notify = low.split("=", 1)[1]
        else:
            kept.append(word)
    return " ".join(kept).strip(), (notify.lower().strip() if isinstance(notify, str) and notify else None)


async def subscribe(core: "Core", inv: Invocation) -> Reply:
    from paperboy.bot.subscriptions.query import QueryError, parse

    text, notify = _split_notify(inv)
    if not text:
        return Error('Tell me what to watch for, e.g. /subscribe diffusion -medical author:"Lee". '
                     'Words must all match; use "quotes" for phrases, OR, -word to exclude, '
                     "author:Name and cat:cs.LG.")
    if notify not in (None, "dm", "channel"):
        return Error(f"notify can be dm or channel, not {_quote(notify)}.")
    if notify is None:
        notify = "dm"
    if notify == "channel" and (inv.place.is_dm or not inv.place.channel):
        return Error("notify=channel needs a channel: subscribe from the channel where alerts should go.")
    try:
        query = parse(text)
    except QueryError as exc:
        return Error(f"I couldn't read that subscription: {exc}")
    place = inv.place
    existing = core.store.subscriptions_of(place.platform, place.workspace, inv.user)
    normalized = str(query)
    for sub in existing:
        if sub.query == normalized:
            return Notice(f"You already have this subscription (#{sub.id}: {sub.query}).", ephemeral=True)
    if len(existing) >= core.max_subscriptions_per_user:
        return Error(f"You have {len(existing)} subscriptions, the most one person can have. "
                     "Remove one with /unsubscribe <id> first.")
    sub = core.store.add_subscription(place.platform, place.workspace, inv.user, place.channel, notify,
                                      normalized, iso(core.clock.now()))
    where = "by direct message" if notify == "dm" else "with a mention in this channel"
    return Notice(f"Subscribed (#{sub.id}): {query.describe()}. New matching papers will reach you {where}. "
                  f"/unsubscribe {sub.id} stops it.", ephemeral=True)


async def unsubscribe(core: "Core", inv: Invocation) -> Reply:
    raw = str(inv.options.get("id") or inv.args).strip().lstrip("#")
    if not raw.isdigit():
        return Error("Which one? /unsubscribe <id>, with the number /subscriptions shows.")
    place = inv.place
    if core.store.remove_subscription(place.platform, place.workspace, inv.user, int(raw)):
        return Notice(f"Unsubscribed #{int(raw)}.", ephemeral=True)
    return Error(f"You have no subscription #{int(raw)}. /subscriptions lists yours.")


async def subscriptions(core: "Core", inv: Invocation) -> Reply:
    place = inv.place
    subs = core.store.subscriptions_of(place.platform, place.workspace, inv.user)
    if not subs:
        return Notice('You have no subscriptions yet. Try /subscribe diffusion -medical author:"Lee".',
                      ephemeral=True)
    lines = [f"Your subscriptions ({len(subs)}):"]
    for sub in subs:
        how = "DM" if sub.notify == "dm" else "mention in channel"
        lines.append(f"#{sub.id}  {sub.query}  ({how})")
    lines.append("/unsubscribe <id> stops one.")
    return Notice("\n".join(lines), ephemeral=True)


# ---- /digest -----------------------------------------------------------------------------

def _digest_words(inv: Invocation) -> tuple[str, str]:
    sub = str(inv.options.get("subcommand") or "").strip().lower()
    rest = inv.args.strip()
    if not sub:
        head, _, tail = rest.partition(" ")
        if head.lower() in ("show", "config", "off", "on"):
            sub, rest = head.lower(), tail.strip()
        else:
            sub = "show" if not rest else "config" if "=" in rest else "?"
    return sub, rest


async def digest(core: "Core", inv: Invocation) -> Reply:
    sub, _ = _digest_words(inv)
    if sub == "show":
        return await digest_show(core, inv)
    if sub in ("config", "on"):
        return await digest_config(core, inv)
    if sub == "off":
        return await digest_off(core, inv)
    return Error("Use /digest, /digest config time=09:00 tz=Europe/Berlin top=10, or /digest off.")


def _local_date(core: "Core", tz: str) -> str:
    return core.clock.now().astimezone(zoneinfo.ZoneInfo(tz)).date().isoformat()


async def digest_show(core: "Core", inv: Invocation) -> Reply:
    from paperboy.bot.delivery.digest import build_digest

    place = inv.place
    channel = core.store.get_channel(place.platform, place.workspace, place.channel) if place.channel else None
    tz = channel.tz if channel else "UTC"
    found = build_digest(core.store, channel, _local_date(core, tz))
    if found is None or not found.reply.items:
        return Notice("No papers for today yet. Lists arrive through the day; try again later.", ephemeral=True)
    return found.reply


def _parse_settings(inv: Invocation) -> dict[str, Any] | Error:
    _, rest = _digest_words(inv)
    raw: dict[str, Any] = {k: v for k, v in inv.options.items() if k not in ("subcommand",) and v is not None}
    try:
        words = shlex.split(rest)
    except ValueError:
        return Error("A quote is not closed. Example: /digest config filter=\"diffusion -medical\"")
    for word in words:
        key, eq, value = word.partition("=")
        if not eq:
            return Error(f"Settings look like key=value; {_quote(word, 30)} has no “=”. "
                         "Keys: time, tz, top, min_upvotes, filter, sources, threads.")
        raw[key.strip().lower()] = value.strip()
    return raw


def _validate_settings(raw: dict[str, Any]) -> dict[str, Any] | Error:
    from paperboy.bot.subscriptions.query import QueryError, parse

    settings: dict[str, Any] = {}
    for key, value in raw.items():
        text = str(value).strip()
        if key == "time":
            found = _TIME.match(text)
            if not found:
                return Error(f"time must be HH:MM on a 24-hour clock, e.g. 09:00, not {_quote(text, 20)}.")
            settings["daily_time"] = f"{int(found.group(1)):02d}:{found.group(2)}"
        elif key in ("tz", "timezone"):
            try:
                zoneinfo.ZoneInfo(text)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                return Error(f"Unknown time zone {_quote(text, 40)}. Use a name like Europe/Berlin, "
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
            elif parts and all(_CATEGORY.match(p) for p in parts):
                settings["sources"] = ",".join(parts)
            else:
                return Error("sources is hf (Hugging Face Daily Papers) or arXiv categories like cs.LG,cs.CL.")
        elif key in ("threads", "thread_per_paper"):
            low = text.lower()
            if isinstance(value, bool):
                settings["thread_per_paper"] = value
            elif low in _TRUE or low in _FALSE:
                settings["thread_per_paper"] = low in _TRUE
            else:
                return Error("threads is on or off.")
        else:
            return Error(f"Unknown setting {_quote(key, 30)}. Keys: time, tz, top, min_upvotes, filter, "
                         "sources, threads.")
    return settings


def next_post_time(now: datetime, daily_time: str, tz: str) -> datetime:
    """The next moment, local to tz, when a daily post at daily_time is due."""
    zone = zoneinfo.ZoneInfo(tz)
    local_now = now.astimezone(zone)
    hour, minute = (int(x) for x in daily_time.split(":"))
    due = local_now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if due <= local_now:
        due = (local_now + timedelta(days=1)).replace(hour=hour, minute=minute, second=0, microsecond=0)
    return due


async def digest_config(core: "Core", inv: Invocation) -> Reply:
    place = inv.place
    if place.is_dm or not place.channel:
        return Error("The daily post belongs to a channel: run /digest config in the channel that should get it.")
    if not inv.can_configure:
        return Error("Only people who can manage this channel can set its daily post. "
                     "/digest shows today's list to anyone.")
    raw = _parse_settings(inv)
    if isinstance(raw, Error):
        return raw
    settings = _validate_settings(raw)
    if isinstance(settings, Error):
        return settings
    channel = core.store.configure_channel(place.platform, place.workspace, place.channel,
                                           iso(core.clock.now()), enabled=True, **settings)
    due = next_post_time(core.clock.now(), channel.daily_time, channel.tz)
    parts = [f"Daily post on: {channel.top_n} papers at {channel.daily_time} {channel.tz}",
             "from Hugging Face Daily Papers" if channel.sources == "hf" else f"from arXiv {channel.sources}"]
    if channel.min_upvotes:
        parts.append(f"with at least {channel.min_upvotes} upvotes")
    if channel.filter:
        parts.append(f"matching {channel.filter}")
    if channel.thread_per_paper:
        parts.append("one thread per paper")
    return Notice(", ".join(parts) + f". Next post: {due.strftime('%a %d %b %H:%M')} ({channel.tz}).",
                  ephemeral=True)


async def digest_off(core: "Core", inv: Invocation) -> Reply:
    place = inv.place
    if not inv.can_configure:
        return Error("Only people who can manage this channel can turn its daily post off.")
    channel = core.store.get_channel(place.platform, place.workspace, place.channel) if place.channel else None
    if channel is None or not channel.enabled:
        return Notice("This channel has no daily post to turn off.", ephemeral=True)
    core.store.configure_channel(place.platform, place.workspace, place.channel, iso(core.clock.now()),
                                 enabled=False)
    return Notice("Daily post off for this channel. /digest config turns it back on with the same settings.",
                  ephemeral=True)


# ---- /help -------------------------------------------------------------------------------

async def help_(core: "Core", inv: Invocation) -> Reply:
    lines = ["paperboy brings research papers to this chat."]
    for spec in core.specs:
        lines.append(f"{spec.usage or '/' + spec.name}: {spec.description}")
        for sub in spec.subcommands:
            if sub.name != "show":
                lines.append(f"  {sub.usage}: {sub.description}")
    lines.append('Subscription queries: words (all must match), "phrases", a OR b, -exclude, '
                 'author:"Name", cat:cs.LG.')
    return Notice("\n".join(lines), ephemeral=True)


__all__ = ["paper", "subscribe", "unsubscribe", "subscriptions", "digest", "digest_show", "digest_config",
           "digest_off", "help_", "Scored", "next_post_time"]
