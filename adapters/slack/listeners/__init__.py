"""Bolt listeners, one module per kind of Slack event, each with register(app, ctx)."""
from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from paperboy.adapters.slack.context import SlackContext
from paperboy.adapters.slack.listeners import actions, commands, mentions, unfurls

MODULES = (commands, actions, mentions, unfurls)


def register_all(app: AsyncApp, ctx: SlackContext) -> None:
    for module in MODULES:
        module.register(app, ctx)
