"""Replies that carry a file: a chart's picture is uploaded (files upload v2) where it was asked for,
in the thread if there was one; a document too long for a message goes to the caller's DM with
paperboy, so it stays theirs. What the caller is then shown comes back as a reply."""
from __future__ import annotations

import logging

from paperboy.adapters.slack.blocks import document_fits
from paperboy.adapters.slack.context import SLACK_FAILURES, SlackContext, failure_name
from paperboy.bot.replies import Chart, Document, Error, Reply

log = logging.getLogger(__name__)

_CANNOT_POST = {"not_in_channel", "channel_not_found", "is_archived", "restricted_action", "not_allowed_token_type"}


def carries_file(reply: Reply) -> bool:
    return isinstance(reply, Chart) or (isinstance(reply, Document) and not document_fits(reply))


async def send_files(ctx: SlackContext, reply: Reply, *, channel: str, user: str,
                     thread_ts: str | None = None) -> Reply:
    """Uploads what the reply carries; returns the reply to show (an Error when the upload failed)."""
    if isinstance(reply, Chart):
        image = reply.image
        try:
            await ctx.client.files_upload_v2(channel=channel, thread_ts=thread_ts, file=image.data,
                                             filename=image.filename, title=reply.title[:250],
                                             alt_txt=image.alt[:1000] or None)
        except SLACK_FAILURES as exc:
            error = failure_name(exc)
            log.info("uploading a chart to %s failed: %s", channel, error)
            if error in _CANNOT_POST:
                return Error("I can't post the chart in this channel. Invite me with /invite @paperboy, "
                             "or ask in a channel I am in.")
            return Error("Slack did not take the chart just now; please try again.")
        return reply
    if isinstance(reply, Document) and not document_fits(reply):
        try:
            dm = await ctx.poster.open_dm(user)
            await ctx.client.files_upload_v2(channel=dm, file=reply.text.encode(), filename=reply.filename,
                                             title=reply.title[:250])
        except SLACK_FAILURES as exc:
            log.info("sending %s to %s failed: %s", reply.filename, user, failure_name(exc))
            return Error(f"Slack did not take {reply.filename} just now; please try again.")
    return reply
