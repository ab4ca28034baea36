"""`@paperboy <arXiv id, link or title>` anywhere: the answer goes into the message's thread."""
from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp

from paperboy.adapters.slack.blocks import render
from paperboy.adapters.slack.context import SLACK_FAILURES, SlackContext, failure_name
from paperboy.adapters.slack.helptext import help_message
from paperboy.adapters.slack.text import plain_message_text
from paperboy.bot.ids import find_paper_links
from paperboy.bot.models import Invocation, Place

log = logging.getLogger(__name__)


def register(app: AsyncApp, ctx: SlackContext) -> None:
    @app.event("app_mention")
    async def mentioned(event, body) -> None:
        async with ctx.inflight.track():
            await answer_mention(ctx, event, body)


def mention_query(text: str) -> str:
    """What was asked: the first paper link if there is one, else the words around the mention."""
    words = plain_message_text(text)
    links = find_paper_links(words)
    return links[0] if links else words


async def answer_mention(ctx: SlackContext, event: dict[str, Any], body: dict[str, Any]) -> None:
    channel = event.get("channel") or ""
    thread = event.get("thread_ts") or event.get("ts")
    query = mention_query(event.get("text") or "")
    if not query or query.lower() in ("help", "?"):
        message = help_message(ctx.router)
    else:
        place = Place(platform="slack", workspace=body.get("team_id") or event.get("team") or "",
                      channel=channel, thread=thread, is_dm=channel.startswith("D"))
        inv = Invocation(command=ctx.router.lookup.name, args=query, user=event.get("user") or "", place=place)
        message = render(await ctx.core.dispatch(inv), translate=ctx.router.translate)
    try:
        await ctx.poster.post(channel, message, thread_ts=thread, patient=True)
    except SLACK_FAILURES as exc:
        log.warning("answering a mention in %s failed: %s", channel, failure_name(exc))
