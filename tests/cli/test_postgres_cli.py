"""The command line on PostgreSQL: PAPERBOY_DB or --db with a postgresql:// URL, shown without its password."""
from __future__ import annotations

from pathlib import Path

from cli_world import paperboy

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def with_password(url: str, password: str = "pg-s3cret-pw") -> str:
    """The test server trusts local connections, so any password opens it; the point is to hide it."""
    scheme, rest = url.split("://", 1)
    return f"{scheme}://postgres:{password}@{rest.split('@', 1)[1]}"


def test_import_ask_and_stats_run_on_a_postgresql_url(postgres_server, env):
    url = with_password(postgres_server.new_database())
    env = {**env, "PAPERBOY_DB": url, "PAPERBOY_OFFLINE": "1"}
    imported = paperboy(["import", str(FIXTURES / "papers_small.jsonl")], env)
    assert imported.returncode == 0, imported.stderr
    asked = paperboy(["ask", "/paper reversal curse"], env)
    assert asked.returncode == 0 and "The Reversal Curse" in asked.stdout
    stats = paperboy(["stats"], env)
    assert stats.returncode == 0
    assert "postgres:***@127.0.0.1" in stats.stdout
    for result in (imported, asked, stats):
        assert "pg-s3cret-pw" not in result.stdout + result.stderr


def test_an_unreachable_database_is_a_clear_error_without_the_password(env):
    result = paperboy(["stats", "--db", "postgresql://paperboy:pg-s3cret-pw@127.0.0.1:1/paperboy"], env)
    assert result.returncode == 2
    assert result.stderr.startswith("paperboy: cannot open database postgresql://paperboy:***@127.0.0.1:1/paperboy: ")
    assert "pg-s3cret-pw" not in result.stderr and "Traceback" not in result.stderr
