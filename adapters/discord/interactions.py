"""Slash commands and autocomplete: an interaction in, the core's answer out, within 3 s."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import discord

from paperboy.adapters.discord import limits
from paperboy.adapters.discord.render import Outgoing, render
from paperboy.adapters.discord.schema import CommandCall, argument_for, read_command, spec_for
from paperboy.adapters.discord.text import plain
from paperboy.adapters.discord.transport import send_kwargs
from paperboy.bot.commands.card_actions import command_for
from paperboy.bot.commands.dispatch import Core
from paperboy.bot.commands.invocation import Invocation, Place
from paperboy.bot.commands.spec import CommandSpec
from paperboy.bot.replies import Card, Chart, Error, Reply

log = logging.getLogger(__name__)

PLATFORM = "discord"
_THREAD_TYPES = (discord.ChannelType.public_thread, discord.ChannelType.private_thread,
                 discord.ChannelType.news_thread)


def place_of(interaction: discord.Interaction) -> Place:
    channel_id = str(interaction.channel_id or "")
    if interaction.guild_id is None:
        return Place(PLATFORM, "", channel_id, None, True)
    channel = interaction.channel
    in_thread = getattr(channel, "type", None) in _THREAD_TYPES
    return Place(PLATFORM, str(interaction.guild_id), channel_id, channel_id if in_thread else None, False)


def can_configure(interaction: discord.Interaction) -> bool:
    """Manage Channels (or Administrator) in this channel, as Discord resolved it for the member."""
    if interaction.guild_id is None:
        return False
    permissions = interaction.permissions
    return bool(permissions.administrator or permissions.manage_channels)


def invocation_for(interaction: discord.Interaction, call: CommandCall, spec: CommandSpec,
                   sub: CommandSpec | None) -> Invocation:
    declared = sub or spec
    options: dict[str, Any] = {}
    for name, value in call.options.items():
        arg = argument_for(declared, name)
        options[arg.name if arg else name] = value
    return Invocation(command=spec.name, args=sub.name if sub else "", user=str(interaction.user.id),
                      place=place_of(interaction), can_configure=can_configure(interaction), options=options)


def is_private(spec: CommandSpec, reply: Reply) -> bool:
    """Errors, private notices and a lookup that found nothing for sure go only to the caller."""
    if isinstance(reply, Error) or getattr(reply, "ephemeral", False):
        return True
    if spec.may_be_slow and not isinstance(reply, Card | Chart):  # /paper: "no confident match", lists
        return True
    return spec.ephemeral


class InteractionHandler:
    """Answers application commands and autocomplete for one client.

    Discord drops an interaction not answered within 3 s. A command answers directly when the
    core replies within `answer_within` seconds (`lookup_within` for commands that may ask the
    paper sources); otherwise it defers and follows up when the reply is ready. A budget of 0
    defers before asking the core at all. Autocomplete cannot be deferred: it answers what the core
    found within `autocomplete_within`, else no choices (and none at once when the core is busy),
    leaving the rest of the 3 s as margin for a loaded event loop."""

    def __init__(self, core: Core, *, answer_within: float = 1.5, lookup_within: float = 0.5,
                 autocomplete_within: float = 1.0):
        self.core = core
        self.answer_within = answer_within
        self.lookup_within = lookup_within
        self.autocomplete_within = autocomplete_within
        self._in_flight: set[asyncio.Task] = set()

    async def handle(self, interaction: discord.Interaction) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._in_flight.add(task)
        try:
            if interaction.type is discord.InteractionType.autocomplete:
                await self.autocomplete(interaction)
            elif interaction.type is discord.InteractionType.application_command:
                await self.command(interaction)
            elif interaction.type is discord.InteractionType.component:
                await self.component(interaction)
        except discord.HTTPException as exc:
            log.warning("answering interaction %s failed: %s", interaction.id, exc)
        except Exception:
            log.exception("interaction %s failed", interaction.id)
        finally:
            if task is not None:
                self._in_flight.discard(task)

    async def cancel_all(self) -> None:
        pending = [t for t in self._in_flight if t is not asyncio.current_task()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    # ---- commands ----------------------------------------------------------------------------

    async def command(self, interaction: discord.Interaction) -> None:
        call = read_command(interaction.data or {})
        spec, sub = spec_for(self.core.specs, call)
        if spec is None or (spec.subcommands and sub is None):
            await self._respond(interaction, render(Error(f"/{call.name} is not a paperboy command (any more).")),
                                private=True)
            return
        declared = sub or spec
        await self._answer(interaction, invocation_for(interaction, call, spec, sub), declared,
                           lambda reply: is_private(declared, reply))

    async def component(self, interaction: discord.Interaction) -> None:
        """A card's Save, BibTeX or Similar button: the command it stands for, answered to the clicker only."""
        asked = command_for(str((interaction.data or {}).get("custom_id") or ""))
        spec = self.core.spec(asked[0]) if asked else None
        if asked is None or spec is None:
            return  # another app's component, or a link button: not ours to answer
        command, args = asked
        inv = Invocation(command=command, args=args, user=str(interaction.user.id), place=place_of(interaction),
                         can_configure=can_configure(interaction))
        await self._answer(interaction, inv, replace(spec, ephemeral=True), lambda reply: True)

    async def _answer(self, interaction: discord.Interaction, inv: Invocation, declared: CommandSpec,
                      private: Callable[[Reply], bool]) -> None:
        """Answers directly when the core is quick enough, else defers and follows up."""
        answer = asyncio.ensure_future(self.core.dispatch(inv))
        try:
            budget = self.lookup_within if declared.may_be_slow else self.answer_within
            done = (await asyncio.wait({answer}, timeout=budget))[0] if budget > 0 else set()
            if done:
                reply = answer.result()
                await self._respond(interaction, render(reply), private=private(reply))
                return
            await interaction.response.defer(ephemeral=declared.ephemeral, thinking=True)
            reply = await answer
        finally:
            if not answer.done():
                answer.cancel()
                await asyncio.gather(answer, return_exceptions=True)
        await self._follow_up(interaction, render(reply), private=private(reply), deferred_private=declared.ephemeral)

    async def _respond(self, interaction: discord.Interaction, messages: list[Outgoing], *, private: bool) -> None:
        first, rest = messages[0], messages[1:]
        await interaction.response.send_message(**send_kwargs(first), ephemeral=private)
        for message in rest:
            await interaction.followup.send(**send_kwargs(message), ephemeral=private)

    async def _follow_up(self, interaction: discord.Interaction, messages: list[Outgoing], *, private: bool,
                         deferred_private: bool) -> None:
        if private and not deferred_private:
            # The public "thinking…" message cannot turn private: remove it, answer privately.
            await interaction.delete_original_response()
        for message in messages:
            await interaction.followup.send(**send_kwargs(message), ephemeral=private)

    # ---- autocomplete ------------------------------------------------------------------------

    async def autocomplete(self, interaction: discord.Interaction) -> None:
        call = read_command(interaction.data or {})
        spec, sub = spec_for(self.core.specs, call)
        declared = sub or spec
        arg = argument_for(declared, call.focused) if declared is not None and call.focused else None
        suggestions: list[tuple[str, str]] = []
        if spec is not None and declared is not None and arg is not None and arg.autocomplete:
            inv = invocation_for(interaction, call, spec, sub)
            partial = str(call.options.get(call.focused) or "")
            try:
                suggestions = await asyncio.wait_for(self.core.autocomplete(arg.autocomplete, partial, inv),
                                                     timeout=self.autocomplete_within)
            except TimeoutError:
                log.warning("autocomplete %s took longer than %.1fs; answered with no choices",
                            arg.autocomplete, self.autocomplete_within)
        await interaction.response.autocomplete(choices_of(suggestions))


def choices_of(suggestions: list[tuple[str, str]]) -> list[discord.app_commands.Choice[str]]:
    choices = []
    for label, value in suggestions[: limits.CHOICES]:
        name = plain(" ".join(str(label).split()))[: limits.CHOICE_NAME] or str(value)[: limits.CHOICE_NAME]
        text = str(value)
        if not name or not text or len(text) > limits.CHOICE_VALUE:
            continue  # a value Discord would reject must not sink the whole answer
        choices.append(discord.app_commands.Choice(name=name, value=text))
    return choices
