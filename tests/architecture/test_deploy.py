"""deploy/ agrees with the code: every setting the code reads is in the env example and docs/configuration.md,
the container checks its health with `paperboy health`, Slack's HTTP port is published, and compose
runs two processes on one PostgreSQL database."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
SETTING = re.compile(r"[\"']((?:PAPERBOY|DISCORD|SLACK)_[A-Z0-9_]+)[\"']")


def settings_read_by_the_code() -> set[str]:
    found: set[str] = set()
    for folder in ("bot", "storage", "adapters", "paperboy"):
        for path in (REPO / folder).rglob("*.py"):
            found.update(SETTING.findall(path.read_text()))
    return found


def test_the_code_reads_the_settings_this_test_expects():
    names = settings_read_by_the_code()
    assert {"PAPERBOY_DB", "DISCORD_TOKEN", "SLACK_BOT_TOKEN", "PAPERBOY_LOG_FORMAT"} <= names


def test_every_setting_is_in_the_env_example_and_the_configuration_doc():
    example = (DEPLOY / "paperboy.env.example").read_text()
    documented = (REPO / "docs" / "configuration.md").read_text()
    for name in sorted(settings_read_by_the_code()):
        assert re.search(rf"^# {name}=", example, re.M), f"{name} missing from deploy/paperboy.env.example"
        assert f"`{name}`" in documented, f"{name} missing from docs/configuration.md's table"


def test_the_env_example_sets_nothing_and_holds_no_secret():
    for line in (DEPLOY / "paperboy.env.example").read_text().splitlines():
        assert not line.strip() or line.startswith("#"), line


def test_the_container_checks_its_health_and_compose_publishes_slacks_port():
    containerfile = (DEPLOY / "Containerfile").read_text()
    assert re.search(r'^HEALTHCHECK .*CMD \["paperboy", "health"\]', containerfile, re.M)
    compose = (DEPLOY / "compose.yaml").read_text()
    assert "env_file: paperboy.env" in compose and '"127.0.0.1:3000:3000"' in compose and '"127.0.0.1:3001:3000"' in compose
    assert "EXPOSE 3000" in containerfile


def test_systemd_runs_the_health_check_every_minute_and_restarts_on_failure():
    check = (DEPLOY / "paperboy-health.service").read_text()
    timer = (DEPLOY / "paperboy-health.timer").read_text()
    assert "paperboy health" in check and "systemctl restart paperboy.service" in check
    assert "OnUnitActiveSec=1min" in timer


def test_compose_runs_two_processes_on_one_postgres_database():
    compose = (DEPLOY / "compose.yaml").read_text()
    assert re.search(r"^  postgres:\n    image: postgres:", compose, re.M)
    replicas = re.findall(r"^  (paperboy-\w+):\n    <<: \*paperboy\n((?:    .*\n|      .*\n)+)", compose, re.M)
    assert [name for name, _ in replicas] == ["paperboy-a", "paperboy-b"]
    urls = {re.search(r"PAPERBOY_DB: (\S+)", body).group(1) for _, body in replicas}
    assert len(urls) == 1 and next(iter(urls)).startswith("postgresql://paperboy:${POSTGRES_PASSWORD")
    assert sorted(re.search(r'DISCORD_SHARD_IDS: "(\d)"', body).group(1) for _, body in replicas) == ["0", "1"]
    assert "condition: service_healthy" in compose and "pg_isready" in compose
    assert (REPO / "docs" / "running-several-processes.md").is_file()


COMPOSE_FILES = ["compose.yaml", "compose.sqlite.yaml"]


def load_compose(name: str) -> dict:
    import yaml

    return yaml.safe_load((DEPLOY / name).read_text())


@pytest.mark.parametrize("name", COMPOSE_FILES)
def test_a_compose_file_names_only_what_exists(name):
    compose = load_compose(name)
    services = compose["services"]
    declared_volumes = set(compose.get("volumes") or {})
    for service_name, service in services.items():
        for needed in service.get("depends_on") or {}:
            assert needed in services, f"{name}: {service_name} depends on {needed}, which is not a service"
        for volume in service.get("volumes") or []:
            source = volume.split(":", 1)[0]
            if not source.startswith((".", "/", "~")):  # a named volume, not a folder of the host
                assert source in declared_volumes, f"{name}: {service_name} mounts undeclared volume {source}"
        env_files = service.get("env_file") or []
        for env_file in [env_files] if isinstance(env_files, str) else env_files:
            path = DEPLOY / env_file
            # paperboy.env holds the tokens and is never committed: its example is what the file says to copy.
            assert path.is_file() or path.with_name(path.name + ".example").is_file(), f"{name}: no {env_file}"
        if "build" in service:
            context = (DEPLOY / service["build"]["context"]).resolve()
            assert (context / service["build"]["dockerfile"]).is_file()
    for volume in declared_volumes:
        assert any(str(v).startswith(f"{volume}:") for s in services.values() for v in s.get("volumes") or []), \
            f"{name}: volume {volume} is declared but never mounted"


def test_the_sqlite_layout_is_one_process_with_its_database_on_a_volume():
    compose = load_compose("compose.sqlite.yaml")
    [(name, service)] = compose["services"].items()
    assert "paperboy-data:/data" in service["volumes"]
    assert "depends_on" not in service and "PAPERBOY_DB" not in (service.get("environment") or {})
    containerfile = (DEPLOY / "Containerfile").read_text()
    assert "PAPERBOY_DB=/data/paperboy.db" in containerfile  # the file the volume keeps


def test_the_postgres_layout_shares_one_database_that_every_process_waits_for():
    compose = load_compose("compose.yaml")
    services = compose["services"]
    replicas = {name: s for name, s in services.items() if name.startswith("paperboy")}
    assert len(replicas) == 2
    for service in replicas.values():
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert service["environment"]["PAPERBOY_DB"].startswith("postgresql://paperboy:")
    assert "postgres-data:/var/lib/postgresql/data" in services["postgres"]["volumes"]
