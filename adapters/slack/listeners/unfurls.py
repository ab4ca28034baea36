"""arXiv, Hugging Face papers and alphaXiv links posted in Slack unfold into paper cards (link_shared)."""
from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp

from paperboy.adapters.slack.blocks import unfurl_blocks
from paperboy.adapters.slack.context import SLACK_FAILURES, SlackContext, failure_name
from paperboy.bot.commands.invocation import Place
from paperboy.bot.ids import parse_paper_id
from paperboy.bot.replies import Card

log = logging.getLogger(__name__)

MAX_LINKS = 5  # Slack sends at most a handful per message; more would be a very long unfurl


def register(app: AsyncApp, ctx: SlackContext) -> None:
    @app.event("link_shared")
    async def link_shared(event, body) -> None:
        async with ctx.inflight.track():
            await unfurl(ctx, event, body)


async def unfurl(ctx: SlackContext, event: dict[str, Any], body: dict[str, Any]) -> None:
    channel = event.get("channel") or ""
    place = Place(platform="slack", workspace=body.get("team_id") or "", channel=channel,
                  is_dm=channel.startswith("D"))
    unfurls: dict[str, dict[str, Any]] = {}
    for link in (event.get("links") or [])[:MAX_LINKS]:
        url = link.get("url") or ""
        paper_id = parse_paper_id(url)
        if not paper_id or url in unfurls:
            continue
        inv = ctx.commands.invocation(ctx.commands.lookup_route(paper_id), user=event.get("user") or "", place=place)
        reply = await ctx.core.dispatch(inv)
        if isinstance(reply, Card):
            unfurls[url] = {"blocks": unfurl_blocks(reply)}
    if not unfurls:
        return
    where: dict[str, Any]
    if event.get("unfurl_id") and event.get("source") == "composer":
        where = {"unfurl_id": event["unfurl_id"], "source": "composer"}
    else:
        where = {"channel": channel, "ts": event.get("message_ts")}
    try:
        await ctx.client.chat_unfurl(unfurls=unfurls, **where)
    except SLACK_FAILURES as exc:
        log.info("unfurling in %s failed: %s", channel, failure_name(exc))
