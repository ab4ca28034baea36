"""Slash commands generated from the core's specs, and interaction data read back."""
from __future__ import annotations

import pytest

from paperboy.adapters.discord.schema import (
    BOOLEAN,
    INTEGER,
    STRING,
    SUB_COMMAND,
    command_payload,
    command_payloads,
    read_command,
    same_commands,
    spec_for,
)
from paperboy.bot.commands.spec import Argument, CommandSpec
from paperboy.bot.commands.table import build_specs


async def _noop(core, inv):
    raise AssertionError("not called")


def by_name(items):
    return {item["name"]: item for item in items}


def test_every_spec_becomes_a_slash_command_usable_in_servers_and_dms():
    commands = by_name(command_payloads(build_specs()))
    assert set(commands) == {"paper", "subscribe", "unsubscribe", "subscriptions", "digest", "saved", "help"}
    for command in commands.values():
        assert command["type"] == 1 and 1 <= len(command["description"]) <= 100
        assert command["contexts"] == [0, 1] and command["integration_types"] == [0]


def test_options_carry_types_requiredness_length_limits_and_autocomplete():
    commands = by_name(command_payloads(build_specs()))
    (query,) = commands["paper"]["options"]
    assert query == {"type": STRING, "name": "query", "description": query["description"], "required": True,
                     "max_length": 500, "autocomplete": True}
    (sub_id,) = commands["unsubscribe"]["options"]
    assert sub_id["autocomplete"] is True and sub_id["required"] is True
    subscribe = by_name(commands["subscribe"]["options"])
    assert subscribe["query"]["required"] and not subscribe["notify"]["required"]
    assert "autocomplete" not in subscribe["query"]
    assert commands["subscriptions"]["options"] == [] and commands["help"]["options"] == []


def test_digest_has_show_config_and_off_subcommands_with_typed_options():
    digest = by_name(command_payloads(build_specs()))["digest"]
    subs = by_name(digest["options"])
    assert set(subs) == {"show", "config", "off"} and all(s["type"] == SUB_COMMAND for s in subs.values())
    config = by_name(subs["config"]["options"])
    assert set(config) == {"time", "tz", "top", "min_upvotes", "filter", "sources", "threads", "every", "day", "lag"}
    assert config["tz"]["autocomplete"] is True and config["time"]["max_length"] == 5
    assert config["top"]["type"] == INTEGER and config["threads"]["type"] == BOOLEAN
    assert "max_length" not in config["top"] and not any(o["required"] for o in config.values())


def test_saved_has_list_add_remove_bibtex_and_clear():
    saved = by_name(command_payloads(build_specs()))["saved"]
    subs = by_name(saved["options"])
    assert set(subs) == {"list", "add", "remove", "bibtex", "clear"}
    assert by_name(subs["add"]["options"])["paper"]["autocomplete"] is True
    assert by_name(subs["remove"]["options"])["number"]["type"] == INTEGER


def test_required_options_come_first_and_names_and_descriptions_fit_discord():
    spec = CommandSpec("Find Paper", "d" * 300, _noop, arguments=(
        Argument("extra", "optional first", required=False), Argument("query", "x " * 80),
        Argument("count", "n", kind="integer", required=True)))
    payload = command_payload(spec)
    assert payload["name"] == "find_paper" and len(payload["description"]) <= 100
    assert [o["name"] for o in payload["options"]] == ["query", "count", "extra"]
    assert all(len(o["description"]) <= 100 for o in payload["options"])


def test_unsupported_spec_shapes_are_refused_loudly():
    with pytest.raises(ValueError):
        command_payload(CommandSpec("x", "d", _noop, arguments=(Argument("when", "d", kind="date"),)))
    with pytest.raises(ValueError):
        command_payload(CommandSpec("x", "d", _noop, arguments=(Argument("a", "d"),),
                                    subcommands=(CommandSpec("s", "d", _noop),)))


def test_registered_commands_with_discords_extra_fields_count_as_already_synced():
    wanted = command_payloads(build_specs())
    registered = []
    for n, command in enumerate(wanted):
        stored = dict(command, id=str(1000 + n), application_id="1", version="7", default_member_permissions=None,
                      dm_permission=True)
        registered.append(stored)
    assert same_commands(list(reversed(registered)), wanted)
    changed = [dict(c) for c in registered]
    changed[0]["description"] = "an older description"
    assert not same_commands(changed, wanted)
    assert not same_commands(registered[:-1], wanted)


def test_reading_subcommands_options_and_the_focused_option():
    data = {"name": "digest", "type": 1, "options": [{"type": 1, "name": "config", "options": [
        {"type": 3, "name": "time", "value": "09:00"}, {"type": 3, "name": "tz", "value": "Europe/Be", "focused": True},
        {"type": 5, "name": "threads", "value": True}]}]}
    call = read_command(data)
    assert (call.name, call.subcommand, call.focused) == ("digest", "config", "tz")
    assert call.options == {"time": "09:00", "tz": "Europe/Be", "threads": True}
    spec, sub = spec_for(build_specs(), call)
    assert spec.name == "digest" and sub.name == "config" and sub.needs_configure
    assert spec_for(build_specs(), read_command({"name": "gone"})) == (None, None)
