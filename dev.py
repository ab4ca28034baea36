#!/usr/bin/env python3
"""Set up and run paperboy from a clean clone with nothing but Python 3.11+.

    python3 dev.py run     # install into .venv if needed, then `paperboy run`
    python3 dev.py test    # install (with test tools) into .venv if needed, then the test suite
    python3 dev.py lint    # the same, then ruff over the whole tree

Anything after the first word goes to paperboy or to pytest. PAPERBOY_EXTRAS adds optional extras
to the install, e.g. PAPERBOY_EXTRAS=semantic (CI does: the semantic tests skip without it).
"""
from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("PAPERBOY_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def ensure_installed(extras: str) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py runs on whatever python3 is, and says when it is too old
        sys.exit(f"paperboy needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not PYTHON.exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    stamp = VENV / ".paperboy-installed"
    if stamp.exists() and stamp.read_text() == wanted:
        return
    print("installing paperboy and its dependencies", flush=True)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
    target = f"{ROOT}[{extras}]" if extras else str(ROOT)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "-e", target], check=True)
    stamp.write_text(wanted)


def test_extras() -> str:
    """"test", plus the extras PAPERBOY_EXTRAS names (comma-separated)."""
    wanted = ["test", *(e.strip() for e in os.environ.get("PAPERBOY_EXTRAS", "").split(","))]
    return ",".join(dict.fromkeys(e for e in wanted if e))


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("run", "test", "lint", "paperboy"):
        print(__doc__.strip())
        return 2
    word, rest = argv[0], argv[1:]
    if word == "test":
        ensure_installed(test_extras())
        return subprocess.call([str(PYTHON), "-m", "pytest", *rest], cwd=ROOT)
    if word == "lint":
        ensure_installed(test_extras())
        return subprocess.call([str(BIN / "ruff"), "check", *rest, "."], cwd=ROOT)
    ensure_installed(test_extras() if (VENV / ".paperboy-installed").exists() else "")
    command = ["run", *rest] if word == "run" else rest
    return run_in_foreground([str(BIN / "paperboy"), *command])


def run_in_foreground(command: list[str]) -> int:
    """Runs paperboy and returns its exit status. Ctrl-C reaches paperboy from the terminal itself
    (it stops cleanly, and at once on a second one), so this process ignores it rather than kill
    paperboy mid-send; a SIGTERM sent here is passed on."""
    child = subprocess.Popen(command)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN), signal.signal(
        signal.SIGTERM, lambda signum, frame: child.send_signal(signum))
    try:
        status = child.wait()
    finally:
        signal.signal(signal.SIGINT, previous[0])
        signal.signal(signal.SIGTERM, previous[1])
    return 128 - status if status < 0 else status


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
