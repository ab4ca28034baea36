"""A burst of /paper through slack-bolt, in Socket Mode and in HTTP mode, with lookups in a worker
process: every command acknowledged within Slack's 3 s, and past the bound a plain "busy" answer."""
from __future__ import annotations

import asyncio
import json
from functools import partial
from urllib.parse import urlencode

import aiohttp
import pytest
from slack_payloads import slash_command
from slack_steps import ACK_DEADLINE
from slack_world import make_adapter
from test_slack_http_mode import SECRET, signed

from paperboy.bot.commands.dispatch import build_core
from paperboy.bot.search.lookup_pool import LookupPool
from paperboy.storage import open_store

BOUND = 4
QUERIES = ["the reversal curse", "atention is all you need", "2006.11239", "mamba selective state spaces",
           "arxiv.org/abs/1706.03762", "denoising diffusion probabilistic"]
BUSY = "paperboy is busy, try again in a few seconds."


@pytest.fixture
async def bounded_core(store, clock, db_path):
    core = build_core(store, clock=clock)
    core.matcher.max_pending = BOUND
    pool = LookupPool(partial(open_store, db_path), 1)
    await pool.start()
    core.matcher.ranker = pool
    yield core
    await pool.close()


async def answer_of(fake, ack_payload: dict | None, response_url: str) -> dict:
    """What the user sees: the ack's own answer, or what came through response_url."""
    if ack_payload and (ack_payload.get("blocks") or ack_payload.get("text")):
        return ack_payload
    return (await fake.wait_until(lambda: fake.responses_to(response_url), timeout=20))[0]


async def test_a_socket_mode_burst_is_acknowledged_in_time_and_past_the_bound_hears_busy(fake, bounded_core):
    adapter = make_adapter(bounded_core, fake)
    await adapter.start()
    try:
        await fake.wait_connected()
        urls = [fake.response_url() for _ in range(100)]
        envelopes = await asyncio.gather(*(
            fake.send_envelope("slash_commands", slash_command(QUERIES[n % len(QUERIES)], response_url=url))
            for n, url in enumerate(urls)))
        acks = await asyncio.gather(*(fake.ack_for(e, timeout=20) for e in envelopes))
        answers = await asyncio.gather(*(answer_of(fake, a.payload, u) for a, u in zip(acks, urls, strict=True)))
    finally:
        await adapter.stop()
    assert all(a.delay < ACK_DEADLINE for a in acks)
    busy = [a for a in answers if a.get("text") == BUSY]
    assert busy and all(a["response_type"] == "ephemeral" for a in busy)
    assert len(answers) - len(busy) >= BOUND and all(a.get("blocks") for a in answers if a not in busy)


async def test_an_http_mode_burst_is_acknowledged_in_time_and_past_the_bound_hears_busy(fake, bounded_core):
    adapter = make_adapter(bounded_core, fake, app_token=None, signing_secret=SECRET, port=0)
    await adapter.start()
    url = f"http://127.0.0.1:{adapter.bound_port}/slack/events"
    response_urls = [fake.response_url() for _ in range(100)]

    async def command(session: aiohttp.ClientSession, n: int) -> tuple[int, float, str]:
        body = urlencode(slash_command(QUERIES[n % len(QUERIES)], response_url=response_urls[n]))
        began = asyncio.get_running_loop().time()
        async with session.post(url, data=body.encode(), headers=signed(body)) as response:
            return response.status, asyncio.get_running_loop().time() - began, await response.text()

    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
            acks = await asyncio.gather(*(command(session, n) for n in range(100)))
        answers = await asyncio.gather(*(answer_of(fake, json.loads(text) if text else None, response_urls[n])
                                         for n, (_, _, text) in enumerate(acks)))
    finally:
        await adapter.stop()
    assert all(status == 200 and took < ACK_DEADLINE for status, took, _ in acks)
    busy = [a for a in answers if a.get("text") == BUSY]
    assert busy and len(answers) - len(busy) >= BOUND
