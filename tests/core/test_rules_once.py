"""Rules declared on the specs are enforced once, by dispatch (and Discord's schema), not by each
handler; and the bot is built whole: nothing sets a built core's internals."""
from __future__ import annotations

import ast
from pathlib import Path

from paperboy.adapters.discord.schema import MANAGE_CHANNELS, command_payload
from paperboy.bot.commands.invocation import Invocation, Place
from paperboy.bot.commands.spec import CommandSpec
from paperboy.bot.replies import Error, Notice

REPO = Path(__file__).resolve().parents[2]


async def test_dispatch_refuses_a_command_that_needs_rights_the_caller_lacks(testbot, store):
    place = Place("discord", "g1", "c1")
    for words in ("config time=09:00 tz=UTC", "time=09:00", "on", "off"):
        refused = await testbot.core.dispatch(Invocation("digest", words, "u1", place, can_configure=False))
        assert isinstance(refused, Error), words
        assert refused.text.startswith("Only people who can manage this channel can use /digest ")
    assert store.get_channel("discord", "g1", "c1") is None  # no handler ran
    shown = await testbot.core.dispatch(Invocation("digest", "", "u1", place, can_configure=False))
    assert not (isinstance(shown, Error) and "manage" in shown.text)
    allowed = await testbot.core.dispatch(Invocation("digest", "config time=09:00 tz=UTC", "u1", place,
                                                     can_configure=True))
    assert isinstance(allowed, Notice) and store.get_channel("discord", "g1", "c1").daily_time == "09:00"


def test_discord_hides_a_command_that_needs_rights_from_members_without_them():
    async def nothing(ctx, inv):
        return Notice("")

    guarded = command_payload(CommandSpec(name="purge", description="Empty the channel's posts", handler=nothing,
                                          needs_configure=True))
    assert guarded["default_member_permissions"] == str(MANAGE_CHANNELS)
    mixed = command_payload(CommandSpec(name="digest", description="Posts", handler=nothing, subcommands=(
        CommandSpec(name="show", description="Show", handler=nothing),
        CommandSpec(name="off", description="Off", handler=nothing, needs_configure=True))))
    assert "default_member_permissions" not in mixed  # /digest show stays public; dispatch guards off


def test_no_handler_checks_the_caller_s_rights_itself():
    for path in sorted((REPO / "bot" / "commands").glob("*.py")):
        if path.name in ("dispatch.py", "invocation.py", "typed.py", "spec.py"):
            continue
        assert "can_configure" not in path.read_text(), path.name


def test_nothing_sets_a_built_core_s_internals():
    internals = {"admission", "ranker", "max_pending", "context", "matcher", "kinds"}
    for folder in ("paperboy", "bot", "adapters"):
        for path in sorted((REPO / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target] \
                    if isinstance(node, ast.AugAssign | ast.AnnAssign) else []
                for target in targets:
                    if isinstance(target, ast.Attribute) and target.attr in internals:
                        owner = target.value
                        assert isinstance(owner, ast.Name) and owner.id == "self", \
                            f"{path.relative_to(REPO)}:{node.lineno} sets {ast.unparse(target)}"
