"""Commands typed as text, parsed by the specs in one place for every text platform: a line in the
terminal (`/subscribe diffusion`), Slack's one slash command (`/paper sub diffusion`), the words
of a mention.

With an umbrella command, the other commands are its first word (their name or short name) and
anything else is an argument of the umbrella itself, so a new spec needs no change here."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from paperboy.bot.commands.invocation import Invocation, Place
from paperboy.bot.commands.spec import CommandSpec
from paperboy.bot.ids import find_paper_links
from paperboy.bot.syntax import Syntax

LOOKUP = "paper"  # the command that answers `/paper <anything that is not a command word>`


@dataclass(frozen=True)
class Route:
    command: str  # the spec's name, or the unknown word typed
    args: str
    spec: CommandSpec | None = None
    subcommand: CommandSpec | None = None

    @property
    def may_need_rights(self) -> bool:
        """Whether answering may depend on the caller being allowed to configure the channel."""
        if self.spec is None:
            return False
        if self.subcommand is not None:
            return self.subcommand.needs_configure
        if self.spec.needs_configure:
            return True
        # A bare `digest` shows the list; anything more may be a configuration.
        return bool(self.args.strip()) and any(sub.needs_configure for sub in self.spec.subcommands)

    @property
    def ephemeral(self) -> bool:
        return bool(self.spec and self.spec.ephemeral) or bool(self.subcommand and self.subcommand.ephemeral)


class TypedCommands:
    def __init__(self, specs: Iterable[CommandSpec], *, umbrella: str | None = None):
        self.specs = tuple(specs)
        self.lookup = next(spec for spec in self.specs if spec.name == LOOKUP)
        self._by_word: dict[str, CommandSpec] = {}
        for spec in self.specs:
            self._by_word[spec.name] = spec
            if spec.short_name:
                self._by_word[spec.short_name] = spec
        words = {spec.name: spec.short_name or spec.name for spec in self.specs} if umbrella else {}
        self.syntax = Syntax(umbrella, words)

    def route(self, text: str) -> Route | None:
        """The command a typed text asks for; None for blank text. Without an umbrella the text
        starts with the command (the slash is optional); with one, it is what follows it."""
        text = " ".join((text or "").split())
        if self.syntax.umbrella is None:
            if not text:
                return None
            head, _, rest = text.partition(" ")
            name = head.lstrip("/").lower()
            spec = self._by_word.get(name)
            return Route(spec.name if spec else name, rest, spec, self._subcommand(spec, rest))
        head, _, rest = text.partition(" ")
        spec = self._by_word.get(head.lower())
        # A command that takes no words followed by words is a title: "/paper help me find ...",
        # "/paper subscriptions are all you need".
        if spec is None or spec is self.lookup or (rest and not spec.arguments and not spec.subcommands):
            return Route(self.lookup.name, text, self.lookup)
        return Route(spec.name, rest, spec, self._subcommand(spec, rest))

    def lookup_route(self, text: str) -> Route:
        """What a mention or a shared link asks for: the first paper link in the text, else all of
        its words, looked up."""
        text = " ".join((text or "").split())
        links = find_paper_links(text)
        return Route(self.lookup.name, links[0] if links else text, self.lookup)

    @staticmethod
    def _subcommand(spec: CommandSpec | None, rest: str) -> CommandSpec | None:
        if spec is None or not spec.subcommands:
            return None
        word = rest.partition(" ")[0].lower()
        return spec.subcommand(word) if word else None

    def invocation(self, route: Route, *, user: str, place: Place, can_configure: bool = False) -> Invocation:
        return Invocation(command=route.command, args=route.args, user=user, place=place,
                          can_configure=can_configure, syntax=self.syntax)

    def read(self, text: str, *, user: str, place: Place, can_configure: bool = False) -> Invocation | None:
        """route() and invocation() in one step; None for blank text."""
        route = self.route(text)
        if route is None:
            return None
        return self.invocation(route, user=user, place=place, can_configure=can_configure)
