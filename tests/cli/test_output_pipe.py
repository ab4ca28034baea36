"""paperboy with its output piped into a reader that stops reading early (paperboy stats | head -1): it stops
quietly, with exit status 141 (128 + SIGPIPE, what a shell reports for commands that SIGPIPE stopped), and
without a traceback or Python's "Exception ignored"."""
from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from cli_world import LOCAL_FIXTURES, paperboy
from damaged_files import paper_lines

from paperboy.bot.search.saved_titles import SAVE_FROM

READER_GONE = 141
DAILY_FILE = LOCAL_FIXTURES / "hf_daily_papers_2026-11-24.json"


@pytest.fixture
def stocked(env):
    """A database holding the papers of 2026-11-24; output to a pipe buffered, as it is by default."""
    values = {k: v for k, v in env.items() if k != "PYTHONUNBUFFERED"}
    assert paperboy(["import", str(DAILY_FILE)], values).returncode == 0
    return values


@pytest.fixture(params=["buffered", "unbuffered"])
def stocked_either_way(request, stocked):
    """Output to a pipe is buffered unless PYTHONUNBUFFERED is set: a reader that has gone shows at a
    different moment in each case (at the first write, or at the last flush)."""
    return dict(stocked, PYTHONUNBUFFERED="1") if request.param == "unbuffered" else stocked


def with_no_reader(args: list[str], env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess:
    """paperboy with its standard output a pipe whose reader has gone before anything was written."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run([sys.executable, "-m", "paperboy.cli", *args], env=env, input=stdin, stdout=write_end,
                              stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write_end)


def stopped_quietly(result: subprocess.CompletedProcess | tuple[int, str]) -> bool:
    status, errors = (result.returncode, result.stderr) if isinstance(result, subprocess.CompletedProcess) else result
    assert "Traceback" not in errors and "Exception ignored" not in errors, errors
    return status == READER_GONE


@pytest.mark.parametrize("args", [
    ["stats"],
    ["--help"],
    [],  # no command: the help
    ["import", "--help"],
    ["ingest", "hf", "--help"],
    ["ask", "/help"],
    ["ask", "--json", "/paper 2607.19592"],
    ["digest", "--date", "2026-11-24"],  # a list, printed by rich
    ["digest", "--date", "2020-01-01"],  # no list, said by print
    ["health", "--database"],
    ["import", str(DAILY_FILE)],
    ["ingest", "hf", "--date", "2026-11-24"],
])
def test_every_command_stops_quietly_when_its_reader_has_gone(stocked_either_way, args):
    assert stopped_quietly(with_no_reader(args, stocked_either_way))


@pytest.mark.parametrize("args", [["ask", "-"], ["ask", "--json", "-"], ["chat"]])
def test_commands_reading_standard_input_stop_quietly_when_their_reader_has_gone(stocked_either_way, args):
    assert stopped_quietly(with_no_reader(args, stocked_either_way, stdin="/paper 2607.19592\n/help\n"))


def test_migrate_db_stops_quietly_when_its_reader_has_gone_and_the_copy_is_whole(stocked, tmp_path):
    copy = tmp_path / "copy.db"
    assert stopped_quietly(with_no_reader(["migrate-db", "--from", stocked["PAPERBOY_DB"], "--to", str(copy)], stocked))
    assert "papers" in paperboy(["stats", "--db", str(copy)], stocked).stdout
    assert paperboy(["ask", "--json", "/paper 2607.19592", "--db", str(copy)],
                    dict(stocked, PAPERBOY_OFFLINE="1")).returncode == 0


def test_an_import_whose_reader_has_gone_still_saves_the_title_index(stocked, tmp_path):
    path = tmp_path / "many.jsonl"
    path.write_bytes(b"".join(paper_lines(SAVE_FROM)))
    unbuffered = dict(stocked, PYTHONUNBUFFERED="1")  # so that the first line printed meets the closed pipe
    assert stopped_quietly(with_no_reader(["import", str(path)], unbuffered))
    assert Path(stocked["PAPERBOY_DB"] + ".titles").is_file()  # the next start opens it instead of building it


@pytest.mark.parametrize("json_output", [False, True])
def test_ask_streaming_many_answers_stops_quietly_when_its_reader_stops_after_one_byte(stocked, tmp_path, json_output):
    commands = tmp_path / "commands.txt"
    commands.write_text("/paper 2607.19592\n" * 2000)  # answers far beyond what a pipe holds
    read_end, write_end = os.pipe()
    with commands.open() as stdin:
        process = subprocess.Popen([sys.executable, "-m", "paperboy.cli", "ask", *(["--json"] if json_output else []), "-"],
                                   env=dict(stocked, PAPERBOY_OFFLINE="1"), stdin=stdin, stdout=write_end,
                                   stderr=subprocess.PIPE, text=True)
    os.close(write_end)
    try:
        assert os.read(read_end, 1)
    finally:
        os.close(read_end)  # as head -c 1 does
    _, errors = process.communicate(timeout=120)
    assert stopped_quietly((process.returncode, errors))


def test_run_in_a_terminal_whose_output_goes_to_a_reader_that_has_gone_stops_quietly(stocked):
    terminal, its_side = pty.openpty()  # a terminal to type in, so that run is the terminal bot
    read_end, write_end = os.pipe()
    os.close(read_end)
    process = subprocess.Popen([sys.executable, "-m", "paperboy.cli", "run"], env=dict(stocked, PAPERBOY_OFFLINE="1"),
                               stdin=its_side, stdout=write_end, stderr=subprocess.PIPE, text=True)
    os.close(its_side)
    os.close(write_end)
    try:
        _, errors = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(terminal)
    assert stopped_quietly((process.returncode, errors))


def test_help_documents_the_exit_status_of_a_reader_gone():
    shown = paperboy(["--help"], {"PATH": "/usr/bin:/bin", "COLUMNS": "100"}).stdout
    assert "141  stopped because the reader of the output went away" in shown

