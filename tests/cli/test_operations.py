"""What an operator relies on: `paperboy health` for containers and systemd, JSON log lines, and log
lines that do not land in the middle of what a terminal user is typing."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from cli_world import in_a_terminal, paperboy, read_until, rest_of

from paperboy.bot.clock import iso
from paperboy.health import check
from paperboy.storage.sqlite import SQLiteStore

NOBODY = "http://127.0.0.1:9"


def health(env) -> subprocess.CompletedProcess:
    return paperboy(["health"], env)


def test_health_without_a_running_bot_fails_and_says_why(env):
    assert paperboy(["health", "--database"], env).returncode == 0
    result = health(env)
    assert result.returncode == 1 and "no paperboy run" in result.stderr


def test_health_follows_a_running_bot_from_start_to_stop(env):
    env = dict(env, PAPERBOY_OFFLINE="1")
    process = subprocess.Popen([sys.executable, "-m", "paperboy.cli", "run"], env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while (result := health(env)).returncode != 0:
            assert time.monotonic() < deadline, result.stderr
            time.sleep(0.3)
        assert "healthy" in result.stdout and f"pid {process.pid}" in result.stdout, result.stdout
        assert "none (headless)" in result.stdout
        process.send_signal(signal.SIGTERM)
        _, logged = process.communicate(timeout=10)
    finally:
        process.kill()
    after = health(env)
    # A clean stop removes its heartbeat.
    assert after.returncode == 1 and "no paperboy run" in after.stderr, (after.stdout, after.stderr, logged)


def beat(store: SQLiteStore, at: datetime, adapters: dict[str, bool], host: str = "box", pid: int = 42) -> None:
    store.set_state(f"heartbeat:{host}:{pid}", json.dumps({"host": host, "pid": pid, "at": iso(at),
                                                           "adapters": adapters}))


@pytest.mark.parametrize("age, adapters, healthy, said", [
    (5, {"discord": True, "slack": True}, True, "discord connected, slack connected"),
    (5, {"discord": True, "slack": False}, False, "slack not connected"),
    (300, {"discord": True}, False, "300s old"),
])
def test_health_needs_a_fresh_heartbeat_with_every_adapter_connected(age, adapters, healthy, said):
    store = SQLiteStore(memory=True)
    now = datetime(2026, 11, 29, 12, tzinfo=UTC)
    beat(store, now - timedelta(seconds=age), adapters)
    beat(store, now, {"discord": False}, host="another-machine")  # another host's bot is not this one
    ok, why = check(store, now, host="box")
    assert ok is healthy and said in why


def test_json_logs_are_one_object_per_line_with_their_fields(env):
    # Hugging Face answers 503: retried, each attempt logged at INFO (a source nobody listens at is not retried).
    env = dict(env, PAPERBOY_LOG_FORMAT="json", PAPERBOY_HF_BASE_URL=env["PAPERBOY_HF_BASE_URL"] + "/down")
    result = paperboy(["-v", "ingest", "hf"], env)
    logged = [line for line in result.stderr.splitlines() if line.startswith("{")]
    assert logged
    for line in logged:
        entry = json.loads(line)
        assert {"time", "level", "logger", "message"} <= entry.keys()
    assert any(json.loads(line)["level"] == "INFO" and "attempt 1 failed" in json.loads(line)["message"]
               for line in logged)


def test_an_unknown_log_format_is_a_setting_error(env):
    result = paperboy(["stats"], dict(env, PAPERBOY_LOG_FORMAT="xml"))
    assert result.returncode == 2 and "PAPERBOY_LOG_FORMAT" in result.stderr and "Traceback" not in result.stderr


def test_a_log_line_is_printed_above_the_prompt_and_what_was_typed_is_kept(env):
    # The ingest fails every second (nothing listens), so warnings arrive while the user types.
    env = dict(env, PAPERBOY_HF_BASE_URL=NOBODY, PAPERBOY_INGEST_INTERVAL="1", COLUMNS="200")
    process, master = in_a_terminal(["run"], env)
    try:
        shown = read_until(master, "paperboy>")
        os.write(master, b"/paper 2607")
        typed_at = -1
        # A warning may come before the typed text shows: the one that counts comes after it.
        while typed_at < 0 or (warning_at := shown.find("unreachable", typed_at)) < 0:
            shown += read_until(master, "unreachable", timeout=30)
            typed_at = shown.find("/paper 2607")
        while "paperboy> /paper 2607" not in shown[warning_at:]:  # the redraw may have come in the warning's read
            shown += read_until(master, "2607", timeout=10)
        line_start = shown.rfind("\n", typed_at, warning_at)
        assert "\r\x1b[2K" in shown[max(line_start, typed_at):warning_at]  # the prompt's line was cleared first
        assert "paperboy> /paper 2607" in shown[warning_at:]  # and drawn again with the typed text
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) in (0, 130)
        assert "Traceback" not in rest_of(master)
    finally:
        process.kill()
        os.close(master)
