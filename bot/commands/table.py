"""The command table: every chat command paperboy speaks, declared once."""
from __future__ import annotations

from paperboy.bot.commands import handlers
from paperboy.bot.commands.spec import Argument, CommandSpec


def build_specs() -> tuple[CommandSpec, ...]:
    digest_config = CommandSpec(
        name="config",
        description="Set this channel's posts: time, time zone, size, filter, sources, threads, weekly/monthly",
        handler=handlers.digest_config,
        needs_configure=True,
        ephemeral=True,
        usage="key=value ...",
        arguments=(
            Argument("time", "Local time of the daily post, HH:MM (24 h)", required=False, max_length=5,
                     example="09:00"),
            Argument("tz", "Time zone, e.g. Europe/Berlin", required=False, autocomplete="timezones", max_length=64,
                     example="Europe/Berlin"),
            Argument("top", "How many papers to post (1-25)", required=False, kind="integer", example="10"),
            Argument("min_upvotes", "Only papers with at least this many upvotes", required=False, kind="integer",
                     example="5"),
            Argument("filter", "Only papers matching this query (subscription syntax); 'none' clears it",
                     required=False, max_length=300, example='"diffusion -medical"'),
            Argument("sources", "hf (Hugging Face Daily Papers) or arXiv categories, e.g. cs.LG,cs.CL",
                     required=False, max_length=200, example="cs.LG,cs.CL"),
            Argument("threads", "Open one thread per posted paper", required=False, kind="boolean", example="on"),
            Argument("every", "day, week or month, or several: day,week (weekly tops, monthly tops)",
                     required=False, max_length=20, example="day,week"),
            Argument("day", "Weekday of the weekly post: mon ... sun", required=False, max_length=9, example="mon"),
            Argument("lag", "1: post yesterday's list, ranked on its settled upvotes; 0: today's", required=False,
                     max_length=1, example="1"),
        ),
    )
    return (
        CommandSpec(
            name="paper",
            description="Find a paper by arXiv id, link, title or keywords",
            handler=handlers.paper,
            may_be_slow=True,
            usage="<arXiv id, link, title or keywords>",
            examples=("2309.12288", "arxiv.org/abs/2309.12288", "reversal curse"),
            arguments=(Argument("query", "An arXiv id or link, a title (typos are fine) or keywords",
                                autocomplete="titles"),),
        ),
        CommandSpec(
            name="subscribe",
            short_name="sub",
            description="Get told when a new paper matches a query",
            handler=handlers.subscribe,
            ephemeral=True,
            usage='<query> [notify=dm|channel]',
            examples=('diffusion -medical author:"Lee"', 'cat:cs.CL "in-context learning"'),
            arguments=(
                Argument("query", 'Words (all must match), "phrases", OR, -exclusions, author:"Name", cat:cs.LG',
                         max_length=500),
                Argument("notify", "dm (default) or channel: where alerts reach you", required=False, max_length=7),
            ),
        ),
        CommandSpec(
            name="unsubscribe",
            short_name="unsub",
            description="Stop one of your subscriptions",
            handler=handlers.unsubscribe,
            ephemeral=True,
            usage="<id>",
            arguments=(Argument("id", "The subscription's number, from /subscriptions",
                                autocomplete="subscriptions", max_length=20),),
        ),
        CommandSpec(
            name="subscriptions",
            short_name="subs",
            description="List your subscriptions",
            handler=handlers.subscriptions,
            ephemeral=True,
        ),
        CommandSpec(
            name="digest",
            description="Today's trending papers, and this channel's daily post",
            handler=handlers.digest,
            usage="[show | config key=value ... | off]",
            subcommands=(
                CommandSpec(name="show", description="Show today's list for this channel",
                            handler=handlers.digest_show),
                digest_config,
                CommandSpec(name="off", description="Stop this channel's daily post", handler=handlers.digest_off,
                            needs_configure=True, ephemeral=True),
            ),
        ),
        CommandSpec(
            name="help",
            description="What paperboy can do",
            handler=handlers.help_,
            ephemeral=True,
        ),
    )
