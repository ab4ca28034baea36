"""A platform event as plain data: what was asked, by whom, where, with what rights."""
from __future__ import annotations

from dataclasses import dataclass, field

from paperboy.bot.syntax import SLASH, Syntax


@dataclass(frozen=True)
class Place:
    """Where an invocation happened."""
    platform: str  # "console", "discord", "slack"
    workspace: str = ""  # guild id / team id
    channel: str = ""  # channel id ("" for a DM with no channel)
    thread: str | None = None
    is_dm: bool = False
    alerts_reach: str | None = None  # how alerts reach a subscriber here, where a platform has one way for all


@dataclass(frozen=True)
class Invocation:
    command: str
    args: str
    user: str
    place: Place
    can_configure: bool = False
    options: dict = field(default_factory=dict)  # named arguments, from platforms with structured commands
    syntax: Syntax = SLASH  # how the caller types commands: replies name them that way
