"""Rendered messages into discord.py's send arguments."""
from __future__ import annotations

import io
from typing import Any

import discord

from paperboy.adapters.discord.render import Outgoing

NO_MENTIONS = discord.AllowedMentions.none()


def only_user(user_id: int) -> discord.AllowedMentions:
    """Pings exactly this one user and nobody else."""
    return discord.AllowedMentions(everyone=False, roles=False, replied_user=False, users=[discord.Object(user_id)])


def button_view(links: tuple[tuple[str, str], ...], actions: tuple[tuple[str, str], ...] = ()) -> discord.ui.View:
    """Link buttons on the first row, action buttons (Save, BibTeX, Similar) on the next."""
    view = discord.ui.View(timeout=None)
    for label, url in links:
        view.add_item(discord.ui.Button(style=discord.ButtonStyle.link, label=label, url=url, row=0))
    for label, custom_id in actions:
        view.add_item(discord.ui.Button(style=discord.ButtonStyle.secondary, label=label, custom_id=custom_id,
                                        row=1 if links else 0))
    # Clicks are answered by the InteractionHandler, whichever process gets them, not by callbacks on
    # this object: stopped, it is not kept in discord.py's view store for every message ever sent.
    view.stop()
    return view


def files_of(message: Outgoing) -> list[discord.File]:
    return [discord.File(io.BytesIO(f.data), filename=f.filename, description=f.alt[:1024] or None)
            for f in message.files]


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
    if message.buttons or message.actions:
        kwargs["view"] = button_view(message.buttons, message.actions)
    if message.files:
        kwargs["files"] = files_of(message)
    return kwargs
