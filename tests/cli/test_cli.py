"""The paperboy command line, run as a user runs it, against a Hugging Face served on loopback."""
from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from cli_world import LOCAL_FIXTURES, FakeHuggingFace, in_a_terminal, paperboy, read_until, rest_of
from no_network import unresolvable


def test_ingest_then_digest_then_ask(env):
    ingested = paperboy(["ingest", "hf", "--date", "2026-11-24"], env)
    assert ingested.returncode == 0, ingested.stderr
    assert "12 papers" in ingested.stdout

    digest = paperboy(["digest", "--date", "2026-11-24"], env)
    assert digest.returncode == 0, digest.stderr
    out = digest.stdout
    # The day's list, ranked by upvotes: 2607.19592 (180) before 2607.19865 (134) before 2607.18975 (96).
    first, second, third = (out.index(t) for t in ("Knowledge-Centric Self-Improvement", "DocOps",
                                                   "Mi-Memory"))
    assert first < second < third

    # "Knowlege-Centric Self-Improvment": two typos.
    asked = paperboy(["ask", "--json", "/paper Knowlege-Centric Self-Improvment"], env)
    assert asked.returncode == 0, asked.stderr
    reply = json.loads(asked.stdout)
    assert reply["kind"] == "card"
    assert reply["results"][0]["id"] == "2607.19592"
    assert reply["results"][0]["url"] == "https://arxiv.org/abs/2607.19592"


def test_ask_reads_many_commands_from_stdin_in_one_process(env):
    assert paperboy(["ingest", "hf", "--date", "2026-11-24"], env).returncode == 0
    lines = "/paper 2607.19865\n/help\n\n/paper \"NEAR(\n/subscribe author:\"unclosed\n"
    asked = paperboy(["ask", "--json", "-"], env, stdin=lines)
    assert asked.returncode == 1, asked.stderr  # the last line's answer is an error
    replies = [json.loads(line) for line in asked.stdout.splitlines()]
    assert [r["kind"] for r in replies][:2] == ["card", "notice"]
    assert replies[0]["results"][0]["id"] == "2607.19865"
    assert len(replies) == 4
    assert replies[3]["kind"] == "error" and "quote" in replies[3]["text"]


def test_import_twice_adds_nothing(env, tmp_path):
    path = tmp_path / "papers.jsonl.gz"
    rows = [{"id": f"2501.0000{i}", "title": f"Paper number {i}", "abstract": "An abstract.",
             "authors": ["A. Author"], "published": f"2025-01-0{i + 1}", "categories": ["cs.LG"]}
            for i in range(5)]
    with gzip.open(path, "wt") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")
        f.write("{not json\n")
    first = paperboy(["import", str(path)], env)
    assert first.returncode == 0, first.stderr
    assert "new 5" in first.stdout and "skipped 1" in first.stdout
    second = paperboy(["import", str(path)], env)
    assert "new 0" in second.stdout
    stats = paperboy(["stats"], env)
    assert "papers" in stats.stdout and " 5" in stats.stdout


@pytest.mark.parametrize("args,message", [
    (["import", "/nonexistent/file.jsonl"], "no such file"),
    (["digest", "--date", "24/11/2026"], "--date"),
    (["ingest", "hf", "--date", "yesterday"], "--date"),
])
def test_user_mistakes_get_one_line_and_exit_2(env, args, message):
    result = paperboy(args, env)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unreadable_file_and_bad_base_url_are_one_line_each(env, tmp_path):
    garbage = tmp_path / "papers.jsonl.xz"
    garbage.write_bytes(b"\xfd7zXZ\x00 not really xz")
    result = paperboy(["import", str(garbage)], env)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    bad = paperboy(["ask", "/paper x"], dict(env, PAPERBOY_HF_BASE_URL="ftp://mirror"))
    assert bad.returncode == 2 and "PAPERBOY_HF_BASE_URL" in bad.stderr and "Traceback" not in bad.stderr


def test_import_raises_no_alerts(env, tmp_path):
    sub = paperboy(["ask", "/subscribe paper number"], env)
    assert sub.returncode == 0, sub.stderr
    path = tmp_path / "papers.jsonl"
    path.write_text(json.dumps({"id": "2501.00009", "title": "Paper number nine", "abstract": "x"}) + "\n")
    assert paperboy(["import", str(path)], env).returncode == 0
    stats = dict(line.split(None, 1) for line in paperboy(["stats"], env).stdout.splitlines())
    assert stats["subscriptions"] == "1" and stats["papers"] == "1"
    assert stats["deliveries_pending"] == "0"


def test_source_down_is_reported_not_a_traceback(env):
    env = dict(env, PAPERBOY_HF_BASE_URL="http://127.0.0.1:9")  # nothing listens on the discard port
    result = paperboy(["ingest", "hf", "--date", "2026-11-24"], env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "source" in result.stderr


def test_ingest_without_a_network_fails_at_once_and_says_what_was_not_fetched_in_one_line(env):
    hf_host, arxiv_host, oai_host = (unresolvable(n) for n in ("huggingface", "export.arxiv", "oaipmh.arxiv"))
    env = dict(env, PAPERBOY_HF_BASE_URL=f"http://{hf_host}", PAPERBOY_ARXIV_BASE_URL=f"http://{arxiv_host}",
               PAPERBOY_ARXIV_OAI_URL=f"http://{oai_host}/oai")
    said = {}
    for source, args in (("hf", ["hf", "--date", "2026-11-24", "--days", "7"]),
                         ("arxiv", ["arxiv", "--category", "cs.LG"]), ("oai", ["oai", "--set", "cs", "--set", "math"])):
        result = paperboy(["-v", "ingest", *args], env)  # -v: a retry would be logged
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert "retrying in" not in result.stderr  # one attempt, no backoff
        said[source] = [line for line in result.stderr.splitlines() if line.startswith("paperboy:")]
    assert said == {
        "hf": [f"paperboy: the source failed: hf: no network: could not resolve {hf_host}; 7 days not fetched"],
        "arxiv": [f"paperboy: the source failed: arxiv: no network: could not resolve {arxiv_host}"],
        "oai": [f"paperboy: the source failed: arxiv-oai: no network: could not resolve {oai_host}; "
                "2 sets not harvested"],
    }


def test_offline_mode_never_calls_the_sources(env, fake_hf):
    env = dict(env, PAPERBOY_OFFLINE="1")
    result = paperboy(["ask", "--json", "/paper 2607.19592"], env)
    assert FakeHuggingFace.requests == []
    assert json.loads(result.stdout)["kind"] in ("error", "notice")


def test_run_without_tokens_is_a_terminal_bot_that_ingests(env):
    env = {k: v for k, v in env.items() if k not in ("DISCORD_TOKEN", "SLACK_BOT_TOKEN")}
    # The fake only knows 2026-11-24 (not today), so load that day from the file first.
    assert paperboy(["import", str(LOCAL_FIXTURES / "hf_daily_papers_2026-11-24.json")], env).returncode == 0
    process, master = in_a_terminal(["-v", "run"], dict(env, COLUMNS="120"))  # -v: the INFO line saying so
    try:
        assert "running in the terminal" in read_until(master, "paperboy>")
        os.write(master, b"/help\n")
        read_until(master, "/subscribe")  # the help text
        os.write(master, b"/paper 2607.19592\n")
        read_until(master, "Knowledge-Centric Self-Improvement")
        os.write(master, b"/quit\n")
        assert process.wait(10) == 0
    finally:
        process.kill()
        os.close(master)


@pytest.mark.parametrize("command, sig", [("run", signal.SIGINT), ("run", signal.SIGTERM), ("chat", signal.SIGINT),
                                          ("chat", signal.SIGTERM)])
def test_the_first_ctrl_c_or_sigterm_stops_within_two_seconds_without_a_traceback(env, command, sig):
    env = dict(env, PAPERBOY_OFFLINE="1")
    process, master = in_a_terminal([command], env)
    try:
        read_until(master, "paperboy>")
        started = time.monotonic()
        process.send_signal(sig)
        code = process.wait(5)
        assert time.monotonic() - started < 2.0
        assert code in (0, 130)
        assert "Traceback" not in rest_of(master)
    finally:
        process.kill()
        os.close(master)


def test_ctrl_c_stops_within_two_seconds_while_the_first_ingest_retries_a_source_that_is_down(env):
    # Hugging Face answers 503: the first ingest (7 days of it) is retrying with backoff when the user stops.
    # (A source that cannot be reached at all is not retried: see the test of running without a network.)
    env = dict(env, PAPERBOY_HF_BASE_URL=env["PAPERBOY_HF_BASE_URL"] + "/down")
    process, master = in_a_terminal(["-v", "run"], env)
    try:
        read_until(master, "attempt 1 failed")  # the ingest is waiting to try again
        started = time.monotonic()
        process.send_signal(signal.SIGINT)
        code = process.wait(5)
        assert time.monotonic() - started < 2.0 and code in (0, 130)
        assert "Traceback" not in rest_of(master)
    finally:
        process.kill()
        os.close(master)


def test_run_without_a_network_says_so_in_one_line_per_ingest_round(env):
    env = dict(env, PAPERBOY_HF_BASE_URL=f"http://{unresolvable('huggingface')}", COLUMNS="300")  # lines unwrapped
    process, master = in_a_terminal(["run"], env)
    try:
        seen = read_until(master, "paperboy>")
        seen += read_until(master, "retrying in 30 min")  # the first round: the week the bot starts with
        os.write(master, b"/quit\n")
        assert process.wait(10) == 0
        seen += rest_of(master)
    finally:
        process.kill()
        os.close(master)
    said = [line for line in seen.splitlines() if "WARNING" in line]  # starting up is no warning either
    assert len(said) == 1, seen
    assert "Hugging Face unreachable (no network); 7 days not fetched; retrying in 30 min" in said[0]
    assert "ingest failed" not in seen  # the details are for -v


def test_without_a_terminal_run_keeps_running_headless_until_told_to_stop(env):
    env = dict(env, PAPERBOY_OFFLINE="1")
    process = subprocess.Popen([sys.executable, "-m", "paperboy.cli", "run"], env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(6)  # past the 5 s after which it used to end on its own
        assert process.poll() is None
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=5)
        assert time.monotonic() - started < 2.0 and process.returncode == 0
        assert errors.count("running headless") == 1 and "Traceback" not in errors
    finally:
        process.kill()


def test_a_token_quoted_by_a_failing_call_is_logged_as_its_name(env):
    token = "MTAxNz.leaked-into-a-proxy-path.x9"
    env = dict(env, DISCORD_TOKEN=token, PAPERBOY_HF_BASE_URL=f"http://127.0.0.1:9/{token}")
    result = paperboy(["-v", "ask", "/paper 2609.99999"], env)
    assert "<DISCORD_TOKEN>" in result.stderr  # the failure was logged, with the URL in it
    assert token not in result.stderr and token not in result.stdout


def test_a_source_failing_on_a_later_day_still_alerts_what_was_stored_before(env):
    assert paperboy(["ask", "/subscribe memory"], env).returncode == 0
    result = paperboy(["ingest", "hf", "--date", "2026-11-24", "--days", "5"], env)
    assert result.returncode == 1 and "2026-11-20" not in result.stdout  # the fifth day failed
    assert "2 subscription alerts queued" in result.stdout  # the 24th's two papers about memory
    stats = dict(line.split(None, 1) for line in paperboy(["stats"], env).stdout.splitlines())
    assert stats["deliveries_pending"] == "2"


@pytest.mark.parametrize("name, value", [("PAPERBOY_INGEST_INTERVAL", "abc"), ("PAPERBOY_INGEST_INTERVAL", "-5"),
                                         ("PAPERBOY_DELIVERY_LEASE", "nan"), ("PAPERBOY_SLACK_PORT", "eighty"),
                                         ("DISCORD_SHARD_COUNT", "zero")])
def test_a_setting_paperboy_cannot_use_is_one_line_naming_it_and_exit_2(env, name, value):
    env = dict(env, PAPERBOY_OFFLINE="1", **{name: value})
    if name.startswith("PAPERBOY_SLACK"):
        env.update(SLACK_BOT_TOKEN="xoxb-1-2", SLACK_SIGNING_SECRET="0123456789abcdef")
    if name.startswith("DISCORD"):
        env.update(DISCORD_TOKEN="abc.def.ghi")
    result = paperboy(["run"], env, stdin="")
    assert result.returncode == 2, result.stderr
    assert name in result.stderr and "Traceback" not in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.startswith("paperboy:")]) == 1


def test_db_is_taken_after_the_command_too_and_a_missing_folder_is_not_made(env, tmp_path):
    there = tmp_path / "elsewhere.db"
    stats = paperboy(["stats", "--db", str(there)], env)
    assert stats.returncode == 0, stats.stderr
    assert stats.stdout.splitlines()[0].split() == ["database", str(there)] and there.is_file()
    missing = tmp_path / "no" / "such" / "folder" / "x.db"
    refused = paperboy(["--db", str(missing), "stats"], env)
    assert refused.returncode == 2 and "no folder" in refused.stderr and not (tmp_path / "no").exists()


@pytest.mark.parametrize("days", ["0", "-3", "two"])
def test_days_must_be_one_or_more(env, days):
    result = paperboy(["ingest", "hf", "--days", days], env)
    assert result.returncode == 2 and "--days" in result.stderr
    assert FakeHuggingFace.requests == []  # refused before asking anyone


def test_an_unknown_arxiv_category_is_refused_with_the_closest_one(env):
    result = paperboy(["ingest", "arxiv", "--category", "cs.XL"], env)
    assert result.returncode == 2 and "did you mean cs.CL?" in result.stderr
