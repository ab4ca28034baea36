"""paperboy's Slack adapter (slack-bolt): /paper, mentions, link unfurls, daily posts and alerts."""
from __future__ import annotations

from collections.abc import Mapping

from paperboy.adapters import Platform
from paperboy.adapters.slack.settings import SlackConfigError, SlackSettings
from paperboy.bot.adapter import Adapter
from paperboy.bot.commands.dispatch import Core


def _from_env(core: Core, env: Mapping[str, str]) -> Adapter | None:
    settings = SlackSettings.from_env(env)
    if settings is None:
        return None
    # slack-bolt takes a third of a second to import: only a process that uses Slack pays it.
    from paperboy.adapters.slack.adapter import SlackAdapter

    return SlackAdapter(core, **settings.as_kwargs())


PLATFORM = Platform("slack", _from_env, secrets=("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"),
                    config_errors=(SlackConfigError,))
