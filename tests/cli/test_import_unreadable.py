"""`paperboy import` of a file it cannot read, or not to its end, as a user meets it: one line naming the file
and what is wrong, exit status 2, never a traceback, and the papers read before any damage kept."""
from __future__ import annotations

import os
import pwd
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from itertools import accumulate
from pathlib import Path

import pytest
from cli_world import LOCAL_FIXTURES, paperboy
from damaged_files import (
    complete_lines_of_truncated,
    compressed,
    corrupted_in_the_middle,
    gzip_corrupt_after,
    ids_of,
    paper_lines,
    zip_of,
)

from paperboy.bot.sources.opening import DECOMPRESSED_PIECE

NOISE = bytes(range(256)) * 16  # bytes that are no file format's beginning but the ones put before them


def one_line(result: subprocess.CompletedProcess) -> str:
    """The one line a refused file is told by, after checking that it is the only thing said."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith("paperboy: ")
    return line


def stored(env: dict[str, str]) -> list[str]:
    if not Path(env["PAPERBOY_DB"]).exists():
        return []
    with sqlite3.connect(env["PAPERBOY_DB"]) as db:
        return [key for (key,) in db.execute("SELECT key FROM papers ORDER BY key")]


def test_a_gzip_file_corrupt_in_the_middle_keeps_the_papers_before_the_damage(env, tmp_path):
    lines = paper_lines(20_000)
    path = tmp_path / "papers.jsonl.gz"
    path.write_bytes(gzip_corrupt_after(lines, 12_000))  # zlib.error: invalid block type
    line = one_line(paperboy(["import", str(path)], env))
    kept = stored(env)
    assert line == f"paperboy: {path} is damaged: the gzip data is corrupt; the {len(kept):,} papers read before are kept"
    assert kept == ids_of(lines[:len(kept)])
    # What the decompressor had made of its last read before the damage is all that may be lost.
    line_ends = list(accumulate(len(line) for line in lines))
    sure = sum(1 for end in line_ends if end <= line_ends[12_000 - 1] - DECOMPRESSED_PIECE)
    assert len(kept) >= sure > 11_000
    assert Path(env["PAPERBOY_DB"] + ".titles").is_file()  # saved for so many papers, as after a whole import


@pytest.mark.parametrize("kind", ["gzip", "xz"])
def test_a_file_cut_short_keeps_every_whole_line_before_the_cut(env, tmp_path, kind):
    whole = compressed(kind, b"".join(paper_lines(20_000)))
    path = tmp_path / f"papers.jsonl.{kind.replace('gzip', 'gz')}"
    path.write_bytes(whole[:len(whole) // 2])
    line = one_line(paperboy(["import", str(path)], env))
    expected = ids_of(complete_lines_of_truncated(path.read_bytes(), kind))
    assert line == (f"paperboy: {path} is cut short: the {kind} data ends early; "
                    f"the {len(expected):,} papers read before are kept")
    assert stored(env) == expected


def test_a_zip_corrupt_in_the_middle_says_so_and_keeps_papers_read_before(env, tmp_path):
    path = tmp_path / "papers.zip"
    path.write_bytes(corrupted_in_the_middle(zip_of("papers.jsonl", b"".join(paper_lines(20_000)))))
    line = one_line(paperboy(["import", str(path)], env))
    assert re.fullmatch(rf"paperboy: {re.escape(str(path))} is damaged: the zip data is corrupt; "
                        r"the [\d,]+ papers read before are kept", line)
    assert len(stored(env)) > 1000


def test_arxivs_snapshot_zip_cut_short_is_one_line(env, tmp_path):
    path = tmp_path / "arxiv-metadata-oai-snapshot.json.zip"
    whole = zip_of("arxiv-metadata-oai-snapshot.json", (LOCAL_FIXTURES / "arxiv_snapshot_sample.json").read_bytes())
    path.write_bytes(whole[:len(whole) // 2])
    assert one_line(paperboy(["import", str(path)], env)) == (
        f"paperboy: {path} is damaged or cut short: the zip's table of contents (at its end) cannot be read")
    assert stored(env) == []


@pytest.mark.parametrize("name,content,problem", [
    ("papers.jsonl", NOISE, "is neither JSON Lines (one object per line) nor a JSON array"),
    ("papers.jsonl.gz", b"\x1f\x8b" + NOISE, "is damaged: the gzip data is corrupt"),
    ("papers.jsonl.xz", b"\xfd7zXZ\x00" + NOISE, "is damaged: the xz data is corrupt"),
    ("papers.zip", b"PK\x03\x04" + NOISE, "is damaged or cut short: the zip's table of contents (at its end) "
                                          "cannot be read"),
    ("papers.jsonl", b"", "is empty"),
    ("papers.jsonl", b"\n \n", "holds no papers"),
    ("papers.jsonl.gz", compressed("gzip", b""), "holds no papers"),
    ("daily_papers.json", (LOCAL_FIXTURES / "hf_daily_papers_2026-11-24.json").read_bytes()[:20_000],
     "cannot be read: Unterminated string at line 1, column "),
])
def test_a_file_that_is_not_papers_is_one_line_naming_it_and_what_is_wrong(env, tmp_path, name, content, problem):
    path = tmp_path / name
    path.write_bytes(content)
    line = one_line(paperboy(["import", str(path)], env))
    assert str(path) in line and problem in line
    assert stored(env) == []


@pytest.mark.parametrize("make,problem", [
    (Path.mkdir, "{path} is a folder, not a file"),
    (os.mkfifo, "{path} is not a regular file (a pipe or a device?)"),  # not opened: that would wait for a writer
])
def test_a_path_that_is_not_a_file_is_one_line_and_creates_no_database(env, tmp_path, make, problem):
    path = tmp_path / "papers.jsonl"
    make(path)
    assert one_line(paperboy(["import", str(path)], env)) == "paperboy: " + problem.format(path=path)
    assert not Path(env["PAPERBOY_DB"]).exists()


def test_a_file_without_read_permission_is_one_line(env):
    # Root reads a file whatever its mode; as root, the command runs as nobody, whom the mode stops.
    # Its files are in a folder of its own, since nobody cannot enter pytest's.
    as_root = os.geteuid() == 0
    if as_root and not _has_user("nobody"):
        pytest.skip("running as root, and there is no user nobody to run the command as")
    folder = Path(tempfile.mkdtemp(prefix="paperboy-permission-"))
    try:
        folder.chmod(0o777)
        path = folder / "papers.jsonl"
        path.write_bytes(b"".join(paper_lines(3)))
        path.chmod(0o000)
        result = subprocess.run([sys.executable, "-m", "paperboy.cli", "import", str(path), "--db", str(folder / "x.db")],
                                env=env, capture_output=True, text=True, timeout=120,
                                user="nobody" if as_root else None)
        assert one_line(result) == f"paperboy: no permission to read {path}"
        assert not (folder / "x.db").exists()
    finally:
        shutil.rmtree(folder)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
