"""Replies rendered as Discord messages: complete, escaped, and inside every Discord limit."""
from __future__ import annotations

import re

from conftest import PAPERS
from fake_discord_wire import limit_violations

from paperboy.adapters.discord.render import render, render_card, render_list, render_text, thread_name
from paperboy.adapters.discord.text import escape, safe_url
from paperboy.bot.models import Paper
from paperboy.bot.replies import Card, Error, Notice, PaperList, Scored

REVERSAL, RETRO, IRL, HOSTILE = PAPERS


def shown(text: str) -> str:
    """What Discord displays for escaped markdown: escapes removed, zero-width spaces invisible."""
    return re.sub(r"\\([^0-9A-Za-z\s])", r"\1", text).replace("\u200b", "")


def unescaped(text: str, token: str) -> int:
    """How many times `token` appears in text without a backslash in front."""
    return len(re.findall(r"(?<!\\)" + re.escape(token), text))


def body(message) -> dict:
    return {"content": message.content, "embeds": list(message.embeds),
            "components": [{"type": 1, "components": [{"type": 2, "style": 5, "label": label, "url": url}
                                                      for label, url in message.buttons]}] if message.buttons else []}


def test_card_shows_title_link_authors_date_upvotes_summary_and_link_buttons():
    message = render_card(Card(REVERSAL, 0.97))
    (embed,) = message.embeds
    assert shown(embed["title"]) == REVERSAL.title
    assert embed["url"] == "https://arxiv.org/abs/2309.12288"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Authors"] == "Lukas Berglund, Meg Tong, Max Kaufmann, Mikita Balesni, Asa Cooper Stickland +2 more"
    assert fields["Published"] == "2023-09-21"
    assert fields["Upvotes"] == "▲ 12"
    assert [label for label, _ in message.buttons] == ["arXiv", "PDF", "Hugging Face", "Code"]
    assert dict(message.buttons)["Code"] == "https://github.com/lukasberglund/reversal_curse"
    assert limit_violations(body(message)) == []


def test_card_summary_prefers_ai_summary_and_trims_the_abstract_at_a_word():
    with_summary = REVERSAL.with_changes(ai_summary="Models trained on A is B do not learn B is A.")
    assert render_card(Card(with_summary)).embeds[0]["description"] == "Models trained on A is B do not learn B is A."

    long_abstract = REVERSAL.with_changes(abstract=" ".join(f"word{n}" for n in range(400)))
    description = render_card(Card(long_abstract)).embeds[0]["description"]
    assert description.endswith("…") and len(description) <= 420
    kept = description[:-1].split(" ")
    assert kept == [f"word{n}" for n in range(len(kept))]  # whole words only, in order


def test_card_lists_close_alternatives_as_links():
    message = render_card(Card(REVERSAL, 0.9, alternatives=(Scored(RETRO, 0.5), Scored(IRL, 0.4))))
    fields = {f["name"]: f["value"] for f in message.embeds[0]["fields"]}
    assert fields["Also close"].splitlines() == [
        "**1.** [Retro-Search: Exploring Untaken Paths for Deeper and Efficient Reasoning]"
        "(https://arxiv.org/abs/2504.04383) · ▲ 30",
        "**2.** [Quantifying the Sensitivity of Inverse Reinforcement Learning to Misspecification]"
        "(https://arxiv.org/abs/2312.00001)",
    ]


def test_hostile_text_can_neither_ping_nor_format_nor_link():
    message = render_card(Card(HOSTILE, note="@here <@&42> alert"))
    (embed,) = message.embeds
    texts = [message.content, embed["title"], embed["description"], *(f["value"] for f in embed["fields"])]
    for text in texts:
        assert "@everyone" not in text and "@here" not in text
        assert unescaped(text, "<") == 0  # no <@id>, <@&role>, <#channel>
        for token in ("**", "`", "||", "~~", "[", "_"):
            assert unescaped(text, token) == 0, (token, text)
    assert shown(embed["title"]) == HOSTILE.title  # shown literally, nothing lost
    assert not any(line.startswith(("#", ">")) for line in embed["description"].splitlines())
    assert [label for label, _ in message.buttons] == ["arXiv", "PDF", "Hugging Face"]  # no javascript: link


def test_escape_shows_any_text_literally():
    samples = [HOSTILE.title, HOSTILE.abstract or "", "1. a list\n- item\n> quote\n# head", "back\\slash *x*",
               "snake_case_name and __dunder__", "x < y > z | w ~ v"]
    for text in samples:
        assert shown(escape(text)) == text


def test_urls_that_would_break_a_link_or_are_not_web_links_are_refused_or_encoded():
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("ftp://example.org/x") is None
    assert safe_url("https://example.org/a (b)") == "https://example.org/a%20%28b%29"
    assert safe_url("https://example.org/" + "x" * 600) is None


def hostile_list(count: int, title_chars: int) -> PaperList:
    items = []
    for n in range(count):
        words = " ".join(["**bold** [x](http://e.x) @everyone <@1234567890123456> word"] * (title_chars // 60 + 1))
        paper = Paper(key=f"k{n}", arxiv_id=f"2401.{n:05d}", title=f"T{n} {words}"[:title_chars],
                      authors=("<@1>", "B"), upvotes=n)
        items.append(Scored(paper, float(n)))
    return PaperList("Trending papers — @everyone **today**", tuple(items), note="Top 25 · filter: @here")


def test_daily_list_of_25_huge_hostile_titles_stays_in_limits_and_keeps_every_line_whole():
    messages = render_list(hostile_list(25, 10_000))
    lines = []
    for message in messages:
        assert limit_violations(body(message)) == []
        assert message.problems() == []
        for embed in message.embeds:
            lines.extend(embed["description"].splitlines())
    assert [int(re.match(r"\*\*(\d+)\.\*\* ", line).group(1)) for line in lines] == list(range(1, 26))
    for line in lines:
        assert unescaped(line, "**") == 2  # only the number's own bold
        assert unescaped(line, "[") == 1 and unescaped(line, "](") == 1  # exactly one whole link
        link_end = re.search(r"(?<!\\)\]\(", line).end()
        assert line[link_end:].startswith("https://arxiv.org/abs/") and ")" in line[link_end:]
        assert "@everyone" not in line


def test_a_long_list_spreads_over_embeds_and_messages_without_breaking_limits():
    messages = render_list(hostile_list(300, 400))
    assert len(messages) > 1
    numbers = []
    for message in messages:
        assert limit_violations(body(message)) == []
        for embed in message.embeds:
            numbers += [int(n) for n in re.findall(r"^\*\*(\d+)\.\*\*", embed["description"], re.M)]
    assert numbers == list(range(1, 301))
    assert messages[0].embeds[0]["title"].startswith("Trending papers")
    assert messages[-1].embeds[-1]["footer"]["text"] == "Top 25 · filter: @\u200bhere"


def test_list_title_and_note_are_kept_and_an_empty_list_still_says_something():
    (message,) = render_list(PaperList("Trending papers — Tue 24 Nov 2026", (Scored(REVERSAL, 12.0),), note="Top 1"))
    assert message.embeds[0]["title"] == "Trending papers — Tue 24 Nov 2026"
    assert message.embeds[0]["footer"] == {"text": "Top 1"}
    (empty,) = render_list(PaperList("Nothing here"))
    assert empty.embeds[0]["description"] == "Nothing to show."


def test_notices_and_errors_become_plain_messages_split_at_lines_within_2000():
    (notice,) = render(Notice("Subscribed (#3): all of “diffusion”. /unsubscribe 3 stops it.", ephemeral=True))
    assert notice.content == "Subscribed (#3): all of “diffusion”. /unsubscribe 3 stops it."
    (error,) = render(Error("Unknown time zone “Mars/Base”."))
    assert error.content.startswith("⚠️ Unknown time zone")

    long_lines = "\n".join(f"line {n} " + "word " * 60 for n in range(60))
    parts = render_text(long_lines)
    assert len(parts) > 1 and all(len(p.content) <= 2000 for p in parts)
    assert "\n".join(p.content for p in parts) == long_lines  # split between lines, nothing lost

    (huge,) = render_text("x" * 3 + " word" * 4000)
    assert len(huge.content) <= 2000 and huge.content.endswith("word…")


def test_thread_names_are_plain_short_and_whole_words():
    name = thread_name(3, REVERSAL.with_changes(title="@everyone " + "Reasoning " * 30))
    assert len(name) <= 100 and name.startswith("3. @\u200beveryone Reasoning")
    assert name.endswith("Reasoning…")


def test_latex_in_titles_and_abstracts_shows_as_text_in_cards_lists_and_thread_names():
    math = Paper(key="1510.03908", arxiv_id="1510.03908",
                 title=r"Questions on provisional Coulomb branches of $3$-dimensional $\mathcal N=4$ gauge theories",
                 abstract=r"For $\Gamma$ a quiver, the Braverman--Finkelberg--Nakajima algebra.")
    (embed,) = render_card(Card(math)).embeds
    assert shown(embed["title"]) == "Questions on provisional Coulomb branches of 3-dimensional 𝒩=4 gauge theories"
    assert "For Γ a quiver, the Braverman–Finkelberg–Nakajima algebra." in embed["description"]
    listed = str([message.embeds for message in render_list(PaperList("Trending papers", (Scored(math, 1.0),)))])
    assert "𝒩=4" in listed and "mathcal" not in listed
    assert thread_name(1, math).startswith("1. Questions on provisional") and "mathcal" not in thread_name(1, math)


def test_a_published_version_gets_a_doi_button_whatever_its_characters():
    message = render_card(Card(REVERSAL.with_changes(doi="10.1000/a(b)@everyone c")))
    assert dict(message.buttons)["DOI"] == "https://doi.org/10.1000/a%28b%29%40everyone%20c"
    assert "DOI" not in dict(render_card(Card(REVERSAL.with_changes(doi="not a doi"))).buttons)
    assert limit_violations(body(message)) == []
