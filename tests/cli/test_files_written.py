"""The files the terminal writes (a chart's picture, a BibTeX export): in the user's own cache
folder, never a shared one, and named in `ask --json` so a script can find them."""
from __future__ import annotations

import json
from pathlib import Path

from cli_world import LOCAL_FIXTURES, paperboy


def test_the_terminal_writes_charts_and_exports_in_the_user_s_own_cache_folder(env, tmp_path):
    cache = tmp_path / "cache"
    env = {**env, "XDG_CACHE_HOME": str(cache), "PAPERBOY_OFFLINE": "1"}
    assert paperboy(["import", str(LOCAL_FIXTURES / "papers_small.jsonl")], env).returncode == 0
    shown = paperboy(["ask", "/paper trend language models"], env)
    assert shown.returncode == 0, shown.stderr
    [chart] = (cache / "paperboy" / "files").glob("*.png")
    assert f"Chart saved to {chart}" in shown.stdout.replace("\n", "")
    assert (cache / "paperboy" / "files").stat().st_mode & 0o777 == 0o700


def test_ask_json_names_the_file_of_a_chart_or_an_export(env, tmp_path):
    env = {**env, "XDG_CACHE_HOME": str(tmp_path / "cache"), "PAPERBOY_OFFLINE": "1"}
    assert paperboy(["import", str(LOCAL_FIXTURES / "papers_small.jsonl")], env).returncode == 0
    lines = "/paper trend language models\n/saved add 2309.12288\n/saved bibtex\n/paper 2309.12288\n"
    asked = paperboy(["ask", "--json", "-"], env, stdin=lines)
    chart, _, export, card = (json.loads(line) for line in asked.stdout.splitlines())
    [picture] = chart["files"]
    assert picture.endswith(".png") and Path(picture).read_bytes().startswith(b"\x89PNG")
    [bib] = export["files"]
    assert bib.endswith(".bib") and "eprint = {2309.12288}" in Path(bib).read_text()
    assert "files" not in card
