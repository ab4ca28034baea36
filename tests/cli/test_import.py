"""`paperboy import` as a user meets it: the format in its help, what it says about lines it skipped
and fields it left out, a saved daily list, and its progress bar on a terminal."""
from __future__ import annotations

import json
import lzma
import time

import pytest
from cli_world import LOCAL_FIXTURES, in_a_terminal, paperboy, read_until, rest_of

MESSY = [
    {"id": "2401.00001", "title": "Alpha paper", "authors": "Alice Smith, Bob Jones and Carol White",
     "published": "yesterday", "doi": "10.1/x"},
    {"arxiv_id": "2401.00002", "title": "Beta paper", "published": "2024-01-02", "doi": "10.1/y", "upvotes": "many"},
    {"title": "Gamma paper", "categories": "cs.LG cs.AI", "doi": "z"},
    "not json",
    {"title": ""},
    {"id": "bogus", "title": "x"},
    {"id": 5, "title": "y"},
    {"title": 7},
    {"id": "2401.00003"},
]


def write_lines(path, records) -> None:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))


def test_the_help_shows_the_format_with_an_example_line(env):
    shown = paperboy(["import", "--help"], env).stdout
    for field in ("id", "title", "abstract", "authors", "published", "categories", "upvotes", "venue"):
        assert f"\n    {field} " in shown
    example = next(line for line in shown.splitlines() if line.strip().startswith('{"id"'))
    assert json.loads(example.strip() + next(line for line in shown.splitlines()
                                             if line.strip().startswith('"published"')).strip())


def test_skipped_lines_and_left_out_fields_are_reported_with_line_numbers(env, tmp_path):
    path = tmp_path / "messy.jsonl"
    write_lines(path, MESSY)
    result = paperboy(["import", str(path)], env)
    assert result.returncode == 0
    assert "new 3" in result.stdout and "skipped 6" in result.stdout and "6 fields noted" in result.stdout
    errors = result.stderr.splitlines()
    assert sum(line.startswith("  skipped: line") for line in errors) == 5
    assert "  and 1 more skipped" in errors
    assert '  noted: line 1: published is "yesterday", not a date (YYYY-MM-DD): left out' in errors
    assert "  noted: line 2: upvotes is \"many\", not a count (a whole number, 0 or more): left out" in errors
    assert "  noted: doi is not a field paperboy knows: ignored (lines 1, 2, 3)" in errors
    assert "  noted: arxiv_id read as id (line 2)" in errors
    card = paperboy(["ask", "--json", "/paper 2401.00001"], dict(env, PAPERBOY_OFFLINE="1"))
    assert json.loads(card.stdout)["results"][0]["title"] == "Alpha paper"
    shown = paperboy(["ask", "/paper Alpha paper"], dict(env, PAPERBOY_OFFLINE="1")).stdout
    assert "Alice Smith, Bob Jones, Carol White" in shown


def test_a_field_wrong_on_every_line_is_one_line_of_the_report(env, tmp_path):
    path = tmp_path / "many.jsonl.xz"
    with lzma.open(path, "wt") as out:
        for n in range(1, 3001):
            out.write(json.dumps({"id": f"2402.{n:05d}", "title": f"Paper {n}", "url": f"https://x/{n}",
                                  "published": "soon" if n % 2 else "2024-02-01"}) + "\n")
    result = paperboy(["import", str(path)], env)
    noted = [line for line in result.stderr.splitlines() if line.startswith("  noted:")]
    assert "  noted: url is not a field paperboy knows: ignored (lines 1, 2, 3 and 2,997 more)" in noted
    assert noted[-1] == "  noted: and 1,480 more"  # 1,500 bad dates: 20 shown with their lines
    assert len(noted) == 22


def test_a_saved_daily_papers_response_records_its_daily_list(env):
    offline = dict(env, PAPERBOY_OFFLINE="1")
    result = paperboy(["import", str(LOCAL_FIXTURES / "hf_daily_papers_2026-11-24.json")], offline)
    assert "daily list of 2026-11-24 recorded" in result.stdout
    digest = paperboy(["digest", "--date", "2026-11-24"], offline)
    assert digest.returncode == 0 and "Knowledge-Centric Self-Improvement" in digest.stdout


def test_on_a_terminal_import_shows_progress_with_rate_and_time_left(env, tmp_path):
    path = tmp_path / "big.jsonl"
    write_lines(path, [{"id": f"2403.{n:05d}", "title": f"A paper about topic {n}", "abstract": "words " * 40}
                       for n in range(1, 40001)])
    process, master = in_a_terminal(["import", str(path)], dict(env, COLUMNS="120"))
    try:
        shown = read_until(master, "papers/s)", timeout=60) + rest_of(master)
        assert process.wait(10) == 0
    finally:
        process.kill()
    assert "importing" in shown and "/s" in shown and "ETA" in shown and "100%" in shown
    assert "new 40,000" in shown


def test_without_a_terminal_import_prints_only_the_summary(env, tmp_path):
    path = tmp_path / "small.jsonl"
    write_lines(path, [{"id": "2403.00001", "title": "One paper"}])
    result = paperboy(["import", str(path)], env)
    assert result.stdout.startswith("read 1, new 1") and len(result.stdout.splitlines()) == 1
    assert "importing" not in result.stdout + result.stderr and "\r" not in result.stdout + result.stderr


def test_ctrl_c_stops_a_large_import_and_says_what_is_kept(env, tmp_path):
    import os
    import pty
    import signal
    import sqlite3
    import subprocess
    import sys

    # 40 MB: large enough to be read in a second process, which Ctrl-C reaches too.
    path = tmp_path / "large.jsonl"
    write_lines(path, ({"id": f"2401.{n:05d}", "title": f"Paper number {n}", "abstract": "words of an abstract " * 30}
                       for n in range(64_000)))
    assert path.stat().st_size > 32 * 1024 * 1024
    master, slave = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "paperboy.cli", "import", str(path)], env=env, stdin=slave,
                               stdout=slave, stderr=slave, close_fds=True, start_new_session=True)
    os.close(slave)
    def stored() -> int:
        try:
            return sqlite3.connect(env["PAPERBOY_DB"]).execute("SELECT count(*) FROM papers").fetchone()[0]
        except sqlite3.OperationalError:  # not created yet
            return 0

    try:
        # Papers are being stored: the Ctrl-C comes in the middle (watched in the database, not on the
        # progress bar, whose redraws wait on a timer that a moved clock (faketime) holds up).
        deadline = time.monotonic() + 60
        while stored() == 0:
            assert time.monotonic() < deadline and process.poll() is None, "no paper was stored"
            time.sleep(0.02)
        os.killpg(process.pid, signal.SIGINT)  # a terminal's Ctrl-C goes to the whole foreground group
        shown = read_until(master, "again adds the rest", timeout=20) + rest_of(master)
        assert process.wait(20) == 130
        with pytest.raises(ProcessLookupError):  # the file reader is gone with it
            for _ in range(50):
                os.killpg(process.pid, 0)
                time.sleep(0.1)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        os.close(master)
    assert "Traceback" not in shown
    kept = sqlite3.connect(env["PAPERBOY_DB"]).execute("SELECT count(*) FROM papers").fetchone()[0]
    assert 0 < kept < 64_000 and f"the {kept:,} papers stored are kept" in shown


def test_an_import_mines_the_names_of_the_papers_it_stored(env):
    import sqlite3

    assert paperboy(["import", str(LOCAL_FIXTURES / "docs_library.jsonl")], env).returncode == 0
    with sqlite3.connect(env["PAPERBOY_DB"]) as db:
        assert db.execute("SELECT count(*) FROM names_pending").fetchone()[0] == 0
        named = {row[0] for row in db.execute("SELECT alias FROM paper_aliases")}
    assert {"lora", "toolformer", "mamba"} <= named
