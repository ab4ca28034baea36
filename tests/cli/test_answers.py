"""What the command line answers, and with which exit status: found, not found, a mistake; with the
paper sources up, down or switched off; on a fresh install."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from cli_world import LOCAL_FIXTURES, FakeHuggingFace, paperboy
from no_network import UNRESOLVABLE

DAILY_FILE = LOCAL_FIXTURES / "hf_daily_papers_2026-11-24.json"
NOBODY = "http://127.0.0.1:9"  # nothing listens on the discard port: a source that cannot be reached


@pytest.fixture
def stocked(env):
    """A database holding the twelve papers of 2026-11-24."""
    assert paperboy(["import", str(DAILY_FILE)], env).returncode == 0
    return env


@pytest.fixture
def unreachable(stocked):
    return dict(stocked, PAPERBOY_HF_BASE_URL=NOBODY, PAPERBOY_ARXIV_BASE_URL=NOBODY)


@pytest.mark.parametrize("line, status, kind", [
    ("/paper 2607.19592", 0, "card"),  # a paper
    ("/paper memory", 0, "list"),  # a list of close ones
    ("/help", 0, "notice"),  # an answer that is not about papers
    ("/paper zqxjv wubbalubba", 1, "notice"),  # nothing matched
    ("/paper", 1, "error"),  # a chat command's own error
    ("/papr 2607.19592", 1, "error"),  # no such chat command
])
def test_the_exit_status_says_answer_no_match_or_error_alike_with_and_without_json(stocked, line, status, kind):
    plain = paperboy(["ask", line], stocked)
    as_json = paperboy(["ask", "--json", line], stocked)
    assert (plain.returncode, as_json.returncode) == (status, status), plain.stderr + as_json.stderr
    reply = json.loads(as_json.stdout)
    assert reply["kind"] == kind and reply["found"] is (status == 0)
    assert plain.stdout.strip() and "Traceback" not in plain.stderr + as_json.stderr


@pytest.mark.parametrize("args", [["ask", ""], ["ask", "   "], ["ask", "--json", ""], ["ask", "--bogus", "/help"],
                                  ["ask"]])
def test_an_empty_command_or_unknown_option_is_a_usage_mistake(stocked, args):
    result = paperboy(args, stocked)
    assert result.returncode == 2 and result.stdout == ""
    assert "usage" in result.stderr or "ask needs a command" in result.stderr


def test_ask_reading_lines_exits_1_when_any_answer_was_not_found(stocked):
    assert paperboy(["ask", "-"], stocked, stdin="/paper 2607.19592\n/help\n").returncode == 0
    assert paperboy(["ask", "-"], stocked, stdin="/paper 2607.19592\n/paper zqxjv wubbalubba\n").returncode == 1


def test_help_documents_the_exit_status():
    for args in (["--help"], ["ask", "--help"]):
        shown = paperboy(args, {"PATH": "/usr/bin:/bin", "COLUMNS": "100"}).stdout
        assert "exit status:" in shown and "1    ask: nothing matched" in shown and '"found"' in shown


def test_an_id_that_could_not_be_looked_up_is_not_called_missing(unreachable):
    result = paperboy(["ask", "--json", "/paper 2309.12288"], unreachable)
    reply = json.loads(result.stdout)
    assert result.returncode == 1 and reply["kind"] == "error" and reply["sources"] == "unreachable"
    assert "I couldn't look up arXiv:2309.12288" in reply["text"]
    assert "Hugging Face and arXiv" in reply["text"] and "local library of 12 papers only" in reply["text"]
    assert "Check the id" not in reply["text"]


def test_words_the_library_lacks_say_the_sources_were_not_searched(unreachable):
    result = paperboy(["ask", "--json", "/paper reversal curse"], unreachable)
    reply = json.loads(result.stdout)
    assert result.returncode == 1 and reply["found"] is False and reply["sources"] == "unreachable"
    assert "No paper found" in reply["text"] and "searched the local library of 12 papers only" in reply["text"]
    shown = paperboy(["ask", "/paper reversal curse"], unreachable).stdout
    assert "could not be reached" in shown or "did not answer in time" in shown


def test_an_empty_library_with_the_sources_off_says_both_in_one_sentence(env):
    result = paperboy(["ask", "--json", "/paper reversal curse"], {**env, "PAPERBOY_OFFLINE": "1"})
    reply = json.loads(result.stdout)
    assert reply["sources"] == "off"
    assert reply["text"].endswith("The paper sources are switched off here, and the local library holds no "
                                  "papers yet.")


def test_close_matches_found_locally_while_the_sources_are_down_say_so(unreachable):
    result = paperboy(["ask", "--json", "/paper memory agents"], unreachable)
    reply = json.loads(result.stdout)
    assert reply["kind"] == "list" and reply["sources"] == "unreachable" and reply["results"]
    assert "local library of 12 papers only" in reply["text"]


def test_without_a_network_the_first_lookup_says_so_and_the_next_ones_answer_without_asking(stocked):
    offline = dict(stocked, PAPERBOY_HF_BASE_URL=f"http://{UNRESOLVABLE}",
                   PAPERBOY_ARXIV_BASE_URL=f"http://{UNRESOLVABLE}")
    result = paperboy(["ask", "--json", "-"], offline, stdin="/paper reversal curse\n/paper memory agents\n")
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["sources"] == second["sources"] == "unreachable"
    assert "Hugging Face and arXiv could not be reached (no network); I searched the local library of 12 papers " \
           "only." in first["text"]
    assert "Hugging Face and arXiv were not asked: no network (retrying in 1 min); I searched the local library " \
           "of 12 papers only." in second["text"] and second["results"]
    assert result.stderr.count("no network: could not resolve") == 1  # logged when it happened, not each time


def test_sources_switched_off_are_named_as_such(stocked):
    result = paperboy(["ask", "--json", "/paper 2309.12288"], dict(stocked, PAPERBOY_OFFLINE="1"))
    reply = json.loads(result.stdout)
    assert reply["sources"] == "off" and "switched off" in reply["text"]
    assert FakeHuggingFace.requests == []


def test_an_answer_from_the_library_has_no_sources_field(unreachable):
    reply = json.loads(paperboy(["ask", "--json", "/paper 2607.19592"], unreachable).stdout)
    assert reply["kind"] == "card" and "sources" not in reply


def test_digest_without_a_list_says_which_is_missing_and_why(env):
    env = dict(env, PAPERBOY_HF_BASE_URL=NOBODY)
    before = paperboy(["ask", "/digest"], env)
    assert before.returncode == 1 and "has not fetched from Hugging Face yet" in " ".join(before.stdout.split())
    assert paperboy(["ingest", "hf"], env).returncode == 1
    after = paperboy(["ask", "/digest"], env)
    assert "no Hugging Face Daily Papers list" in " ".join(after.stdout.split())
    assert "no fetch from Hugging Face has succeeded yet; the last attempt" in " ".join(after.stdout.split())
    printed = paperboy(["digest"], env)
    assert printed.returncode == 1 and "failed: hf:" in printed.stdout, printed.stdout


def test_a_fresh_install_says_how_to_get_papers(env):
    stats = paperboy(["stats"], env)
    assert stats.returncode == 0 and "paperboy ingest hf --days 7" in stats.stderr
    assert "paperboy import FILE" in stats.stderr
    shown = " ".join(paperboy(["ask", "/help"], env).stdout.split())
    assert "no papers yet" in shown and "paperboy ingest hf --days 7" in shown
    assert paperboy(["import", str(DAILY_FILE)], env).returncode == 0
    assert "no papers yet" not in paperboy(["ask", "/help"], env).stdout
    assert "paperboy ingest hf" not in paperboy(["stats"], env).stderr


def test_run_starts_by_fetching_the_last_seven_days(env):
    process = subprocess.Popen([sys.executable, "-m", "paperboy.cli", "run"], env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(_days_asked()) < 7:
            time.sleep(0.2)
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)
    finally:
        process.kill()
    today = datetime.now(UTC).date()
    wanted = {(today - timedelta(days=back)).isoformat() for back in range(7)}
    assert _days_asked() >= wanted and len(_days_asked()) <= 8  # 8: the run may have crossed midnight


def _days_asked() -> set[str]:
    return {path.split("date=")[1][:10] for path in list(FakeHuggingFace.requests) if "daily_papers?date=" in path}
