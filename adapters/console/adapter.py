"""The terminal as a chat platform: type commands, see cards, receive deliveries."""
from __future__ import annotations

import asyncio
import errno
import hashlib
import logging
import os
import threading
from pathlib import Path

import platformdirs
from rich.console import Console, Group, RenderableType
from rich.text import Text

from paperboy.adapters.console.render import render
from paperboy.bot.adapter import SendResult
from paperboy.bot.commands.dispatch import Core
from paperboy.bot.commands.invocation import Invocation, Place
from paperboy.bot.commands.typed import TypedCommands
from paperboy.bot.models import Target
from paperboy.bot.replies import Chart, Document, Reply

PLACE = Place(platform="console", workspace="local", channel="terminal",
              alerts_reach="here in the terminal while `paperboy run` runs")
PROMPT = "paperboy> "


class ConsoleRaisingBrokenPipe(Console):
    """rich's Console, except that output whose reader has gone (paperboy ask ... | head -1) raises
    BrokenPipeError, as print() does, for the command line to stop as it does for all its output.
    rich's own way is to exit at once with status 1, which paperboy's exit status gives another meaning."""

    def on_broken_pipe(self) -> None:
        self.quiet = True  # nothing more is written on the way out
        raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))


class ConsoleAdapter:
    """Reads commands from the terminal and prints replies and deliveries."""

    platform = "console"

    def __init__(self, core: Core, console: Console | None = None, *, user: str = "you",
                 files_dir: Path | None = None):
        self.core = core
        # Where a chart's picture or a long export is written, since a terminal shows no files: the
        # user's own cache folder, never a shared one another local user could create first.
        self.files_dir = files_dir or files_folder()
        self.commands = TypedCommands(core.specs)
        self.syntax = self.commands.syntax
        self.console = console or ConsoleRaisingBrokenPipe()
        self.user = user
        self._sent = 0
        self.closed = asyncio.Event()
        self._prompting = False  # the prompt is on screen, waiting for a line
        self._screen = threading.Lock()  # one writer at a time: log lines come from any thread
        self._log_handler: logging.Handler | None = None
        self._diverted: list[logging.Handler] = []

    async def start(self) -> None:
        _typed_so_far()  # loads the line editor before the first prompt
        self._divert_logs()
        self.console.print(Text("paperboy: type /help, /paper <id or title>, or /quit.", style="dim"))

    def show(self, renderable: RenderableType) -> None:
        """Prints above the prompt: a waiting prompt is cleared first and drawn again after it, with
        what the user had typed so far, so nothing lands in the middle of a line being typed."""
        with self._screen:
            over_prompt = self._prompting and self.console.is_terminal
            if over_prompt:
                self.console.file.write("\r\x1b[2K")
            self.console.print(renderable)
            if over_prompt:
                self.console.file.write(PROMPT + _typed_so_far())
                self.console.file.flush()

    def _divert_logs(self) -> None:
        """Log lines for this terminal go through show(), with the formatter and filters (secrets
        redacted) of the handler they replace; stop() puts that handler back."""
        if not self.console.is_terminal:
            return
        root = logging.getLogger()
        self._diverted = [h for h in root.handlers if isinstance(h, logging.StreamHandler)
                          and getattr(h.stream, "isatty", lambda: False)()]
        if not self._diverted:
            return
        handler = _AbovePrompt(self)
        handler.setFormatter(self._diverted[0].formatter)
        handler.setLevel(self._diverted[0].level)
        for log_filter in self._diverted[0].filters:
            handler.addFilter(log_filter)
        for old in self._diverted:
            root.removeHandler(old)
        root.addHandler(handler)
        self._log_handler = handler

    async def send(self, target: Target, reply: Reply, *, delivery_key: str | None = None,
                   resend: bool = False) -> SendResult:
        where = f"@{target.user}" if target.mode == "dm" else f"#{target.channel}"
        self.show(Group(Text(f"── delivery to {where} ──", style="dim"), self.present(reply)))
        self._sent += 1
        return SendResult(external_id=f"console-{self._sent}")

    async def stop(self) -> None:
        self.closed.set()
        if self._log_handler is not None:
            root = logging.getLogger()
            root.removeHandler(self._log_handler)
            for handler in self._diverted:
                root.addHandler(handler)
            self._log_handler, self._diverted = None, []

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
        self.console.print(self.present(await self.core.dispatch(inv)))
        return True

    def present(self, reply: Reply) -> RenderableType:
        """The reply as the terminal shows it, its picture or long text written to a file first."""
        saved = self.saved_file(reply)
        return render(reply, str(saved) if saved else None)

    def saved_file(self, reply: Reply, *, every_attachment: bool = False) -> Path | None:
        """The file a reply's attachment is written to: a chart's picture, and an export of more than
        one BibTeX entry (one entry reads well printed), or of any size with `every_attachment` (for
        a script, which wants the file). None when the reply has none, or it could not be written."""
        if isinstance(reply, Chart):
            return self._keep(reply.image.filename, reply.image.data)
        if isinstance(reply, Document) and (every_attachment or reply.text.count("\n@") >= 1):
            return self._keep(reply.filename, reply.text.encode())
        return None

    def _keep(self, filename: str, data: bytes) -> Path | None:
        stem, dot, suffix = filename.rpartition(".")
        name = f"{stem or filename}-{hashlib.sha1(data).hexdigest()[:8]}{dot}{suffix if stem else ''}"
        try:
            self.files_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            path = self.files_dir / name
            path.write_bytes(data)
        except OSError as exc:
            logging.getLogger(__name__).warning("could not write %s: %s", name, exc)
            return None
        return path

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
            with self._screen:
                self._prompting = True
                self.console.file.write(PROMPT)
                self.console.file.flush()
            try:
                value, error = input(), None
            except BaseException as exc:  # EOF, a closed terminal: handed to the awaiting loop
                value, error = None, exc
            finally:
                self._prompting = False
            try:
                loop.call_soon_threadsafe(settle, value, error)
            except RuntimeError:  # the loop is gone: the process is ending
                pass

        threading.Thread(target=read, name="paperboy-terminal", daemon=True).start()
        return await line


def files_folder() -> Path:
    """The user's own folder for the files the terminal writes (charts, exports)."""
    return Path(platformdirs.user_cache_dir("paperboy")) / "files"


class _AbovePrompt(logging.Handler):
    def __init__(self, terminal: ConsoleAdapter):
        super().__init__()
        self.terminal = terminal

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.terminal.show(Text(self.format(record), style="dim"))
        except Exception:
            self.handleError(record)


def _typed_so_far() -> str:
    """What the user has typed on the prompt's line, where the terminal's line editor tells."""
    try:
        import readline  # input() edits lines with it (history, arrows) once it is imported
    except ImportError:  # no line editing here
        return ""
    return readline.get_line_buffer()
