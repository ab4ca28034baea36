"""paperboy's Slack adapter (slack-bolt): /paper, mentions, link unfurls, daily posts and alerts."""
from paperboy.adapters.slack.adapter import SlackAdapter, SlackConfigError

__all__ = ["SlackAdapter", "SlackConfigError"]
