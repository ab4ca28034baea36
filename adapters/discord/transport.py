"""Rendered messages into discord.py's send arguments."""
from __future__ import annotations

from typing import Any

import discord

from paperboy.adapters.discord.render import Outgoing

NO_MENTIONS = discord.AllowedMentions.none()


def only_user(user_id: int) -> discord.AllowedMentions:
    """Pings exactly this one user and nobody else."""
    return discord.AllowedMentions(everyone=False, roles=False, replied_user=False, users=[discord.Object(user_id)])


def link_view(buttons: tuple[tuple[str, str], ...]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for label, url in buttons:
        view.add_item(discord.ui.Button(style=discord.ButtonStyle.link, label=label, url=url))
    return view


def send_kwargs(message: Outgoing, *, mention_user: int | None = None) -> dict[str, Any]:
    content = message.content
    if mention_user is not None:
        content = f"<@{mention_user}> {content}".strip()
    kwargs: dict[str, Any] = {
        "allowed_mentions": only_user(mention_user) if mention_user is not None else NO_MENTIONS,
    }
    if content:
        kwargs["content"] = content
    if message.embeds:
        kwargs["embeds"] = [discord.Embed.from_dict(dict(e)) for e in message.embeds]
    if message.buttons:
        kwargs["view"] = link_view(message.buttons)
    return kwargs
