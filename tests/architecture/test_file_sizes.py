"""Files stay small enough to hold in the head: none of the project's Python files (source, tests,
benchmarks) grows past 500 lines; one that does is split by what it owns."""
from __future__ import annotations

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MOST_LINES = 500


def project_python_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "*.py"], cwd=REPO, capture_output=True, text=True)
    if listed.returncode == 0 and listed.stdout.strip():
        return [REPO / name for name in listed.stdout.split()]
    skip = {".venv", ".git", "build"}
    return [p for p in REPO.rglob("*.py") if not skip.intersection(p.relative_to(REPO).parts)]


def test_no_python_file_is_over_500_lines():
    files = [p for p in project_python_files() if p.exists()]
    assert len(files) > 100
    too_long = {str(p.relative_to(REPO)): n for p in files
                if (n := len(p.read_text(encoding="utf-8").splitlines())) > MOST_LINES}
    assert too_long == {}
