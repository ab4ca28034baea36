#!/usr/bin/env python3
"""Set up and run paperboy from a clean clone with nothing but Python 3.11+.

    python3 dev.py run     # install into .venv if needed, then `paperboy run`
    python3 dev.py test    # install (with test tools) into .venv if needed, then the test suite
    python3 dev.py lint    # the same, then ruff over the whole tree

Anything after the first word goes to paperboy or to pytest. PAPERBOY_EXTRAS adds optional extras
to the install, e.g. PAPERBOY_EXTRAS=semantic (CI does: the semantic tests skip without it). The
install is made once: a later command reuses it, and installs only an extra it lacks.
"""
from __future__ import annotations

import hashlib
import json
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
STAMP = VENV / ".paperboy-installed"


def ensure_installed(needed: set[str]) -> None:
    """Installs paperboy into .venv with the extras `needed`, unless the recorded install already has
    them for this pyproject.toml. Extras installed before are kept, so `test` then `run` (or `run`
    with PAPERBOY_EXTRAS then `test` without) installs nothing the second time."""
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py runs on whatever python3 is, and says when it is too old
        sys.exit(f"paperboy needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    fresh = not PYTHON.exists()
    if fresh:
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    extras = extras_to_install(recorded_install(), project_hash(), needed)
    if extras is None:
        return
    print("installing paperboy and its dependencies" + (f" (extras: {', '.join(extras)})" if extras else ""),
          flush=True)
    if fresh:
        subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
    target = f"{ROOT}[{','.join(extras)}]" if extras else str(ROOT)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "-e", target], check=True)
    STAMP.write_text(json.dumps({"project": project_hash(), "extras": extras}))


def project_hash() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def recorded_install() -> dict:
    """What the last install recorded: the pyproject.toml it installed and its extras ({} if none)."""
    try:
        recorded = json.loads(STAMP.read_text())
    except (OSError, ValueError):  # never installed, or a stamp from an older dev.py
        return {}
    return recorded if isinstance(recorded, dict) else {}


def extras_to_install(recorded: dict, project: str, needed: set[str]) -> list[str] | None:
    """None when the recorded install is of this pyproject.toml and has every extra needed; else the
    extras to install: those needed and, when the project is unchanged, those installed before."""
    if recorded.get("project") == project:
        have = set(recorded.get("extras") or ())
        return None if needed <= have else sorted(have | needed)
    return sorted(needed)


def wanted_extras(word: str) -> set[str]:
    """The extras a command needs: the test tools for test and lint, and those PAPERBOY_EXTRAS names
    (comma-separated)."""
    named = {e.strip() for e in os.environ.get("PAPERBOY_EXTRAS", "").split(",") if e.strip()}
    return named | ({"test"} if word in ("test", "lint") else set())


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("run", "test", "lint", "paperboy"):
        print(__doc__.strip())
        return 2
    word, rest = argv[0], argv[1:]
    ensure_installed(wanted_extras(word))
    if word == "test":
        return subprocess.call([str(PYTHON), "-m", "pytest", *rest], cwd=ROOT)
    if word == "lint":
        return subprocess.call([str(BIN / "ruff"), "check", *rest, "."], cwd=ROOT)
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
