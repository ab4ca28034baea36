"""How a platform's users type commands, so that a reply names a command the way it is typed there.

Replies are written for the place they go to: a handler uses its invocation's syntax, the
scheduler and the delivery worker the syntax of the adapter they deliver through.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# The most a command's words may run to, whatever the command: a title, a query, three queries to
# chart. Discord's client enforces it on every text option; the core on every other platform.
MAX_ARGUMENT_CHARS = 500


@dataclass(frozen=True)
class Syntax:
    """Every command its own slash command (`/subscribe diffusion`: the terminal, Discord), or,
    with an umbrella, every command a word under one slash command (`/paper sub diffusion`: Slack,
    where an app gets one command)."""
    umbrella: str | None = None  # the command whose slash command holds all the others
    words: Mapping[str, str] = field(default_factory=dict)  # command name -> its word under the umbrella

    def say(self, line: str) -> str:
        """A command line, written as its command's name and its arguments ("unsubscribe 3"), as
        users of this platform type it: "/unsubscribe 3", or "/paper unsub 3" under /paper."""
        line = line.strip()
        name, _, rest = line.partition(" ")
        if self.umbrella is None or name == self.umbrella:
            return f"/{line}"
        return " ".join(part for part in (f"/{self.umbrella}", self.words.get(name, name), rest) if part)


SLASH = Syntax()
