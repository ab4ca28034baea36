"""Buttons: "Post to channel" shares a looked-up card with the channel; link buttons only need an ack."""
from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncApp

from paperboy.adapters.slack.blocks import SHARE_ACTION, paper_key_from_share, render
from paperboy.adapters.slack.context import SLACK_FAILURES, SlackContext, failure_name
from paperboy.bot.replies import Card

log = logging.getLogger(__name__)

_CANNOT_POST = {"not_in_channel", "channel_not_found", "is_archived", "restricted_action"}


def register(app: AsyncApp, ctx: SlackContext) -> None:
    @app.action(SHARE_ACTION)
    async def share_card(ack, body, action, respond) -> None:
        await ack()
        async with ctx.inflight.track():
            await share(ctx, body, action, respond)

    @app.action(re.compile(r"^paperboy_(link|open)_\d+$"))
    async def link_opened(ack) -> None:
        await ack()  # the browser opens the link; Slack still wants the click acknowledged


async def share(ctx: SlackContext, body: dict[str, Any], action: dict[str, Any], respond) -> None:
    key = paper_key_from_share(action.get("value") or "")
    store = ctx.core.store
    paper = await store.run(store.get_paper, key) if key else None
    if paper is None:
        await respond(response_type="ephemeral", replace_original=False,
                      text=f"That paper is no longer in paperboy's library; look it up again with "
                           f"{ctx.commands.syntax.say('paper')}.")
        return
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    user = (body.get("user") or {}).get("id")
    if not channel:
        return
    try:
        await ctx.poster.post(channel, render(Card(paper), shared_by=user), patient=True)
    except SLACK_FAILURES as exc:
        error = failure_name(exc)
        log.info("sharing a card in %s failed: %s", channel, error)
        text = ("I can't post in this channel. Invite me with /invite @paperboy, then try again."
                if error in _CANNOT_POST else "Slack did not take the post just now; please try again.")
        await respond(response_type="ephemeral", replace_original=False, text=text)
        return
    await respond(delete_original=True)
