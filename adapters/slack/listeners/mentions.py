"""`@paperboy <arXiv id, link or title>` anywhere: the answer goes into the message's thread."""
from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp

from paperboy.adapters.slack.blocks import render
from paperboy.adapters.slack.context import SLACK_FAILURES, SlackContext, failure_name
from paperboy.adapters.slack.helptext import help_message
from paperboy.adapters.slack.text import plain_message_text
from paperboy.bot.commands.invocation import Place

log = logging.getLogger(__name__)


def register(app: AsyncApp, ctx: SlackContext) -> None:
    @app.event("app_mention")
    async def mentioned(event, body) -> None:
        async with ctx.inflight.track():
            await answer_mention(ctx, event, body)


async def answer_mention(ctx: SlackContext, event: dict[str, Any], body: dict[str, Any]) -> None:
    channel = event.get("channel") or ""
    thread = event.get("thread_ts") or event.get("ts")
    route = ctx.commands.lookup_route(plain_message_text(event.get("text") or ""))
    if not route.args or route.args.lower() in ("help", "?"):
        message = help_message(ctx.commands)
    else:
        place = Place(platform="slack", workspace=body.get("team_id") or event.get("team") or "",
                      channel=channel, thread=thread, is_dm=channel.startswith("D"))
        inv = ctx.commands.invocation(route, user=event.get("user") or "", place=place)
        message = render(await ctx.core.dispatch(inv))
    try:
        await ctx.poster.post(channel, message, thread_ts=thread, patient=True)
    except SLACK_FAILURES as exc:
        log.warning("answering a mention in %s failed: %s", channel, failure_name(exc))
