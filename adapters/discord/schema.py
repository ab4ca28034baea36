"""Application commands from the core's specs, and interaction data back into plain values."""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from paperboy.adapters.discord import limits
from paperboy.adapters.discord.text import trim_words
from paperboy.bot.commands.spec import Argument, CommandSpec

CHAT_INPUT = 1
SUB_COMMAND = 1
STRING, INTEGER, BOOLEAN = 3, 4, 5
_OPTION_TYPES = {"text": STRING, "integer": INTEGER, "boolean": BOOLEAN}
# Where commands may be used: servers and DMs with the bot (installed to a server).
CONTEXTS = (0, 1)
INTEGRATION_TYPES = (0,)
MANAGE_CHANNELS = 1 << 4  # the permission a spec's needs_configure asks for
_NAME = re.compile(r"[^-_\w]", re.UNICODE)


def command_name(name: str) -> str:
    """Discord command and option names: lower case, no spaces, 1-32 characters."""
    cleaned = _NAME.sub("_", name.strip().lower())[:32]
    if not cleaned:
        raise ValueError(f"cannot make a Discord command name from {name!r}")
    return cleaned


def description(text: str) -> str:
    return trim_words(" ".join(text.split()) or "-", limits.COMMAND_DESCRIPTION)


def option_payload(arg: Argument) -> dict[str, Any]:
    kind = _OPTION_TYPES.get(arg.kind)
    if kind is None:
        raise ValueError(f"argument {arg.name!r} has kind {arg.kind!r}, which Discord commands cannot take")
    option: dict[str, Any] = {"type": kind, "name": command_name(arg.name),
                              "description": description(arg.description), "required": bool(arg.required)}
    if kind == STRING:
        option["max_length"] = max(1, min(arg.max_length, limits.OPTION_MAX_LENGTH))
        if arg.autocomplete:
            option["autocomplete"] = True
    return option


def _options(arguments: Iterable[Argument]) -> list[dict[str, Any]]:
    # Discord requires every required option to come before the optional ones.
    built = [option_payload(a) for a in arguments]
    return [o for o in built if o["required"]] + [o for o in built if not o["required"]]


def command_payload(spec: CommandSpec) -> dict[str, Any]:
    if spec.subcommands and spec.arguments:
        raise ValueError(f"/{spec.name}: Discord commands have either subcommands or options, not both")
    if spec.subcommands:
        options = [{"type": SUB_COMMAND, "name": command_name(sub.name), "description": description(sub.description),
                    "options": _options(sub.arguments)} for sub in spec.subcommands]
    else:
        options = _options(spec.arguments)
    payload = {"type": CHAT_INPUT, "name": command_name(spec.name), "description": description(spec.description),
               "options": options, "contexts": list(CONTEXTS), "integration_types": list(INTEGRATION_TYPES),
               "nsfw": False}
    # Discord hides a command from members without the permission; it can only do so for a whole
    # command, so a command with public subcommands (/digest show) relies on the core's check.
    if spec.needs_configure:
        payload["default_member_permissions"] = str(MANAGE_CHANNELS)
    return payload


def command_payloads(specs: Iterable[CommandSpec]) -> list[dict[str, Any]]:
    return [command_payload(spec) for spec in specs]


def _comparable_option(option: dict[str, Any]) -> tuple:
    return (option.get("type"), option.get("name"), option.get("description"), bool(option.get("required")),
            bool(option.get("autocomplete")), option.get("max_length"),
            tuple(_comparable_option(o) for o in option.get("options") or ()))


def _comparable(command: dict[str, Any]) -> tuple:
    return (command.get("type", CHAT_INPUT), command.get("name"), command.get("description"),
            tuple(_comparable_option(o) for o in command.get("options") or ()),
            tuple(command.get("contexts") or ()), bool(command.get("nsfw")),
            command.get("default_member_permissions"))


def same_commands(registered: list[dict[str, Any]], wanted: list[dict[str, Any]]) -> bool:
    """True when what Discord has already matches what the specs declare (no sync needed)."""
    return sorted(map(_comparable, registered)) == sorted(map(_comparable, wanted))


# ---- reading an interaction ------------------------------------------------------------------

@dataclass(frozen=True)
class CommandCall:
    """What the user sent: the command, its subcommand, option values, the focused option."""
    name: str
    subcommand: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    focused: str | None = None  # the option being typed, for autocomplete


def read_command(data: dict[str, Any]) -> CommandCall:
    name = str(data.get("name") or "")
    options = data.get("options") or []
    subcommand = None
    if options and options[0].get("type") == SUB_COMMAND:
        subcommand = str(options[0].get("name"))
        options = options[0].get("options") or []
    values: dict[str, Any] = {}
    focused = None
    for option in options:
        values[str(option.get("name"))] = option.get("value")
        if option.get("focused"):
            focused = str(option.get("name"))
    return CommandCall(name, subcommand, values, focused)


def spec_for(specs: Iterable[CommandSpec], call: CommandCall) -> tuple[CommandSpec | None, CommandSpec | None]:
    """(the command's spec, the subcommand's spec if any) for an interaction's command."""
    for spec in specs:
        if command_name(spec.name) == call.name:
            if call.subcommand is None:
                return spec, None
            for sub in spec.subcommands:
                if command_name(sub.name) == call.subcommand:
                    return spec, sub
            return spec, None
    return None, None


def argument_for(spec: CommandSpec, option_name: str) -> Argument | None:
    for arg in spec.arguments:
        if command_name(arg.name) == option_name:
            return arg
    return None
