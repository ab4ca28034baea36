"""The terminal as a chat platform: type commands, see cards, receive deliveries."""
from __future__ import annotations

import asyncio
import threading

from rich.console import Console
from rich.text import Text

from paperboy.adapters.console.render import render
from paperboy.bot.adapter import SendResult
from paperboy.bot.commands.dispatch import Core
from paperboy.bot.commands.invocation import Invocation, Place
from paperboy.bot.commands.typed import TypedCommands
from paperboy.bot.models import Target
from paperboy.bot.replies import Reply

PLACE = Place(platform="console", workspace="local", channel="terminal",
              alerts_reach="here in the terminal while `paperboy run` runs")
PROMPT = "paperboy> "


class ConsoleAdapter:
    """Reads commands from the terminal and prints replies and deliveries."""

    platform = "console"

    def __init__(self, core: Core, console: Console | None = None, *, user: str = "you"):
        self.core = core
        self.commands = TypedCommands(core.specs)
        self.syntax = self.commands.syntax
        self.console = console or Console()
        self.user = user
        self._sent = 0
        self.closed = asyncio.Event()

    async def start(self) -> None:
        self.console.print(Text("paperboy: type /help, /paper <id or title>, or /quit.", style="dim"))

    async def send(self, target: Target, reply: Reply, *, delivery_key: str | None = None,
                   resend: bool = False) -> SendResult:
        where = f"@{target.user}" if target.mode == "dm" else f"#{target.channel}"
        self.console.print(Text(f"── delivery to {where} ──", style="dim"))
        self.console.print(render(reply))
        self._sent += 1
        return SendResult(external_id=f"console-{self._sent}")

    async def stop(self) -> None:
        self.closed.set()

    def read(self, line: str) -> Invocation | None:
        """A typed line ("/paper reversal curse"; the slash is optional) as an invocation by the
        terminal's user, who may configure everything; None for a blank line."""
        return self.commands.read(line, user=self.user, place=PLACE, can_configure=True)

    async def handle_line(self, line: str) -> bool:
        """Runs one line; False when the user asked to leave."""
        inv = self.read(line)
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
                line = await self._read_line()
            except (EOFError, KeyboardInterrupt):
                break
            if not await self.handle_line(line):
                break
        self.closed.set()

    async def _read_line(self) -> str:
        """One line from the terminal. Reading blocks, so it is done on a thread of its own, which
        keeps the event loop free for deliveries; a daemon thread, so that a stop while it waits
        for the user neither hangs the exit nor ends it in a traceback."""
        loop = asyncio.get_running_loop()
        line: asyncio.Future[str] = loop.create_future()

        def settle(value: str | None, error: BaseException | None) -> None:
            if not line.done():
                line.set_exception(error) if error is not None else line.set_result(value or "")

        def read() -> None:
            try:
                value, error = self.console.input(PROMPT), None
            except BaseException as exc:  # EOF, a closed terminal: handed to the awaiting loop
                value, error = None, exc
            try:
                loop.call_soon_threadsafe(settle, value, error)
            except RuntimeError:  # the loop is gone: the process is ending
                pass

        threading.Thread(target=read, name="paperboy-terminal", daemon=True).start()
        return await line
