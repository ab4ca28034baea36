"""deploy/slack/manifest.yaml asks for what paperboy uses: its command, events, link domains, scopes."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from paperboy.adapters.slack.context import SLASH_COMMAND, UMBRELLA
from paperboy.bot.commands.table import build_specs
from paperboy.bot.commands.typed import TypedCommands
from paperboy.bot.ids import find_paper_links

MANIFEST = Path(__file__).resolve().parents[2] / "deploy" / "slack" / "manifest.yaml"


def yaml_list(key: str) -> list[str]:
    """The `- item` lines under `key:` (the manifest is plain block YAML; no parser is installed)."""
    lines = MANIFEST.read_text().splitlines()
    start = next(n for n, line in enumerate(lines) if re.match(rf"^\s*{re.escape(key)}:\s*(#.*)?$", line))
    indent = len(lines[start]) - len(lines[start].lstrip())
    items = []
    for line in lines[start + 1:]:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if len(line) - len(line.lstrip()) <= indent and not line.lstrip().startswith("- "):
            break
        found = re.match(r"^\s*-\s+([^#]+?)\s*(#.*)?$", line)
        if found:
            items.append(found.group(1))
    return items


def value(key: str) -> str:
    found = re.search(rf"^\s*{re.escape(key)}:\s*(.+?)\s*(#.*)?$", MANIFEST.read_text(), re.MULTILINE)
    assert found, key
    return found.group(1).strip('"')


def test_events_are_the_two_listened_to():
    assert yaml_list("bot_events") == ["app_mention", "link_shared"]


def test_scopes_are_exactly_the_ones_used():
    assert sorted(yaml_list("bot")) == sorted([
        "commands", "chat:write", "chat:write.public", "app_mentions:read", "links:read", "links:write", "files:write",
        "im:write", "users:read", "channels:read", "groups:read",
        "channels:history", "groups:history", "im:history", "mpim:history"])


def test_the_command_and_its_hint_match_the_specs():
    assert value("- command") == SLASH_COMMAND
    hint = value("usage_hint")
    commands = TypedCommands(build_specs(), umbrella=UMBRELLA)
    for spec in commands.specs:
        assert commands.syntax.say(spec.name).removeprefix(SLASH_COMMAND).strip() in hint


@pytest.mark.parametrize("link", [
    "https://arxiv.org/abs/2309.12288", "https://export.arxiv.org/abs/2309.12288", "https://arxiv.org/pdf/2309.12288v2",
    "https://ar5iv.labs.arxiv.org/html/2309.12288", "https://ar5iv.org/abs/2309.12288",
    "https://huggingface.co/papers/2309.12288", "https://hf.co/papers/2309.12288",
    "https://www.alphaxiv.org/abs/2309.12288", "https://alphaxiv.org/overview/2309.12288",
])
def test_every_paper_link_paperboy_reads_is_in_an_unfurl_domain(link):
    assert find_paper_links(link) == [link]
    host = link.split("/")[2]
    domains = yaml_list("unfurl_domains")
    assert len(domains) <= 5  # Slack's limit
    assert any(host == d or host.endswith("." + d) for d in domains)


def test_socket_mode_and_the_button_are_on():
    assert value("socket_mode_enabled") == "true"
    assert value("is_enabled") == "true"
