"""Buttons: "Post to channel" shares a looked-up card with the channel; a card's Save, BibTeX and
Similar run the command they stand for and answer only the clicker; link buttons only need an ack."""
from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncApp

from paperboy.adapters.slack.blocks import CARD_ACTION, SHARE_ACTION, paper_key_from_share, render
from paperboy.adapters.slack.context import SLACK_FAILURES, SlackContext, failure_name
from paperboy.adapters.slack.files import carries_file, send_files
from paperboy.bot.commands.card_actions import command_for
from paperboy.bot.commands.invocation import Invocation, Place
from paperboy.bot.replies import Card, Error

log = logging.getLogger(__name__)

_CANNOT_POST = {"not_in_channel", "channel_not_found", "is_archived", "restricted_action"}


def register(app: AsyncApp, ctx: SlackContext) -> None:
    @app.action(SHARE_ACTION)
    async def share_card(ack, body, action, respond) -> None:
        await ack()
        async with ctx.inflight.track():
            await share(ctx, body, action, respond)

    @app.action(re.compile(f"^{CARD_ACTION}[a-z]+$"))
    async def card_action(ack, body, action, respond) -> None:
        await ack()
        async with ctx.inflight.track():
            await run_card_action(ctx, body, action, respond)

    @app.action(re.compile(r"^paperboy_(link|open)_\d+$"))
    async def link_opened(ack) -> None:
        await ack()  # the browser opens the link; Slack still wants the click acknowledged


async def run_card_action(ctx: SlackContext, body: dict[str, Any], action: dict[str, Any], respond) -> None:
    asked = command_for(action.get("value") or "")
    if asked is None:
        return
    command, args = asked
    user = (body.get("user") or {}).get("id") or ""
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id") or ""
    team = (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id") or ""
    place = Place(platform="slack", workspace=team, channel=channel, is_dm=channel.startswith("D"))
    inv = Invocation(command=command, args=args, user=user, place=place, syntax=ctx.commands.syntax)
    try:
        reply = await ctx.core.dispatch(inv)
    except Exception:
        log.exception("card action %s failed", action.get("action_id"))
        reply = Error("Something went wrong while answering that; please try again in a moment.")
    if carries_file(reply):
        reply = await send_files(ctx, reply, channel=channel, user=user)
    await respond(response_type="ephemeral", replace_original=False, **render(reply).as_kwargs())


async def share(ctx: SlackContext, body: dict[str, Any], action: dict[str, Any], respond) -> None:
    key = paper_key_from_share(action.get("value") or "")
    paper = await ctx.core.paper_with_key(key) if key else None
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
