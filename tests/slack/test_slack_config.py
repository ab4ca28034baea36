"""The Slack platform from the environment, start-up checks, and secrets kept out of logs."""
from __future__ import annotations

import logging

import pytest
from fake_slack import APP_TOKEN, BOT_TOKEN
from slack_world import make_adapter

from paperboy.adapters.slack import PLATFORM as SLACK
from paperboy.adapters.slack.settings import SlackConfigError

SECRET = "0123456789abcdef0123456789abcdef"


def test_no_bot_token_means_no_slack(core):
    assert SLACK.from_env(core, {}) is None
    assert SLACK.from_env(core, {"SLACK_BOT_TOKEN": "  ", "SLACK_APP_TOKEN": APP_TOKEN}) is None


def test_app_token_selects_socket_mode(core):
    adapter = SLACK.from_env(core, {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN,
                                           "SLACK_SIGNING_SECRET": SECRET})
    assert adapter.mode == "socket" and adapter.api_url == "https://slack.com/api/"


def test_signing_secret_alone_selects_http_mode_on_loopback(core):
    adapter = SLACK.from_env(core, {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET,
                                           "SLACK_API_URL": "https://slack-gov.com/api"})
    assert (adapter.mode, adapter.host, adapter.port) == ("http", "127.0.0.1", 3000)
    assert adapter.api_url == "https://slack-gov.com/api/" and adapter.client.base_url == adapter.api_url


def test_listen_address_is_configurable(core):
    adapter = SLACK.from_env(core, {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET,
                                           "PAPERBOY_SLACK_HOST": "0.0.0.0", "PAPERBOY_SLACK_PORT": "8080"})
    assert (adapter.host, adapter.port) == ("0.0.0.0", 8080)


@pytest.mark.parametrize("env, words", [
    ({"SLACK_BOT_TOKEN": BOT_TOKEN}, "SLACK_APP_TOKEN"),
    ({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET, "PAPERBOY_SLACK_PORT": "eighty"},
     "PAPERBOY_SLACK_PORT"),
])
def test_unusable_settings_are_named_without_their_values(core, env, words):
    with pytest.raises(SlackConfigError) as raised:
        SLACK.from_env(core, env)
    assert words in str(raised.value) and BOT_TOKEN not in str(raised.value)


def test_repr_shows_no_secrets(core):
    adapter = SLACK.from_env(core, {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN,
                                           "SLACK_SIGNING_SECRET": SECRET})
    assert BOT_TOKEN not in repr(adapter) and APP_TOKEN not in repr(adapter) and SECRET not in repr(adapter)


async def test_a_refused_bot_token_is_a_clear_error(core, fake):
    adapter = make_adapter(core, fake, bot_token="xoxb-revoked-0000000000")
    with pytest.raises(SlackConfigError, match="SLACK_BOT_TOKEN.*invalid_auth") as raised:
        await adapter.start()
    assert "xoxb-revoked" not in str(raised.value)
    await adapter.stop()


async def test_a_refused_app_token_is_a_clear_error_not_endless_retries(core, fake):
    adapter = make_adapter(core, fake, app_token="xapp-revoked-0000000000")
    with pytest.raises(SlackConfigError, match="SLACK_APP_TOKEN.*invalid_auth"):
        await adapter.start()
    await adapter.stop()
    assert fake.socket_connections == 0


async def test_a_whole_session_logs_no_secret(core, fake, caplog):
    for name in ("", "slack_sdk", "slack_bolt", "adapters.slack"):
        caplog.set_level(logging.DEBUG, logger=name)
    adapter = make_adapter(core, fake, signing_secret=SECRET)
    await adapter.start()
    try:
        await fake.wait_connected()
        from paperboy.bot.models import Target
        from paperboy.bot.replies import Notice

        fake.fail_next("chat.postMessage", status=429, retry_after=0)
        await adapter.send(Target("slack", "T0PAPERS", "C0PAPERS"), Notice("hello"))
    finally:
        await adapter.stop()
    assert caplog.records
    for secret in (BOT_TOKEN, APP_TOKEN, SECRET):
        assert secret not in caplog.text
