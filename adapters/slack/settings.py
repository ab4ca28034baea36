"""Slack settings from the environment. Tokens are held but never shown."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

DEFAULT_API_URL = "https://slack.com/api/"


class SlackConfigError(RuntimeError):
    """The Slack settings cannot work (a token Slack refuses, a missing secret); says which, never the value."""


@dataclass(frozen=True)
class SlackSettings:
    bot_token: str = field(repr=False)
    app_token: str | None = field(default=None, repr=False)  # Socket Mode
    signing_secret: str | None = field(default=None, repr=False)  # HTTP mode
    api_url: str = DEFAULT_API_URL
    host: str = "127.0.0.1"  # HTTP mode's listen address
    port: int = 3000

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SlackSettings | None:
        """None without SLACK_BOT_TOKEN; Socket Mode with SLACK_APP_TOKEN, else HTTP mode with
        SLACK_SIGNING_SECRET on PAPERBOY_SLACK_HOST:PAPERBOY_SLACK_PORT (127.0.0.1:3000)."""
        bot_token = (env.get("SLACK_BOT_TOKEN") or "").strip()
        if not bot_token:
            return None
        port_text = (env.get("PAPERBOY_SLACK_PORT") or "3000").strip()
        if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
            raise SlackConfigError(f"PAPERBOY_SLACK_PORT must be a port number, not {port_text[:20]!r}")
        return cls(bot_token=bot_token,
                   app_token=(env.get("SLACK_APP_TOKEN") or "").strip() or None,
                   signing_secret=(env.get("SLACK_SIGNING_SECRET") or "").strip() or None,
                   api_url=(env.get("SLACK_API_URL") or "").strip() or DEFAULT_API_URL,
                   host=(env.get("PAPERBOY_SLACK_HOST") or "").strip() or "127.0.0.1",
                   port=int(port_text))

    def as_kwargs(self) -> dict[str, Any]:
        return asdict(self)
