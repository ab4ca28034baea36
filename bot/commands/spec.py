"""Commands declared once, as specs; each adapter turns them into its own registration."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Awaitable, Callable, TYPE_CHECKING

from paperboy.bot.models import Invocation
from paperboy.bot.replies import Reply

if TYPE_CHECKING:
    from paperboy.bot.commands.dispatch import Core

Handler = Callable[["Core", Invocation], Awaitable[Reply]]


@dataclass(frozen=True)
class Argument:
    name: str
    description: str
    required: bool = True
    # What an adapter may offer while the user types: "titles" (paper titles),
    # "subscriptions" (the caller's own), "timezones", or None.
    autocomplete: str | None = None
    kind: str = "text"  # "text" | "integer" | "boolean"
    max_length: int = 500


@dataclass(frozen=True)
class CommandSpec:
    name: str
    description: str
    handler: Handler
    arguments: tuple[Argument, ...] = ()
    subcommands: tuple["CommandSpec", ...] = ()
    needs_configure: bool = False  # only callers allowed to configure the channel
    may_be_slow: bool = False  # may ask the paper sources: adapters defer their answer first
    ephemeral: bool = False  # answer only to the caller where the platform can
    short_name: str | None = None  # e.g. "sub" for `/paper sub ...` on Slack
    usage: str = ""
    examples: tuple[str, ...] = field(default_factory=tuple)

    def subcommand(self, name: str) -> "CommandSpec | None":
        for sub in self.subcommands:
            if sub.name == name or sub.short_name == name:
                return sub
        return None
