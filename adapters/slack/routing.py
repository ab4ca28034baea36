"""`/paper <words>` on Slack, routed to the core's command specs.

Slack apps get one slash command; the others become its first word (`/paper sub ...`), and the words
come from the specs themselves (name or short_name), so a new spec needs no change here."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from paperboy.bot.commands.spec import CommandSpec

SLASH_COMMAND = "/paper"
LOOKUP = "paper"  # the spec that answers `/paper <anything else>`


@dataclass(frozen=True)
class Route:
    spec: CommandSpec
    args: str
    subcommand: CommandSpec | None = None

    @property
    def may_need_rights(self) -> bool:
        """Whether answering may depend on the caller being allowed to configure the channel."""
        if self.subcommand is not None:
            return self.subcommand.needs_configure
        if self.spec.needs_configure:
            return True
        # A bare `digest` shows the list; anything more may be a configuration.
        return bool(self.args.strip()) and any(sub.needs_configure for sub in self.spec.subcommands)

    @property
    def ephemeral(self) -> bool:
        return self.spec.ephemeral or bool(self.subcommand and self.subcommand.ephemeral)


class SlashRouter:
    def __init__(self, specs: Iterable[CommandSpec]):
        self.specs = tuple(specs)
        self.lookup = next(spec for spec in self.specs if spec.name == LOOKUP)
        self._words: dict[str, CommandSpec] = {}
        for spec in self.specs:
            if spec is self.lookup:
                continue
            self._words[spec.name] = spec
            if spec.short_name:
                self._words[spec.short_name] = spec
        names = sorted((s.name for s in self.specs if s is not self.lookup), key=len, reverse=True)
        self._command_reference = re.compile(
            rf"(?<![\w/.:-])/({'|'.join(map(re.escape, names))})(?![\w-])") if names else None

    def route(self, text: str) -> Route:
        """The spec for `/paper <text>`; anything that is not a command word is a paper lookup."""
        text = " ".join((text or "").split())
        head, _, rest = text.partition(" ")
        spec = self._words.get(head.lower())
        # A command that takes no words followed by words is a title: "/paper help me find ...",
        # "/paper subscriptions are all you need".
        if spec is None or (rest and not spec.arguments and not spec.subcommands):
            return Route(self.lookup, text)
        sub = None
        if spec.subcommands:
            word = rest.partition(" ")[0].lower()
            sub = spec.subcommand(word) if word else None
        return Route(spec, rest, sub)

    def slack_words(self, spec: CommandSpec) -> str:
        """How a spec is typed on Slack: `/paper`, `/paper sub`, `/paper digest`."""
        if spec is self.lookup:
            return SLASH_COMMAND
        return f"{SLASH_COMMAND} {spec.short_name or spec.name}"

    def translate(self, text: str) -> str:
        """Core replies name commands as other platforms type them (/unsubscribe 3); on Slack those
        are `/paper unsub 3`."""
        if not self._command_reference:
            return text
        return self._command_reference.sub(lambda m: self.slack_words(self._words[m.group(1)]), text)

    def usage(self, spec: CommandSpec) -> str:
        return self.translate(spec.usage or f"/{spec.name}")

    def usage_hint(self) -> str:
        """The short hint Slack shows while typing /paper (manifest `usage_hint`)."""
        words = [spec.short_name or spec.name for spec in self.specs if spec is not self.lookup]
        return f"<id, link or title> | {' | '.join(words)}"
