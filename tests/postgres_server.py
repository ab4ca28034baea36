"""A throwaway PostgreSQL server for tests and benchmarks: initdb in a temporary folder, on a free
loopback port, as the unprivileged `postgres` user when running as root (PostgreSQL refuses root).

`PAPERBOY_TEST_POSTGRES_URL` names an existing server to use instead (its user must be allowed to
create databases). Each caller gets fresh databases from `new_database()`.
"""
from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

PROGRAMS = ("initdb", "pg_ctl", "postgres")
_serial = itertools.count(1)


def binaries_missing(*, existing_will_do: bool = True) -> str | None:
    """Why no server can be had here (`existing_will_do`: PAPERBOY_TEST_POSTGRES_URL counts), or None."""
    if existing_will_do and os.environ.get("PAPERBOY_TEST_POSTGRES_URL"):
        return None
    missing = [program for program in PROGRAMS if not shutil.which(program)]
    if missing:
        return f"PostgreSQL's {', '.join(missing)} not on PATH (or set PAPERBOY_TEST_POSTGRES_URL)"
    if os.geteuid() == 0 and not shutil.which("runuser"):
        return "running as root without runuser: PostgreSQL cannot be started as an unprivileged user"
    return None


class PostgresServer:
    """Started by start(), gone after stop(); `url` reaches its `postgres` database."""

    def __init__(self, *, existing_will_do: bool = True) -> None:
        self.existing = os.environ.get("PAPERBOY_TEST_POSTGRES_URL") if existing_will_do else None
        self.folder: Path | None = None
        self.port = 0
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    @property
    def url(self) -> str:
        return self.existing or self.url_of("postgres")

    def url_of(self, database: str) -> str:
        if self.existing:
            base, _, _ = self.existing.rpartition("/")
            return f"{base}/{database}"
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self, *settings: str) -> PostgresServer:
        if self.existing:
            return self
        self.folder = Path(tempfile.mkdtemp(prefix="paperboy-pg-"))
        self.port = _free_port()
        if self.as_user:
            shutil.chown(self.folder, "postgres")
        data = self.folder / "data"
        subprocess.run([*self.as_user, "initdb", "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8"],
                       check=True, capture_output=True, env=_server_env())
        self.options = " ".join([f"-p {self.port}", f"-k {self.folder}", "-c listen_addresses=127.0.0.1",
                                 "-c fsync=off", "-c full_page_writes=off",
                                 "-c max_connections=300", *(f"-c {s}" for s in settings)])
        self.resume()
        return self

    def pause(self) -> None:
        """Stops the server at once, as a crash or a lost network would; its data stays for resume()."""
        assert self.folder is not None, "pause() needs a server this object started"
        subprocess.run([*self.as_user, "pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "stop"],
                       check=True, capture_output=True, env=_server_env())

    def resume(self) -> None:
        assert self.folder is not None, "resume() needs a server this object started"
        subprocess.run([*self.as_user, "pg_ctl", "-D", str(self.folder / "data"), "-l", str(self.folder / "log"),
                        "-w", "-o", self.options, "start"], check=True, capture_output=True, env=_server_env())

    def new_database(self, template: str | None = None) -> str:
        """A new, empty database (or a copy of `template`); returns its URL."""
        import psycopg

        name = f"paperboy_{os.getpid()}_{next(_serial)}"
        with psycopg.connect(self.url, autocommit=True) as connection:
            copy = f" TEMPLATE {template}" if template else ""
            connection.execute(f"CREATE DATABASE {name}{copy}")
        return self.url_of(name)

    def terminate_connections(self, url: str) -> int:
        """Cuts every connection to the database at `url`, as a restart or a network failure would."""
        import psycopg

        database = url.rpartition("/")[2]
        with psycopg.connect(self.url, autocommit=True) as connection:
            rows = connection.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                      "WHERE datname = %s AND pid != pg_backend_pid()", [database]).fetchall()
        return len(rows)

    def stop(self) -> None:
        if self.existing or self.folder is None:
            return
        subprocess.run([*self.as_user, "pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "stop"],
                       capture_output=True, env=_server_env())
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder = None


def _server_env() -> dict[str, str]:
    """The environment the server runs in: the machine's own clock, also when the tests run with theirs
    moved (faketime), as a database server on another machine would; a server under faketime misses
    its own timeouts and hangs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAKETIME")}
    preload = " ".join(lib for lib in env.pop("LD_PRELOAD", "").split() if "faketime" not in lib)
    return {**env, "LD_PRELOAD": preload} if preload else env


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
