"""deploy/ agrees with the code: every setting the code reads is in the env example and the README,
the container checks its health with `paperboy health`, Slack's HTTP port is published, and compose
runs two processes on one PostgreSQL database."""
from __future__ import annotations

import re
from pathlib import Path

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


def test_every_setting_is_in_the_env_example_and_the_readme():
    example = (DEPLOY / "paperboy.env.example").read_text()
    readme = (REPO / "README.md").read_text()
    for name in sorted(settings_read_by_the_code()):
        assert re.search(rf"^# {name}=", example, re.M), f"{name} missing from deploy/paperboy.env.example"
        assert f"`{name}`" in readme, f"{name} missing from the README's configuration table"


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
