"""`/paper ...`: acknowledged within Slack's 3 seconds, answered in the ack when the core is quick,
else through response_url."""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp

from paperboy.adapters.slack.blocks import render
from paperboy.adapters.slack.context import SLASH_COMMAND, SlackContext
from paperboy.adapters.slack.files import carries_file, send_files
from paperboy.adapters.slack.helptext import help_message
from paperboy.bot.commands.invocation import Place
from paperboy.bot.commands.typed import Route
from paperboy.bot.replies import Card, Chart, Document, Error, Notice, Reply

log = logging.getLogger(__name__)


def register(app: AsyncApp, ctx: SlackContext) -> None:
    @app.command(SLASH_COMMAND)
    async def paper_command(ack, command, respond) -> None:
        async with ctx.inflight.track():
            await answer_command(ctx, command, ack, respond)


def place_of(command: dict[str, Any]) -> Place:
    channel = command.get("channel_id") or ""
    is_dm = channel.startswith("D") or command.get("channel_name") == "directmessage"
    return Place(platform="slack", workspace=command.get("team_id") or "", channel=channel, is_dm=is_dm)


async def answer_command(ctx: SlackContext, command: dict[str, Any], ack, respond) -> None:
    route = ctx.commands.route(command.get("text") or "")
    assert route is not None  # under an umbrella, even blank text is a route (to the lookup)
    if route.command == "help" or (route.spec is ctx.commands.lookup and not route.args):
        await ack(response_type="ephemeral", **help_message(ctx.commands).as_kwargs())
        return
    work = asyncio.create_task(_dispatch(ctx, route, command))
    try:
        if ctx.ack_budget > 0:  # 0: always answer through response_url
            await asyncio.wait({work}, timeout=ctx.ack_budget)
        if ctx.ack_budget > 0 and work.done() and not carries_file(work.result()):
            await ack(**_response(ctx, route, command, work.result()))
            return
        await ack()  # inside Slack's deadline; the answer follows through response_url
        reply = await work
        if carries_file(reply):
            reply = await send_files(ctx, reply, channel=command.get("channel_id") or "",
                                     user=command.get("user_id") or "")
        sent = await respond(**_response(ctx, route, command, reply))
        if getattr(sent, "status_code", 200) != 200:
            log.warning("response_url refused the answer to /paper (HTTP %s)", sent.status_code)
    finally:
        if not work.done():
            work.cancel()
            await asyncio.gather(work, return_exceptions=True)


async def _dispatch(ctx: SlackContext, route: Route, command: dict[str, Any]) -> Reply:
    place = place_of(command)
    user = command.get("user_id") or ""
    try:
        can_configure = False
        if route.may_need_rights:
            can_configure = await ctx.rights.can_configure(place.workspace, place.channel, user,
                                                           is_dm=place.is_dm)
        inv = ctx.commands.invocation(route, user=user, place=place, can_configure=can_configure)
        return await ctx.core.dispatch(inv)
    except Exception:  # the user still gets an answer, and the ack still goes out in time
        log.exception("/paper %s failed", route.command)
        return Error("Something went wrong while answering that; please try again in a moment.")


def _response(ctx: SlackContext, route: Route, command: dict[str, Any], reply: Reply) -> dict[str, Any]:
    lookup = route.spec is ctx.commands.lookup
    ephemeral = ((lookup and not isinstance(reply, Chart)) or route.ephemeral or isinstance(reply, Error | Document)
                 or (isinstance(reply, Notice) and reply.ephemeral))
    share = lookup and isinstance(reply, Card) and not place_of(command).is_dm
    message = render(reply, share=share)
    return {"response_type": "ephemeral" if ephemeral else "in_channel", **message.as_kwargs()}
