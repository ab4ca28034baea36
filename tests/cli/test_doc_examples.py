"""Every command the README and docs/ show is run here, against a small library, and gives what the
docs say it gives.

- Chat commands (`/paper LoRA`, Slack's `/paper sub diffusion`, Discord's `/paper query: ...`) are
  read as their platform reads them (the file, or the heading or table column they stand under,
  says which) and dispatched by the real core. A table row "`/paper x` | card: Title" or "| list,
  first: Title" and a terminal transcript followed by a card say what the answer must be; any
  other example must not answer with an error.
- `paperboy ...` lines run as a user runs them, in a shell, and must exit 0 without a traceback;
  `paperboy run` is started, found healthy and stopped; `paperboy health` runs beside it.
- A usage form (`<query>`, `[--date D]`, `FILE`, `...`) is not an example; a bare command name
  (`/paper trend` in a sentence) is a reference to it. An example that needs the network says
  "(online)" after it in the doc (or `# online` in a code block) and is skipped by name.
"""
from __future__ import annotations

import argparse
import contextlib
import gzip
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_world import LOCAL_FIXTURES

from paperboy import arguments
from paperboy.bot.clock import FakeClock
from paperboy.bot.commands.dispatch import build_core
from paperboy.bot.commands.handlers import PAPER_WORDS
from paperboy.bot.commands.invocation import Invocation, Place
from paperboy.bot.commands.typed import TypedCommands
from paperboy.bot.delivery.ingest import import_file
from paperboy.bot.replies import Card, Error, PaperList
from paperboy.bot.search import semantic
from paperboy.storage.sqlite import SQLiteStore

REPO = Path(__file__).resolve().parents[2]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
LIBRARY = [LOCAL_FIXTURES / "docs_library.jsonl", LOCAL_FIXTURES / "hf_daily_papers_2026-11-24.json"]
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # the day of the fixture's daily list
SPECS = build_core(SQLiteStore(memory=True)).specs
COMMAND_WORDS = {name for spec in SPECS for name in (spec.name, spec.short_name) if name} | {"quit"}
PATH_WORDS = COMMAND_WORDS | {sub.name for spec in SPECS for sub in spec.subcommands} | set(PAPER_WORDS) \
    | {sub.short_name for spec in SPECS for sub in spec.subcommands if sub.short_name}
SEMANTIC_COMMANDS = ("paperboy embed", "paperboy model fetch")
CLI_COMMANDS = set(next(a for a in arguments.parser()._actions if isinstance(a, argparse._SubParsersAction)).choices)


@dataclass(frozen=True)
class Example:
    text: str
    where: str  # file:line
    platform: str = "terminal"  # or "slack", "discord"
    expected: str | None = None  # "card: Title", "list, first: Title", "list"
    online: bool = False

    @property
    def is_cli(self) -> bool:
        return self.text.startswith("paperboy ")


def platform_named(text: str) -> str | None:
    lowered = text.lower()
    return "slack" if "slack" in lowered else "discord" if "discord" in lowered else None


def usage_form(text: str, cli: bool) -> bool:
    if any(mark in text for mark in ("<", "[", "...", "…")):
        return True
    if cli and re.search(r"\b[A-Z][A-Z_]*\b", text.replace("PAPERBOY_", "")):  # FILE, PATH_OR_URL, N
        return True
    if cli and re.search(r"\s--[\w-]+$", text):  # an option named, its value left out
        return True
    return bool(re.search(r"\b\w+:\s*(?=\w+:\s|$)", text)) and " " in text  # Discord's `id:` with no value


def bare_reference(text: str) -> bool:
    """`/paper`, `/paper trend`, `/digest config`, `paperboy import`: naming a command, not running it."""
    if text.startswith("paperboy "):
        words = text.split()[1:]
        if len(words) != 1:
            return False
        try:
            with contextlib.redirect_stderr(io.StringIO()):
                arguments.parser().parse_args(words)
        except SystemExit:  # the command needs arguments: the text names it
            return True
        return False
    return all(word.lower() in PATH_WORDS for word in text.lstrip("/").split())


def command_of(text: str, *, transcript: bool = False) -> str | None:
    """The example a text is, if any: a `paperboy` line or a paperboy chat command. A line typed in a
    transcript is one even when it is a command's bare name."""
    text = " ".join(text.strip().split())
    text = re.sub(r"^(\$ )?(\.venv/bin/)?(?=paperboy )", "", text)
    if text.startswith("paperboy "):
        if text.split()[1] not in CLI_COMMANDS:
            return None
        return None if usage_form(text, cli=True) or bare_reference(text) else text
    if text.startswith("/") and text[1:].split(" ")[0].lower() in COMMAND_WORDS:
        return None if usage_form(text, cli=False) or (bare_reference(text) and not transcript) else text
    return None


def platform_beside(line: str, start: int, end: int) -> str | None:
    """"Slack's `/paper sub x`", "`/paper unsub 3` on Slack": the platform a sentence gives an example of."""
    before = re.search(r"(Slack|Discord)\b[^`]{0,18}$", line[max(0, start - 30):start])
    after = re.match(r"\s+on (Slack|Discord)\b", line[end:])
    named = before or after
    return named.group(1).lower() if named else None


def examples_in(path: Path) -> list[Example]:
    found: list[Example] = []
    lines = path.read_text().splitlines()
    fixed = platform_named(path.name)
    context: str | None = None
    in_code = False
    columns: list[str | None] = []
    for number, line in enumerate(lines):
        where = f"{path.relative_to(REPO)}:{number + 1}"
        if line.startswith("```"):
            in_code = not in_code
            continue
        platform = fixed or context or "terminal"
        if in_code:
            body, _, comment = line.partition("  #")
            if body.startswith("paperboy> "):
                text = command_of(body[len("paperboy> "):], transcript=True)
                box = [ln for ln in lines[number + 1:number + 3]]
                expected = None
                if len(box) == 2 and box[0].startswith("╭") and box[1].startswith("│"):
                    expected = "card: " + box[1].strip("│ ").strip()
                if text:
                    found.append(Example(text, where, platform, expected))
            elif (text := command_of(body)) is not None:
                found.append(Example(text, where, platform, online="online" in comment))
            continue
        if line.startswith("#") or re.match(r"^\*\*[^*]+\*\*", line):
            context = platform_named(line) if not line.startswith("#") or not fixed else None
            columns = []
        if line.startswith("|"):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
            following = lines[number + 1] if number + 1 < len(lines) else ""
            if following.startswith("| ---"):
                columns = [platform_named(cell) for cell in cells]
                continue
            for index, cell in enumerate(cells):
                column = columns[index] if index < len(columns) else None
                answer = cells[index + 1] if index + 1 < len(cells) else ""
                expected = answer if re.match(r"^(card: |list\b)", answer) else None
                for span in re.findall(r"`([^`]+)`", cell):
                    if (text := command_of(span)) is not None:
                        found.append(Example(text, where, fixed or column or platform, expected))
            continue
        for match in re.finditer(r"`([^`]+)`", line):
            if (text := command_of(match.group(1))) is not None:
                online = line[match.end():].lstrip().startswith("(online")
                beside = platform_beside(line, match.start(), match.end())
                found.append(Example(text, where, fixed or beside or platform, online=online))
    return found


def all_examples() -> list[Example]:
    seen: dict[tuple[str, str], Example] = {}
    for path in DOCS:
        for example in examples_in(path):
            key = (example.platform, example.text)
            if key not in seen or (example.expected and not seen[key].expected):
                seen[key] = example
    return list(seen.values())


EXAMPLES = all_examples()
CHAT = [e for e in EXAMPLES if not e.is_cli]
CLI = [e for e in EXAMPLES if e.is_cli]


def test_the_docs_show_examples_of_every_kind():
    assert len(CHAT) >= 25 and len(CLI) >= 10
    assert {e.platform for e in CHAT} == {"terminal", "slack", "discord"}
    assert sum(1 for e in CHAT if e.expected and e.expected.startswith("card: ")) >= 8
    assert any(e.online for e in CLI)


def test_every_file_the_docs_name_exists():
    for path in DOCS:
        for named in re.findall(r"`((?:tests|bench|deploy|docs|adapters|bot|storage|paperboy)/[\w/.-]+\.\w+)`",
                                path.read_text()):
            made_from = REPO / f"{named}.example"  # deploy/paperboy.env: the user's copy of its example
            assert (REPO / named).exists() or made_from.exists(), f"{path.name} names {named}, which does not exist"


# ---- chat commands ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def core():
    store = SQLiteStore(memory=True)
    for path in LIBRARY:
        import_file(store, path, NOW)
    yield build_core(store, clock=FakeClock(NOW))
    store.close()


def invocation(example: Example) -> Invocation:
    if example.platform == "slack":
        assert example.text.startswith("/paper"), f"{example.where}: Slack has one command, /paper"
        typed = TypedCommands(SPECS, umbrella="paper")
        return typed.read(example.text[len("/paper"):], user="U1", place=Place("slack", "T1", "C1"),
                          can_configure=True)
    if example.platform == "discord" and re.search(r"\b\w+: \S", example.text):
        command, *sub = re.split(r"\s(?=\w+: )", example.text, maxsplit=1)[0].lstrip("/").split()
        spec = next(s for s in SPECS if s.name == command)
        declared = spec.subcommand(sub[0]) if sub else spec
        options = {}
        for name, value in re.findall(r"(\w+): (.+?)(?=\s\w+: |$)", example.text):
            arg = next(a for a in declared.arguments if a.name == name)
            options[name] = int(value) if arg.kind == "integer" else value == "True" if arg.kind == "boolean" else value
        return Invocation(command, " ".join(sub), "1", Place("discord", "1", "2"), can_configure=True,
                          options=options)
    return TypedCommands(SPECS).read(example.text, user="you", place=Place("console", "local", "terminal"),
                                     can_configure=True)


@pytest.mark.parametrize("example", CHAT, ids=lambda e: f"{e.platform} {e.text[:60]}")
async def test_a_chat_example_gives_what_the_docs_say(core, example):
    reply = await core.dispatch(invocation(example))
    assert not isinstance(reply, Error), f"{example.where}: {example.text} answered {reply.text!r}"
    if example.expected is None:
        return
    kind, _, title = example.expected.partition(": ")
    got = f"{type(reply).__name__}: {shown_papers(reply)}"
    if kind == "card":
        assert isinstance(reply, Card) and reply.paper.title == title, f"{example.where}: {example.text} gave {got}"
    else:
        assert isinstance(reply, PaperList), f"{example.where}: {example.text} gave {got}"
        if kind == "list, first":
            assert reply.items[0].paper.title == title, f"{example.where}: {example.text} gave {got}"


def shown_papers(reply) -> list[str]:
    if isinstance(reply, Card):
        return [reply.paper.title]
    return [item.paper.title for item in getattr(reply, "items", ())][:3]


# ---- the command line ------------------------------------------------------------------------

@pytest.fixture
def shell(tmp_path):
    """A folder with the files the docs import, a library, and `paperboy` on the PATH."""
    work, home, bin_dir = tmp_path / "work", tmp_path / "home", tmp_path / "bin"
    for folder in (work, home, bin_dir):
        folder.mkdir()
    shutil.copy(LOCAL_FIXTURES / "papers_small.jsonl", work / "papers.jsonl")
    (work / "papers.jsonl.gz").write_bytes(gzip.compress((LOCAL_FIXTURES / "papers_small.jsonl").read_bytes()))
    with zipfile.ZipFile(work / "arxiv.zip", "w") as archive:
        archive.write(LOCAL_FIXTURES / "arxiv_snapshot_sample.json", "arxiv-metadata-oai-snapshot.json")
    (bin_dir / "paperboy").write_text(f'#!/bin/sh\nexec {sys.executable} -m paperboy.cli "$@"\n')
    (bin_dir / "paperboy").chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAPERBOY_", "DISCORD_", "SLACK_"))}
    env.update(PATH=f"{bin_dir}:{env.get('PATH', '')}", HOME=str(home), XDG_DATA_HOME=str(home / "data"),
               XDG_CACHE_HOME=str(home / "cache"), PAPERBOY_DB=str(tmp_path / "library.db"), PAPERBOY_OFFLINE="1",
               PAPERBOY_LOOKUP_WORKERS="0", COLUMNS="120")
    for path in LIBRARY:
        done = subprocess.run(["paperboy", "import", str(path)], env=env, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
    return work, env


def run(command: str, work: Path, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(["sh", "-c", command], cwd=work, env=env, input=stdin, capture_output=True, text=True,
                          timeout=120)


def healthy(work: Path, env: dict[str, str]) -> bool:
    return run("paperboy health", work, env).returncode == 0


@pytest.mark.parametrize("example", CLI, ids=lambda e: e.text[:70])
def test_a_command_line_example_runs(shell, example):
    work, env = shell
    if example.online:
        pytest.skip(f"needs the network, as {example.where} says: {example.text}")
    if example.text.startswith(SEMANTIC_COMMANDS) and not semantic.available():
        pytest.skip(f"needs the semantic extra: {example.text}")
    if example.text.startswith(("paperboy run", "paperboy health")):
        bot = subprocess.Popen(["paperboy", "run"], cwd=work, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 60
            while not healthy(work, env):
                assert bot.poll() is None and time.monotonic() < deadline, "paperboy run did not become healthy"
                time.sleep(0.3)
            if example.text.startswith("paperboy health"):
                done = run(example.text, work, env)
                assert done.returncode == 0, f"{example.where}: {done.stdout}{done.stderr}"
            bot.send_signal(signal.SIGTERM)
            _, errors = bot.communicate(timeout=30)
        finally:
            bot.kill()
        assert bot.returncode == 0 and "Traceback" not in errors, errors
        return
    done = run(example.text, work, env, stdin="/help\n")
    assert done.returncode == 0, f"{example.where}: {example.text} exited {done.returncode}: {done.stderr}"
    assert "Traceback" not in done.stderr
