"""Fixtures for the source tests: the fake paper sources on loopback, an HTTP client (the store comes from
tests/conftest.py, on SQLite and on PostgreSQL)."""
from __future__ import annotations

import httpx
import pytest
from fake_paper_sources import FakeSources, SleepRecorder
from no_network import CountingClient

from paperboy.bot.sources.http import RetryPolicy


@pytest.fixture
async def fake_sources():
    fake = FakeSources()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@pytest.fixture
async def http_client():
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0)) as client:
        yield client


@pytest.fixture
async def counting_client():
    async with CountingClient(timeout=httpx.Timeout(5.0)) as client:
        yield client


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def quick_policy() -> RetryPolicy:
    return RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05, max_retry_after=30.0)

