"""HTTP mode: bolt's signature and timestamp checks in front of the same listeners."""
from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import urlencode

import aiohttp
import pytest
from slack_payloads import slash_command
from slack_world import make_adapter

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def signed(body: str, *, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    """Slack's v0 scheme: HMAC-SHA256 over "v0:<timestamp>:<body>" with the signing secret."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}",
            "Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
async def http_slack(core, fake):
    adapter = make_adapter(core, fake, app_token=None, signing_secret=SECRET, port=0)
    await adapter.start()
    yield adapter
    await adapter.stop()


async def post(adapter, body: str, headers: dict[str, str]) -> tuple[int, str]:
    url = f"http://127.0.0.1:{adapter.bound_port}/slack/events"
    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=body.encode(), headers=headers) as response:
            return response.status, await response.text()


def command_body(fake, text: str, user: str = "U0BOB") -> str:
    return urlencode(slash_command(text, response_url=fake.response_url(), user=user))


async def test_http_mode_listens_on_loopback_and_never_opens_a_socket(fake, http_slack):
    assert http_slack.mode == "http" and http_slack.host == "127.0.0.1" and http_slack.bound_port
    assert await http_slack.connected() is True  # listening is all HTTP mode needs
    assert fake.calls_to("apps.connections.open", ok=None) == [] and fake.socket_connections == 0


async def test_a_correctly_signed_slash_command_works(fake, http_slack, store):
    body = command_body(fake, "sub diffusion models")
    status, text = await post(http_slack, body, signed(body))
    assert status == 200 and "Subscribed (#1)" in text
    assert [s.query for s in store.subscriptions_of("slack", "T0PAPERS", "U0BOB")] == ["diffusion models"]


@pytest.mark.parametrize("make_headers", [
    pytest.param(lambda body: signed(body, secret="not-the-secret"), id="wrong secret"),
    pytest.param(lambda body: signed(body + "&text=tampered"), id="body changed after signing"),
    pytest.param(lambda body: signed(body, timestamp=int(time.time()) - 6 * 60), id="stale by six minutes"),
    pytest.param(lambda body: signed(body, timestamp=int(time.time()) + 6 * 60), id="six minutes ahead"),
    pytest.param(lambda body: {"Content-Type": "application/x-www-form-urlencoded"}, id="unsigned"),
])
async def test_badly_signed_or_stale_requests_get_401_and_change_nothing(fake, http_slack, store, make_headers):
    body = command_body(fake, "sub diffusion models")
    calls_before = len(fake.calls)
    status, _ = await post(http_slack, body, make_headers(body))
    assert status == 401
    assert store.subscriptions_of("slack", "T0PAPERS", "U0BOB") == []
    assert len(fake.calls) == calls_before and fake.responses == []


async def test_configuring_over_http_checks_rights_like_socket_mode(fake, http_slack, store):
    body = command_body(fake, "digest config time=09:00 tz=America/New_York", user="U0BOB")
    status, text = await post(http_slack, body, signed(body))
    assert status == 200 and "Only people who can manage" in text
    body = command_body(fake, "digest config time=09:00 tz=America/New_York", user="U0ALICE")
    status, text = await post(http_slack, body, signed(body))
    assert status == 200 and "Posts on: daily" in text
    assert store.get_channel("slack", "T0PAPERS", "C0PAPERS").tz == "America/New_York"


async def test_slack_url_verification_challenge_is_answered_when_signed(fake, http_slack):
    body = '{"token": "Jhj5dZrVaK7ZwHHjRyZWjbDl", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", "type": "url_verification"}'
    headers = {**signed(body), "Content-Type": "application/json"}
    status, text = await post(http_slack, body, headers)
    assert status == 200 and "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in text
    status, _ = await post(http_slack, body, {**signed(body, secret="wrong"), "Content-Type": "application/json"})
    assert status == 401
