"""Fixtures every test area may use."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPUS_FILE = SHARED / "corpus" / "papers-304k.jsonl.xz"


@pytest.fixture
def corpus_file() -> Path:
    """The 304k-paper corpus beside the repo; tests that use it skip when it is absent."""
    if not CORPUS_FILE.is_file():
        pytest.skip("../shared/corpus is not present")
    return CORPUS_FILE


# ---- the two store backends -----------------------------------------------------------------
# Tests that take `store` or `db_location` run once on SQLite and once on PostgreSQL (a throwaway
# server for the session, a fresh database per test). Without PostgreSQL binaries the PostgreSQL
# runs skip with the reason, unless PAPERBOY_REQUIRE_POSTGRES is set (.ci/run sets it): then they fail.

@pytest.fixture(scope="session")
def postgres_server():
    from postgres_server import PostgresServer, binaries_missing

    reason = binaries_missing()
    if reason:
        if os.environ.get("PAPERBOY_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL is required here: {reason}")
        pytest.skip(reason)
    server = PostgresServer().start("synchronous_commit=off")  # nothing here outlives the machine
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_template(postgres_server) -> str:
    """A migrated database new test databases are copied from (faster than migrating each)."""
    from paperboy.storage.postgres import PostgresStore

    url = postgres_server.new_database()
    PostgresStore(url).close()
    return url.rpartition("/")[2]


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def new_location(backend, tmp_path, request):
    """Makes new, empty databases on this test's backend: each call gives another one's location
    (a SQLite file, or a PostgreSQL database's URL)."""
    made = iter(range(1, 1_000_000))

    def location() -> Path | str:
        if backend == "sqlite":
            return tmp_path / f"paperboy-{next(made)}.db"
        server = request.getfixturevalue("postgres_server")
        return server.new_database(template=request.getfixturevalue("postgres_template"))
    return location


@pytest.fixture
def db_location(new_location) -> Path | str:
    """Where this test's database is: a SQLite file, or a new PostgreSQL database's URL."""
    return new_location()


@pytest.fixture
def store(backend, request):
    """An open store on this test's backend (SQLite in memory, or a new PostgreSQL database)."""
    from paperboy.storage import open_store
    from paperboy.storage.sqlite import SQLiteStore

    opened = SQLiteStore(memory=True) if backend == "sqlite" else open_store(request.getfixturevalue("db_location"))
    yield opened
    opened.close()
