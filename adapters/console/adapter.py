"""The terminal as a chat platform: type commands, see cards, receive deliveries."""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from rich.console import Console
from rich.text import Text

from paperboy.adapters.console.render import render
from paperboy.bot.adapter import SendResult
from paperboy.bot.models import Invocation, Place, Target
from paperboy.bot.replies import Reply

if TYPE_CHECKING:
    from paperboy.bot.commands.dispatch import Core

PLACE = Place(platform="console", workspace="local", channel="terminal")
PROMPT = "paperboy> "


def parse_command_line(line: str, user: str = "you", place: Place = PLACE) -> Invocation | None:
    """'/paper reversal curse' -> Invocation; the leading slash is optional. None for a blank line."""
    text = line.strip()
    if not text:
        return None
    head, _, rest = text.partition(" ")
    return Invocation(command=head.lstrip("/").lower(), args=rest.strip(), user=user, place=place,
                      can_configure=True)


class ConsoleAdapter:
    """Reads commands from the terminal and prints replies and deliveries."""

    platform = "console"

    def __init__(self, core: "Core", console: Console | None = None, *, user: str = "you"):
        self.core = core
        self.console = console or Console()
        self.user = user
        self._sent = 0
        self.closed = asyncio.Event()

    async def start(self) -> None:
        self.console.print(Text("paperboy: type /help, /paper <id or title>, or /quit.", style="dim"))

    async def send(self, target: Target, reply: Reply, *, delivery_key: str | None = None) -> SendResult:
        where = f"@{target.user}" if target.mode == "dm" else f"#{target.channel}"
        self.console.print(Text(f"── delivery to {where} ──", style="dim"))
        self.console.print(render(reply))
        self._sent += 1
        return SendResult(external_id=f"console-{self._sent}")

    async def stop(self) -> None:
        self.closed.set()

    async def handle_line(self, line: str) -> bool:
        """Runs one line; False when the user asked to leave."""
        inv = parse_command_line(line, self.user)
        if inv is None:
            return True
        if inv.command in ("quit", "exit", "q"):
            return False
        self.console.print(render(await self.core.dispatch(inv)))
        return True

    async def interact(self) -> None:
        """The read-eval-print loop; ends on /quit or end of input."""
        while not self.closed.is_set():
            try:
                # Reading a terminal line blocks; a worker thread keeps the event loop free for deliveries.
                line = await asyncio.to_thread(self.console.input, PROMPT)
            except (EOFError, KeyboardInterrupt):
                break
            if not await self.handle_line(line):
                break
        self.closed.set()
