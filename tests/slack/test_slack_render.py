"""Block Kit rendering: the card layout, Slack's limits, escaping, fallbacks, routing words."""
from __future__ import annotations

import json
import re

import pytest
from slack_blocks import check_blocks

from paperboy.adapters.slack.blocks import SHARE_ACTION, paper_key_from_share, render
from paperboy.adapters.slack.context import UMBRELLA
from paperboy.adapters.slack.text import chunks, escape, fit, plain_message_text, safe_url
from paperboy.bot.commands.table import build_specs
from paperboy.bot.commands.typed import TypedCommands
from paperboy.bot.models import Paper
from paperboy.bot.replies import Card, Error, Notice, PaperList, Scored

HOSTILE = "<!channel> <!here> <@U123ABC> *bold* _it_ & <https://evil.example|click me> `code`"


def paper(**changes) -> Paper:
    base = Paper(key="2309.12288", arxiv_id="2309.12288", title="The Reversal Curse: LLMs trained on \"A is B\" fail to learn \"B is A\"",
                 abstract="We expose a surprising failure of generalization in auto-regressive large language models.",
                 authors=("Lukas Berglund", "Meg Tong", "Max Kaufmann"), published="2023-09-21", upvotes=42,
                 code_url="https://github.com/lukasberglund/reversal_curse")
    return base.with_changes(**changes)


def texts(blocks) -> list[str]:
    """Every text string in a message's blocks."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(blocks)
    return found


def unescaped(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def test_card_has_header_summary_context_and_link_buttons():
    message = render(Card(paper(), 0.97), share=True)
    check_blocks(message.blocks)
    kinds = [b["type"] for b in message.blocks]
    assert kinds[:4] == ["header", "section", "context", "actions"]
    header, section, context, actions = message.blocks[:4]
    assert unescaped(header["text"]["text"]) == paper().title
    assert section["text"]["text"].startswith("We expose a surprising failure")
    meta = " ".join(e["text"] for e in context["elements"])
    assert "Lukas Berglund, Meg Tong, Max Kaufmann" in meta and "2023-09-21" in meta and "42 upvotes" in meta
    buttons = {e["text"]["text"]: e for e in actions["elements"]}
    assert buttons["arXiv"]["url"] == "https://arxiv.org/abs/2309.12288"
    assert buttons["PDF"]["url"] == "https://arxiv.org/pdf/2309.12288"
    assert buttons["Code"]["url"] == "https://github.com/lukasberglund/reversal_curse"
    share = buttons["Post to channel"]
    assert share["action_id"] == SHARE_ACTION and paper_key_from_share(share["value"]) == "2309.12288"
    assert "The Reversal Curse" in message.text and "https://arxiv.org/abs/2309.12288" in message.text


def test_card_without_share_has_no_share_button_and_alternatives_are_listed():
    alt = Scored(paper(key="2401.00001", arxiv_id="2401.00001", title="Reversal curse, revisited"), 0.7)
    message = render(Card(paper(), 0.9, (alt,)))
    check_blocks(message.blocks)
    assert SHARE_ACTION not in json.dumps(message.blocks)
    assert "Reversal curse, revisited (arXiv:2401.00001)" in message.blocks[-1]["elements"][0]["text"]


@pytest.mark.parametrize("make", [
    lambda: Card(paper(title=HOSTILE, abstract=HOSTILE, authors=(HOSTILE,), venue=HOSTILE)),
    lambda: PaperList(HOSTILE, (Scored(paper(title=HOSTILE, authors=(HOSTILE,)), 1.0),), note=HOSTILE),
    lambda: Notice(HOSTILE),
    lambda: Error(HOSTILE),
])
def test_hostile_text_can_neither_ping_nor_format(make):
    message = render(make())
    check_blocks(message.blocks)
    for text in texts(message.blocks) + [message.text]:
        assert "<!" not in text and "<@" not in text and "<http" not in text
    # Paper and user text only ever lands in plain_text objects, where * _ ` are not formatting.
    for text_object in _text_objects(message.blocks):
        if "bold" in text_object["text"]:
            assert text_object["type"] == "plain_text"
    assert "&lt;!channel&gt;" in message.text
    assert any("&lt;@U123ABC&gt; *bold*" in t for t in texts(message.blocks))


def _text_objects(node):
    if isinstance(node, dict):
        if node.get("type") in ("plain_text", "mrkdwn"):
            yield node
        for value in node.values():
            yield from _text_objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from _text_objects(value)


def test_long_title_and_abstract_are_cut_at_word_boundaries_within_limits():
    words = [f"word{n}" for n in range(200)]
    title = " ".join(words)
    abstract = " ".join(f"abstract{n} & more" for n in range(2000))
    message = render(Card(paper(title=title, abstract=abstract)))
    check_blocks(message.blocks)
    header = message.blocks[0]["text"]["text"]
    assert len(header) <= 150 and header.endswith("…")
    kept = header[:-1].split(" ")
    assert kept == words[:len(kept)]  # whole words only
    section = message.blocks[1]["text"]["text"]
    assert len(section) <= 3000 and section.endswith("…")
    assert not re.search(r"&(a|am|amp|l|lt|g|gt)?…$", section)  # never half an entity
    assert len(message.text) <= 3000


def test_escaping_counts_against_the_limit_and_never_splits_an_entity():
    text = fit("& " * 200, 150)
    assert len(text) <= 150
    assert re.fullmatch(r"(&amp; )*&amp;…", text)


def test_a_single_huge_word_is_still_cut_to_fit():
    text = fit("x" * 5000, 150)
    assert len(text) == 150 and text.endswith("…")


def test_list_of_many_papers_stays_within_fifty_blocks():
    items = tuple(Scored(paper(key=f"2401.{n:05d}", arxiv_id=f"2401.{n:05d}", title=f"Paper {n}"), 1.0)
                  for n in range(120))
    message = render(PaperList("Today's papers", items, note="Hugging Face Daily Papers"))
    check_blocks(message.blocks)
    assert len(message.blocks) == 50
    assert message.blocks[-1]["elements"][0]["text"] == "…and 73 more."
    item = message.blocks[2]
    assert item["text"]["text"].startswith("1. Paper 0")
    assert item["accessory"]["url"] == "https://arxiv.org/abs/2401.00000"


def test_long_notice_is_split_into_sections_without_losing_text():
    lines = [f"#{n}  diffusion models for subscription number {n} & friends" for n in range(200)]
    message = render(Notice("\n".join(lines)))
    check_blocks(message.blocks)
    assert len(message.blocks) > 1
    joined = "\n".join(unescaped(b["text"]["text"]) for b in message.blocks)
    assert joined == "\n".join(lines)


def test_chunks_split_overlong_lines_between_words():
    line = " ".join(["alpha&beta"] * 1000)
    pieces = chunks(line, 3000)
    assert all(len(p) <= 3000 for p in pieces)
    assert " ".join(unescaped(p) for p in pieces) == line


@pytest.mark.parametrize("url, expected", [
    ("https://arxiv.org/abs/2309.12288", "https://arxiv.org/abs/2309.12288"),
    ("javascript:alert(1)", None),
    ("data:text/html,hi", None),
    ("https://example.org/a|b>c d", "https://example.org/a%7Cb%3Ec%20d"),
    ("not a url", None),
    ("", None),
])
def test_only_http_links_become_buttons(url, expected):
    assert safe_url(url) == expected


def test_card_drops_unsafe_links():
    message = render(Card(paper(project_url="javascript:alert(1)", code_url="https://x.org/<@U1>")))
    urls = [e.get("url") for b in message.blocks if b["type"] == "actions" for e in b["elements"]]
    assert "javascript:alert(1)" not in urls and "https://x.org/%3C@U1%3E" in urls


def test_escape_only_touches_the_three_control_characters():
    assert escape("a & b < c > d 'e' \"f\"") == "a &amp; b &lt; c &gt; d 'e' \"f\""


def test_message_text_from_slack_is_unwrapped():
    text = "<@U0PAPERBOY> look at <https://arxiv.org/abs/2309.12288|arxiv.org/abs/2309.12288> &amp; tell me"
    assert plain_message_text(text) == "look at https://arxiv.org/abs/2309.12288 & tell me"


# ---- routing -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def router() -> TypedCommands:
    return TypedCommands(build_specs(), umbrella=UMBRELLA)


@pytest.mark.parametrize("text, command, args", [
    ("reversal curse", "paper", "reversal curse"),
    ("2309.12288", "paper", "2309.12288"),
    ("sub diffusion -medical", "subscribe", "diffusion -medical"),
    ("subscribe   diffusion", "subscribe", "diffusion"),
    ("unsub 3", "unsubscribe", "3"),
    ("subs", "subscriptions", ""),
    ("SUBS", "subscriptions", ""),
    ("digest", "digest", ""),
    ("digest config time=09:00 tz=America/New_York", "digest", "config time=09:00 tz=America/New_York"),
    ("help", "help", ""),
    ("help me find attention papers", "paper", "help me find attention papers"),
    ("subscriptions are all you need", "paper", "subscriptions are all you need"),
])
def test_routing_follows_the_specs(router, text, command, args):
    route = router.route(text)
    assert (route.spec.name, route.command, route.args) == (command, command, args)


def test_only_configuration_asks_for_rights(router):
    assert router.route("digest config time=09:00").may_need_rights
    assert router.route("digest off").may_need_rights
    assert router.route("digest time=09:00").may_need_rights
    assert not router.route("digest").may_need_rights
    assert not router.route("digest show").may_need_rights
    assert not router.route("reversal curse").may_need_rights


def test_command_names_are_said_in_slack_words(router):
    say = router.syntax.say
    assert f"{say('unsubscribe 3')} stops it. {say('subscriptions')} lists yours." == \
        "/paper unsub 3 stops it. /paper subs lists yours."
    assert f"Try {say('help')} or {say('digest config time=09:00')}" == \
        "Try /paper help or /paper digest config time=09:00"
    assert say("paper 2309.12288") == "/paper 2309.12288"


async def test_core_replies_to_slack_name_commands_in_slack_words(router):
    from paperboy.bot.commands.dispatch import build_core
    from paperboy.bot.commands.invocation import Place
    from paperboy.storage.sqlite import SQLiteStore

    core = build_core(SQLiteStore(memory=True))
    route = router.route("unsub 4")
    reply = await core.dispatch(router.invocation(route, user="U1", place=Place("slack", "T1", "C1")))
    assert isinstance(reply, Error) and reply.text == "You have no subscription #4. /paper subs lists yours."
    message = render(reply)
    assert "/paper subs lists yours" in message.blocks[0]["text"]["text"] and "/paper subs" in message.text


def test_latex_in_titles_and_abstracts_shows_as_text():
    math = Paper(key="1910.03186", arxiv_id="1910.03186",
                 title="$K$-theoretic Coulomb branches of quiver gauge theories and cluster varieties",
                 abstract=r"For $\Gamma$ a quiver without 1-cycles.")
    message = render(Card(math))
    header, section = message.blocks[:2]
    assert unescaped(header["text"]["text"]) == "K-theoretic Coulomb branches of quiver gauge theories and cluster varieties"
    assert "For Γ a quiver" in section["text"]["text"] and "$" not in message.text


def test_a_published_version_gets_a_doi_button_whatever_its_characters():
    message = render(Card(paper(doi="10.1000/a(b)<!channel> c")))
    urls = {e["text"]["text"]: e["url"] for b in message.blocks if b["type"] == "actions" for e in b["elements"]
            if "url" in e}
    assert urls["DOI"] == "https://doi.org/10.1000/a%28b%29%3C%21channel%3E%20c"
    assert "DOI" not in str(render(Card(paper(doi="javascript:alert(1)"))).blocks)
