"""The command line's world: paperboy as a subprocess, in a pseudo-terminal or not, and a Hugging Face
served on loopback."""
from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

SHARED_FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"
LOCAL_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def fixture_bytes(name: str) -> bytes:
    for folder in (LOCAL_FIXTURES, SHARED_FIXTURES):
        if (folder / name).is_file():
            return (folder / name).read_bytes()
    pytest.skip(f"fixture {name} missing")


class FakeHuggingFace(BaseHTTPRequestHandler):
    """Serves the recorded daily_papers response for 2026-11-24 and nothing else, or, with
    `every_day`, for whatever day is asked (as a source answers a process whose clock is moved);
    under /down, 503s."""

    daily: bytes = b""
    requests: list[str] = []
    every_day = False

    def do_GET(self):  # noqa: N802 (http.server's naming)
        url = urlparse(self.path)
        self.requests.append(self.path)
        if url.path.startswith("/down/"):  # a Hugging Face that is there but failing
            self._reply(503, b'{"error":"Service Unavailable"}')
        elif url.path == "/api/daily_papers":
            day = parse_qs(url.query).get("date", [""])[0]
            if day == "2026-11-20":  # a day the source cannot serve
                self._reply(500, b'{"error":"Internal Server Error"}')
                return
            body = self.daily if day == "2026-11-24" or self.every_day else b"[]"
            self._reply(200, body)
        else:
            self._reply(404, b'{"error":"Not Found"}')

    def _reply(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def paperboy(args: list[str], env: dict[str, str], stdin: str | None = None,
             cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "paperboy.cli", *args], env=env, input=stdin, cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def in_a_terminal(args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen, int]:
    """paperboy with a pseudo-terminal for its standard input and output, as a person runs it."""
    master, slave = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "paperboy.cli", *args], env=env, stdin=slave, stdout=slave,
                               stderr=slave, close_fds=True)
    os.close(slave)
    return process, master


def read_until(master: int, text: str, timeout: float = 30.0) -> str:
    seen = b""
    deadline = time.monotonic() + timeout
    while text.encode() not in seen:
        assert time.monotonic() < deadline, f"{text!r} not seen; the terminal showed: {seen.decode(errors='replace')}"
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                seen += os.read(master, 65536)
            except OSError:  # the process closed the terminal
                break
    return seen.decode(errors="replace")


def rest_of(master: int) -> str:
    try:
        return read_until(master, "\0never\0", timeout=0.5)
    except AssertionError as exc:
        return str(exc)
