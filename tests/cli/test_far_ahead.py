"""paperboy with its clock moved years ahead (Debian's faketime): what depends on "today" asks for the
moved today and shows it, so no test or code path is tied to the dates the fixtures carry."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date

import pytest
from cli_world import FakeHuggingFace

# A start time, from which the clock runs on (a stopped clock would hold up every wait); absolute, so
# that it is the same when this test itself runs under a moved clock.
MOVED_TO = date(2031, 6, 15)


@pytest.fixture
def faketime() -> str:
    found = shutil.which("faketime")
    if found is None:
        if os.environ.get("PAPERBOY_REQUIRE_FAKETIME"):
            pytest.fail("faketime is required here (.ci/run installs Debian's faketime package)")
        pytest.skip("faketime is not installed (Debian's faketime package)")
    return found


def moved(faketime: str, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([faketime, "-f", f"@{MOVED_TO} 12:00:00", sys.executable, "-m", "paperboy.cli", *args],
                          env=env, capture_output=True, text=True, timeout=120)


def test_today_is_the_moved_today_from_ingest_to_the_daily_list(faketime, env):
    FakeHuggingFace.every_day = True
    ingested = moved(faketime, ["ingest", "hf"], env)
    assert ingested.returncode == 0, ingested.stderr
    [asked] = [path.split("date=")[1][:10] for path in FakeHuggingFace.requests if "daily_papers?date=" in path]
    today = date.fromisoformat(asked)
    assert today == MOVED_TO
    assert f"{today}: 12 papers" in ingested.stdout

    digest = moved(faketime, ["digest"], env)
    assert digest.returncode == 0, digest.stdout + digest.stderr
    assert "Knowledge-Centric Self-Improvement" in digest.stdout
    assert f"Trending papers — {today:%a} {today.day} {today:%b %Y}" in digest.stdout

    shown = moved(faketime, ["ask", "--json", "/digest"], env)
    reply = json.loads(shown.stdout)
    assert reply["found"] and "2607.19592" in [r["id"] for r in reply["results"]]
