"""Command handlers: each takes the Context and an Invocation and returns plain reply data."""
from __future__ import annotations

import zoneinfo
from datetime import datetime

from paperboy.bot.clock import duration_words, iso
from paperboy.bot.commands.channel_settings import digest_words, quoted, read_settings
from paperboy.bot.commands.invocation import Invocation
from paperboy.bot.commands.similar import similar
from paperboy.bot.commands.spec import Context, settings_of, usage
from paperboy.bot.commands.trend import trend
from paperboy.bot.delivery.digest import build_digest_explained
from paperboy.bot.delivery.schedules import KIND_OF, next_post_date, schedules_of, weekday_name
from paperboy.bot.models import ChannelConfig, Notify
from paperboy.bot.replies import Card, Error, Notice, PaperList, Reply, SourcesState
from paperboy.bot.search.match import Match
from paperboy.bot.subscriptions.query import QueryError, parse

SUBSCRIBE_EXAMPLE = 'subscribe diffusion -medical author:"Lee"'


# ---- /paper ------------------------------------------------------------------------------

# `/paper <word> ...` asks for something other than a lookup. A title that starts with one of these
# words is still found by its other words, or by its arXiv id.
PAPER_WORDS = {"similar": similar, "trend": trend}


async def paper(ctx: Context, inv: Invocation) -> Reply:
    query = (inv.options.get("query") or inv.args).strip()
    head, _, rest = query.partition(" ")
    if head.lower() in PAPER_WORDS:
        return await PAPER_WORDS[head.lower()](ctx, inv, rest)
    say = inv.syntax.say
    if not query:
        return Error(f"Tell me which paper: {say('paper 2309.12288')}, {say('paper arxiv.org/abs/2309.12288')}, "
                     f"or {say('paper reversal curse')}.")
    match = await ctx.matcher.lookup(query, limit=5)
    if match.best is not None and match.confident:
        return Card(match.best.paper, round(match.best.score, 4), tuple(match.alternatives))
    gap = await _sources_gap(ctx, match)
    sources: SourcesState | None = ("off" if match.sources == "off" else "unreachable") if gap else None
    if match.candidates:
        note = ("These say what you described. A name or a few words of the title would pin it down."
                if match.via == "description" else "Add a few more words of the title, or use the arXiv id.")
        return PaperList(title=f"No confident match for {quoted(query)}. Did you mean:", items=match.candidates,
                         note=f"{gap} {note}" if gap else note, sources=sources)
    if match.withdrawn:
        return Notice(f"arXiv:{match.paper_id} has been withdrawn from arXiv, so paperboy no longer offers it.",
                      ephemeral=True, no_match=True)
    if match.via == "id":
        paper_id = quoted(query)[1:-1]
        if gap:
            return Error(f"I couldn't look up arXiv:{paper_id}. {gap} Try again in a while.", sources=sources)
        return Error(f"I couldn't find arXiv:{paper_id} in the library or at the paper sources. "
                     "Check the id, or try the title.")
    if gap:
        return Notice(f"No paper found for {quoted(query)}. {gap}", ephemeral=True, no_match=True, sources=sources)
    return Notice(f"No paper found for {quoted(query)}. Try other words from the title or abstract, "
                  "or an arXiv id.", ephemeral=True, no_match=True)


_SOURCES_GAP = {
    "unreachable": "Hugging Face and arXiv could not be reached",
    "timeout": "Hugging Face and arXiv did not answer in time",
    "off": "The paper sources are switched off here",
}


async def _sources_gap(ctx: Context, match: Match) -> str | None:
    """A sentence saying that the sources could not be asked and what was searched instead."""
    if not match.sources_failed:
        return None
    size = await ctx.papers.run(ctx.matcher.library_size)
    if not size:
        return f"{_why_not_asked(match)}, and the local library holds no papers yet."
    return f"{_why_not_asked(match)}; I searched the local library of {size:,} paper{'s' if size != 1 else ''} only."


def _why_not_asked(match: Match) -> str:
    unreached = match.unreached
    if match.sources != "unreachable" or unreached is None:
        return _SOURCES_GAP[match.sources]
    if unreached.asked:
        return f"Hugging Face and arXiv could not be reached ({unreached.reason})"
    retry = f" (retrying in {duration_words(unreached.retry_in)})" if unreached.retry_in else ""
    return f"Hugging Face and arXiv were not asked: {unreached.reason}{retry}"


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


async def subscribe(ctx: Context, inv: Invocation) -> Reply:
    say = inv.syntax.say
    text, asked = _split_notify(inv)
    if not text:
        return Error(f'Tell me what to watch for, e.g. {say(SUBSCRIBE_EXAMPLE)}. '
                     'Words must all match; use "quotes" for phrases, OR, -word to exclude, '
                     "author:Name and cat:cs.LG.")
    if asked not in (None, "dm", "channel"):
        return Error(f"notify can be dm or channel, not {quoted(asked)}.")
    notify: Notify = "channel" if asked == "channel" else "dm"
    if notify == "channel" and (inv.place.is_dm or not inv.place.channel):
        return Error("notify=channel needs a channel: subscribe from the channel where alerts should go.")
    try:
        query = parse(text)
    except QueryError as exc:
        return Error(f"I couldn't read that subscription: {exc}")
    place = inv.place
    existing = await ctx.subscriptions.run(ctx.subscriptions.subscriptions_of, place.platform, place.workspace, inv.user)
    normalized = str(query)
    for sub in existing:
        if sub.query == normalized:
            return Notice(f"You already have this subscription (#{sub.id}: {sub.query}).", ephemeral=True)
    if len(existing) >= ctx.max_subscriptions_per_user:
        return Error(f"You have {len(existing)} subscriptions, the most one person can have. "
                     f"Remove one with {say('unsubscribe <id>')} first.")
    sub = await ctx.subscriptions.run(ctx.subscriptions.add_subscription, place.platform, place.workspace, inv.user, place.channel,
                              notify, normalized, iso(ctx.clock.now()))
    where = place.alerts_reach or ("by direct message" if notify == "dm" else "with a mention in this channel")
    return Notice(f"Subscribed (#{sub.id}): {query.describe()}. New matching papers will reach you {where}. "
                  f"{say(f'unsubscribe {sub.id}')} stops it.", ephemeral=True)


async def unsubscribe(ctx: Context, inv: Invocation) -> Reply:
    say = inv.syntax.say
    raw = str(inv.options.get("id") or inv.args).strip().lstrip("#")
    if not raw.isdigit():
        return Error(f"Which one? {say('unsubscribe <id>')}, with the number {say('subscriptions')} shows.")
    place = inv.place
    if await ctx.subscriptions.run(ctx.subscriptions.remove_subscription, place.platform, place.workspace, inv.user, int(raw)):
        cancelled = 0
        for prefix in ctx.kinds.prefixes("subscription", int(raw)):  # what it still had queued
            cancelled += await ctx.outbox.run(ctx.outbox.cancel_deliveries, prefix, iso(ctx.clock.now()),
                                              "unsubscribed")
        queued = f" {_alerts(cancelled)} not yet sent will not be." if cancelled else ""
        return Notice(f"Unsubscribed #{int(raw)}.{queued}", ephemeral=True)
    return Error(f"You have no subscription #{int(raw)}. {say('subscriptions')} lists yours.")


def _alerts(count: int) -> str:
    return "The alert" if count == 1 else f"The {count} alerts"


async def subscriptions(ctx: Context, inv: Invocation) -> Reply:
    say = inv.syntax.say
    place = inv.place
    subs = await ctx.subscriptions.run(ctx.subscriptions.subscriptions_of, place.platform, place.workspace, inv.user)
    if not subs:
        return Notice(f'You have no subscriptions yet. Try {say(SUBSCRIBE_EXAMPLE)}.',
                      ephemeral=True)
    lines = [f"Your subscriptions ({len(subs)}):"]
    for sub in subs:
        how = "DM" if sub.notify == "dm" else "mention in channel"
        lines.append(f"#{sub.id}  {sub.query}  ({how})")
    lines.append(f"{say('unsubscribe <id>')} stops one.")
    return Notice("\n".join(lines), ephemeral=True)


# ---- /digest -----------------------------------------------------------------------------

def digest_subcommand(inv: Invocation) -> str:
    """The /digest subcommand asked for: `/digest` alone shows, key=value words (or `on`) configure."""
    sub, _ = digest_words(inv)
    return "config" if sub == "on" else sub


async def digest(ctx: Context, inv: Invocation) -> Reply:
    """/digest with words that are no subcommand (dispatch runs the subcommands' own handlers)."""
    say = inv.syntax.say
    return Error(f"Use {say('digest')}, {say('digest config time=09:00 tz=Europe/Berlin top=10')}, "
                 f"or {say('digest off')}.")


async def _channel_here(ctx: Context, inv: Invocation) -> ChannelConfig | None:
    place = inv.place
    if not place.channel:
        return None
    return await ctx.channels.run(ctx.channels.get_channel, place.platform, place.workspace, place.channel)


def _local_date(ctx: Context, tz: str) -> str:
    return ctx.clock.now().astimezone(zoneinfo.ZoneInfo(tz)).date().isoformat()


async def digest_show(ctx: Context, inv: Invocation) -> Reply:
    channel = await _channel_here(ctx, inv)
    tz = channel.tz if channel else "UTC"
    found, why = await ctx.lists.run(build_digest_explained, ctx.lists, channel, _local_date(ctx, tz), inv.syntax)
    if found is None:
        return Notice(f"Nothing to show: {why}.", ephemeral=True, no_match=True)
    return found.reply


def next_post_time(now: datetime, channel: ChannelConfig) -> datetime:
    """The next moment, local to the channel's time zone, when one of its posts is due."""
    zone = zoneinfo.ZoneInfo(channel.tz)
    local_now = now.astimezone(zone)
    hour, minute = (int(x) for x in channel.daily_time.split(":"))
    passed = (local_now.hour, local_now.minute, local_now.second) >= (hour, minute, 0)
    day = min(next_post_date(every, local_now.date(), channel.week_day, passed)
              for every in schedules_of(channel.every))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)


async def digest_config(ctx: Context, inv: Invocation) -> Reply:
    place = inv.place
    say = inv.syntax.say
    if place.is_dm or not place.channel:
        return Error(f"The daily post belongs to a channel: run {say('digest config')} in the channel that "
                     "should get it.")
    settings = read_settings(inv)
    if isinstance(settings, Error):
        return settings
    before = await _channel_here(ctx, inv)
    channel = await ctx.channels.run(lambda: ctx.channels.configure_channel(
        place.platform, place.workspace, place.channel, iso(ctx.clock.now()), enabled=True, paused=None, **settings))
    if before is not None:  # a schedule dropped takes its post waiting to go out with it
        for every in set(schedules_of(before.every)) - set(schedules_of(channel.every)):
            await ctx.outbox.run(ctx.outbox.cancel_deliveries, ctx.kinds[KIND_OF[every]].prefix(channel.id),
                                 iso(ctx.clock.now()),
                                f"{every}ly post turned off" if every != "day" else "daily post turned off")
    resumed = f"Resumed: it had stopped because {before.paused}. " if before and before.paused else ""
    return Notice(resumed + describe_posts(channel, ctx.clock.now()), ephemeral=True)


def describe_posts(channel: ChannelConfig, now: datetime) -> str:
    """What a channel gets and when the next post is, in a sentence or two."""
    when = []
    for every in schedules_of(channel.every):
        if every == "day":
            lagged = " (yesterday's list, on the upvotes it gathered since)" if channel.lag_days else ""
            when.append(f"daily at {channel.daily_time}{lagged}")
        elif every == "week":
            when.append(f"weekly on {weekday_name(channel.week_day)} at {channel.daily_time} (the week before)")
        else:
            when.append(f"monthly on the 1st at {channel.daily_time} (the month before)")
    parts = [f"Posts on: {' and '.join(when)} {channel.tz}, top {channel.top_n}",
             "from Hugging Face Daily Papers" if channel.sources == "hf" else f"from arXiv {channel.sources}"]
    if channel.min_upvotes:
        parts.append(f"with at least {channel.min_upvotes} upvotes")
    if channel.filter:
        parts.append(f"matching {channel.filter}")
    if channel.thread_per_paper:
        parts.append("one thread per paper")
    due = next_post_time(now, channel)
    return ", ".join(parts) + f". Next post: {due.strftime('%a %d %b %H:%M')} ({channel.tz})."


async def digest_off(ctx: Context, inv: Invocation) -> Reply:
    place = inv.place
    channel = await _channel_here(ctx, inv)
    if channel is None or not channel.enabled:
        return Notice("This channel has no daily post to turn off.", ephemeral=True)
    now = iso(ctx.clock.now())
    await ctx.channels.run(lambda: ctx.channels.configure_channel(place.platform, place.workspace, place.channel, now,
                                                            enabled=False))
    cancelled = 0
    for prefix in ctx.kinds.prefixes("channel", channel.id):
        cancelled += await ctx.outbox.run(ctx.outbox.cancel_deliveries, prefix, now, "daily post turned off")
    queued = " The post waiting to go out is cancelled." if cancelled else ""
    return Notice(f"Daily post off for this channel.{queued} {inv.syntax.say('digest config')} turns it back "
                  "on with the same settings.", ephemeral=True)


# ---- /help -------------------------------------------------------------------------------

async def help_(ctx: Context, inv: Invocation) -> Reply:
    lines = ["paperboy brings research papers to this chat.", ""]
    for spec in ctx.commands:
        lines += [usage(spec, inv.syntax), f"    {spec.description}"]
        for sub in spec.subcommands:
            if sub.name != "show":
                lines += [usage(sub, inv.syntax, spec), f"    {sub.description}"]
                lines += [f"      {setting}  {what}" for setting, what in settings_of(sub)]
    lines += ["", 'Subscription queries: words (all must match), "phrases", a OR b, -exclude, author:"Name", '
                  'cat:cs.LG.']
    if not await ctx.papers.run(ctx.papers.max_rowid):
        lines += ["", EMPTY_LIBRARY]
    return Notice("\n".join(lines), ephemeral=True)


EMPTY_LIBRARY = ("The library has no papers yet. Whoever runs paperboy can fetch the last week of Hugging Face "
                 "Daily Papers with `paperboy ingest hf --days 7`, or load a file with `paperboy import FILE`; "
                 "`paperboy run` fetches the last 7 days when it starts.")
