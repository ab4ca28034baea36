"""Fixtures: a fake Slack on loopback, a core over a real store, and the real Slack adapter wired to both."""
from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fake_slack import FakeSlack
from slack_world import PAPERS, START, make_adapter

from paperboy.bot.clock import FakeClock, iso
from paperboy.storage.sqlite import SQLiteStore


@pytest.fixture(autouse=True)
def quiet_slack_logs(caplog):
    caplog.set_level(logging.WARNING, logger="slack_bolt")
    caplog.set_level(logging.WARNING, logger="slack_sdk")


@pytest.fixture
async def fake():
    server = FakeSlack()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "paperboy.db"


@pytest.fixture
def store(db_path: Path):
    opened = SQLiteStore(db_path)
    opened.upsert_papers(PAPERS, iso(START))
    yield opened
    opened.close()


@pytest.fixture
def core(store, clock):
    from paperboy.bot.commands.dispatch import build_core

    return build_core(store, clock=clock)


@pytest.fixture
async def slack(core, fake):
    adapter = make_adapter(core, fake)
    await adapter.start()
    await fake.wait_connected()
    yield adapter
    await adapter.stop()
