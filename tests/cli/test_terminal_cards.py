"""Cards, lists and help as the terminal shows them at 80 columns."""
from __future__ import annotations

import json
import os
import termios

import pytest
from cli_world import in_a_terminal, paperboy, read_until, rest_of

LONG_TITLE = ("$K$-theoretic Coulomb branches of quiver gauge theories and cluster varieties, "
              "with a subtitle long enough to need a second line")
PAPERS = [
    {"id": "1910.03186", "title": LONG_TITLE, "authors": ["Gus Schrader", "Alexander Shapiro"]},
    {"id": "2006.11239", "title": "Denoising Diffusion Probabilistic Models", "upvotes": 40,
     "authors": ["Jonathan Ho", "Ajay Jain", "Pieter Abbeel"]},
    {"id": "2006.11240", "title": "Denoising Diffusion Probabilistic Models for Robots", "upvotes": 4,
     "authors": ["Jonathan Ho", "Ajay Jain", "Pieter Abbeel"]},
]


@pytest.fixture
def narrow(env, tmp_path):
    path = tmp_path / "papers.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in PAPERS))
    env = dict(env, PAPERBOY_OFFLINE="1", COLUMNS="80")
    assert paperboy(["import", str(path)], env).returncode == 0
    return env


def lines_of(result) -> list[str]:
    return [line.strip("│ ").rstrip() for line in result.stdout.splitlines()]


def test_list_lines_end_without_a_dangling_separator(narrow):
    shown = lines_of(paperboy(["ask", "/paper denoising diffusion"], narrow))
    assert "▲ 40  ·  Jonathan Ho, Ajay Jain +1 more" in shown
    assert "https://arxiv.org/abs/2006.11239" in shown
    assert not [line for line in shown if line.endswith(("·", "· "))]


def test_a_long_title_is_shown_whole_and_its_math_as_text(narrow):
    shown = " ".join(lines_of(paperboy(["ask", "/paper 1910.03186"], narrow)))
    assert ("K-theoretic Coulomb branches of quiver gauge theories and cluster varieties, "
            "with a subtitle long enough to need a second line") in " ".join(shown.split())
    assert "$K$" not in shown


def test_help_at_80_columns_keeps_each_command_whole_and_lists_every_setting(narrow):
    shown = paperboy(["ask", "/help"], narrow).stdout.splitlines()
    assert "/digest config key=value ..." in shown and "/subscribe <query> [notify=dm|channel]" in shown
    for setting in ("time=", "tz=", "top=", "min_upvotes=", "filter=", "sources=", "threads="):
        assert any(line.lstrip().startswith(setting) for line in shown), setting
    # A wrapped description continues indented, never at the left edge among the commands.
    assert all(line.startswith(("/", " ")) or not line.strip() or line.startswith(("paperboy", "Subscription"))
               or "cat:cs.LG" in line for line in shown), shown
    assert max(len(line) for line in shown) <= 80


def test_subscribing_in_the_terminal_says_where_alerts_show(narrow):
    shown = " ".join(paperboy(["ask", "/subscribe diffusion"], narrow).stdout.split())
    assert "here in the terminal" in shown and "direct message" not in shown


def test_in_a_real_80_column_terminal_help_wraps_indented(narrow):
    process, master = in_a_terminal(["chat"], narrow)
    try:
        termios.tcsetwinsize(master, (24, 80))
        read_until(master, "paperboy>")
        os.write(master, b"/help\n")
        shown = read_until(master, "/help\r\n") + rest_of(master)
        os.write(master, b"/quit\n")
        assert process.wait(10) == 0
    finally:
        process.kill()
        os.close(master)
    assert "sources=cs.LG,cs.CL" in shown and "threads=on" in shown
    assert "/digest config key=value ..." in shown
