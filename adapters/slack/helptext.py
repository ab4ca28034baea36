"""`/paper help`, written from the command specs in the words Slack users type."""
from __future__ import annotations

from paperboy.adapters.slack.blocks import MAX_SECTION, SlackMessage
from paperboy.adapters.slack.text import escape, fit
from paperboy.bot.commands.spec import example, settings_of, usage
from paperboy.bot.commands.typed import TypedCommands


def help_message(commands: TypedCommands) -> SlackMessage:
    syntax = commands.syntax
    lines = []
    for spec in commands.specs:
        lines.append(f"*{escape(usage(spec, syntax))}*\n{escape(spec.description)}")
        for sub in spec.subcommands:
            if sub.name != "show":
                lines.append(f"*{escape(usage(sub, syntax, spec))}*\n{escape(sub.description)}")
                lines += [f"    `{escape(setting)}` {escape(what)}" for setting, what in settings_of(sub)]
        for arguments in spec.examples[:2]:
            lines.append(f"    e.g. `{escape(example(spec, arguments, syntax))}`")
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "paperboy", "emoji": False}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "Research papers in Slack: look one up, "
                                     "share it, subscribe to a topic, get a daily list in a channel."}},
    ]
    section = ""
    for line in lines:
        candidate = f"{section}\n{line}" if section else line
        if len(candidate) > MAX_SECTION:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": section}})
            candidate = line
        section = candidate
    if section:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": section}})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": escape(
        'Subscription queries: words (all must match), "phrases", a OR b, -exclude, author:"Name", cat:cs.LG. '
        "Mention @paperboy with an arXiv id, a link or a title to get the paper in a thread.")}]})
    text = fit("paperboy commands: " + "; ".join(usage(s, syntax) for s in commands.specs), 3000)
    return SlackMessage(text, blocks[:50])
