"""The README's first command, `python3 dev.py run`, stopped with Ctrl-C typed in its terminal."""
from __future__ import annotations

import fcntl
import importlib.util
import os
import pty
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
from cli_world import read_until, rest_of

REPO = Path(__file__).resolve().parents[2]


def in_its_own_terminal(args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen, int]:
    """A process group with the pseudo-terminal as its controlling terminal: Ctrl-C typed there
    (\\x03) is turned into SIGINT for every process in it, as in a real shell."""
    master, slave = pty.openpty()

    def take_the_terminal() -> None:
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)

    process = subprocess.Popen(args, env=env, stdin=slave, stdout=slave, stderr=slave, close_fds=True,
                               preexec_fn=take_the_terminal, cwd=REPO)
    os.close(slave)
    return process, master


@pytest.mark.skipif(not (REPO / ".venv" / ".paperboy-installed").exists(), reason="dev.py has not installed .venv")
def test_dev_py_run_stops_on_ctrl_c_within_two_seconds(env):
    env = dict(env, PAPERBOY_OFFLINE="1", PAPERBOY_VENV=str(REPO / ".venv"))
    process, master = in_its_own_terminal([sys.executable, "dev.py", "run"], env)
    try:
        read_until(master, "paperboy>", timeout=60)
        started = time.monotonic()
        os.write(master, b"\x03")  # Ctrl-C, typed
        code = process.wait(5)
        assert time.monotonic() - started < 2.0 and code in (0, 130)
        assert "Traceback" not in rest_of(master)
    finally:
        process.kill()
        os.close(master)


def load_dev_script():
    spec = importlib.util.spec_from_file_location("dev_script", REPO / "dev.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_an_install_is_made_once_and_a_later_command_adds_only_a_missing_extra():
    dev = load_dev_script()
    tested = {"project": "p1", "extras": ["semantic", "test"]}
    assert dev.extras_to_install(tested, "p1", set()) is None  # run after test: nothing to install
    assert dev.extras_to_install(tested, "p1", {"test"}) is None
    assert dev.extras_to_install({"project": "p1", "extras": []}, "p1", {"test"}) == ["test"]
    assert dev.extras_to_install({"project": "p1", "extras": ["test"]}, "p1", {"semantic"}) == ["semantic", "test"]
    assert dev.extras_to_install(tested, "p2", {"test"}) == ["test"]  # pyproject.toml changed: install again
    assert dev.extras_to_install({}, "p1", set()) == []  # never installed


@pytest.mark.skipif(not (REPO / ".venv" / ".paperboy-installed").exists(), reason="dev.py has not installed .venv")
def test_dev_py_run_after_dev_py_test_installs_nothing(env):
    stamp = REPO / ".venv" / ".paperboy-installed"
    before = stamp.read_text()
    env = dict(env, PAPERBOY_VENV=str(REPO / ".venv"))  # and no PAPERBOY_EXTRAS: `env` has none
    done = subprocess.run([sys.executable, "dev.py", "paperboy", "stats", "--help"], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "installing" not in done.stdout + done.stderr and done.stdout.startswith("usage: paperboy stats")
    assert stamp.read_text() == before
