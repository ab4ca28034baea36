"""Commands declared once, as specs, and what their handlers are given. Each adapter turns the
specs into its own registration (Discord slash commands, Slack's /paper words, typed lines)."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from paperboy.bot.clock import Clock
from paperboy.bot.commands.invocation import Invocation
from paperboy.bot.delivery.registry import delivery_kinds
from paperboy.bot.delivery.store import ChannelStore, DailyListStore, OutboxStore
from paperboy.bot.kinds import DeliveryKinds
from paperboy.bot.reading.store import ReadingStore
from paperboy.bot.replies import Reply
from paperboy.bot.search.matcher import Matcher
from paperboy.bot.search.store import SearchStore
from paperboy.bot.subscriptions.store import SubscriptionStore
from paperboy.bot.syntax import MAX_ARGUMENT_CHARS, Syntax
from paperboy.bot.trends.store import TrendStore

ArgumentKind = Literal["text", "integer", "boolean"]
# What an adapter may offer while the user types: paper titles, the caller's own subscriptions,
# time zone names.
Suggestions = Literal["titles", "subscriptions", "timezones"]


@dataclass(frozen=True)
class Argument:
    name: str
    description: str
    required: bool = True
    autocomplete: Suggestions | None = None
    kind: ArgumentKind = "text"
    max_length: int = MAX_ARGUMENT_CHARS
    example: str = ""  # a value, for help's list of key=value settings


@dataclass(frozen=True)
class CommandSpec:
    name: str
    description: str
    handler: Handler
    arguments: tuple[Argument, ...] = ()
    subcommands: tuple[CommandSpec, ...] = ()
    needs_configure: bool = False  # only callers allowed to configure the channel
    may_be_slow: bool = False  # may ask the paper sources: adapters defer their answer first
    ephemeral: bool = False  # answer only to the caller where the platform can
    short_name: str | None = None  # e.g. "sub" for `/paper sub ...` on Slack
    usage: str = ""  # the arguments, as help shows them: "<query> [notify=dm|channel]"
    examples: tuple[str, ...] = field(default_factory=tuple)  # arguments that work, e.g. "reversal curse"
    # The subcommand an invocation asks for, when that is more than its first word (`/digest
    # time=09:00` configures); None: the first word, or the Discord subcommand.
    subcommand_asked: Callable[[Invocation], str] | None = None

    def subcommand(self, name: str) -> CommandSpec | None:
        for sub in self.subcommands:
            if sub.name == name or sub.short_name == name:
                return sub
        return None

    def subcommand_for(self, inv: Invocation) -> CommandSpec | None:
        """The subcommand an invocation of this command runs (None: the command's own handler)."""
        if not self.subcommands:
            return None
        word = self.subcommand_asked(inv) if self.subcommand_asked else inv.args.strip().partition(" ")[0]
        return self.subcommand(word.lower())


class CommandStore(SearchStore, ChannelStore, DailyListStore, OutboxStore, SubscriptionStore, ReadingStore,
                   TrendStore, Protocol):
    """One store that is every store the commands use (what build_core is given)."""


@dataclass
class Context:
    """What every handler may use: each store by what it is for (a handler uses the ones it needs),
    the clock and the matcher."""
    papers: SearchStore
    subscriptions: SubscriptionStore
    channels: ChannelStore
    lists: DailyListStore
    outbox: OutboxStore
    reading: ReadingStore
    trends: TrendStore
    clock: Clock
    matcher: Matcher
    commands: tuple[CommandSpec, ...] = ()
    kinds: DeliveryKinds = field(default_factory=delivery_kinds)  # the outbox's kinds of posts
    max_subscriptions_per_user: int = 50

    @classmethod
    def over(cls, store: CommandStore, clock: Clock, matcher: Matcher, commands: tuple[CommandSpec, ...] = (),
             **settings: Any) -> Context:
        """A context whose stores are all `store`."""
        return cls(papers=store, subscriptions=store, channels=store, lists=store, outbox=store, reading=store,
                   trends=store, clock=clock, matcher=matcher, commands=commands, **settings)


Handler = Callable[[Context, Invocation], Awaitable[Reply]]


def usage(spec: CommandSpec, syntax: Syntax, parent: CommandSpec | None = None) -> str:
    """How to call a command (a subcommand, with its parent), as this syntax types it."""
    words = [parent.name] if parent is not None else []
    return syntax.say(" ".join([*words, spec.name, spec.usage]))


def example(spec: CommandSpec, arguments: str, syntax: Syntax) -> str:
    return syntax.say(f"{spec.name} {arguments}")


def settings_of(spec: CommandSpec) -> list[tuple[str, str]]:
    """A key=value command's settings as help lists them: ("time=09:00", "Local time of ...")."""
    return [(f"{arg.name}={arg.example}", arg.description) for arg in spec.arguments if arg.example]
