"""A card's Save and BibTeX buttons and /saved, driven end to end: a click (INTERACTION_CREATE type 3)
from the fake gateway, the real client, the core, the answer sent back only to the clicker; long
BibTeX goes as an attached file, parsed back."""
from __future__ import annotations

import bibtexparser
import pytest
from conftest import START
from fake_discord import FakeDiscord

from paperboy.bot.clock import iso
from paperboy.bot.models import Paper

EPHEMERAL = 64
USER = "555555555555555555"
OTHER = "555555555555555556"


async def click(fake: FakeDiscord, custom_id: str, **where):
    record = await fake.interact(fake.component_payload(custom_id, **where))
    await record.wait_for(lambda r: r.callbacks and (r.callback["type"] == 4 or r.followups))
    return record


def answer_of(record) -> dict:
    """The message shown to the clicker: the direct answer, or the follow-up after a deferral."""
    if record.callback["type"] == 4:
        return record.callback["data"]
    return record.followups[0].body


async def test_save_then_bibtex_buttons_answer_only_the_clicker(running, fake, store):
    saved = answer_of(await click(fake, "pb:save:2309.12288"))
    assert saved["flags"] & EPHEMERAL and "Saved “The Reversal Curse" in saved["content"]
    assert [p.key for p, _ in store.saved_papers("discord", "", USER)] == ["2309.12288"]
    again = answer_of(await click(fake, "pb:save:2309.12288"))
    assert "already on your reading list" in again["content"]

    bib = answer_of(await click(fake, "pb:bibtex:2309.12288"))
    assert bib["flags"] & EPHEMERAL
    text = bib["content"].split("```", 2)[1]
    [entry] = bibtexparser.loads(text).entries
    assert entry["eprint"] == "2309.12288" and entry["primaryclass"] == "cs.CL"


async def test_a_list_is_the_same_in_a_dm_and_nobody_elses(running, fake, store):
    await click(fake, "pb:save:2504.04383")  # in the server
    record = await fake.interact(fake.interaction_payload("saved", [], subcommand="list", dm=True))
    await record.wait_for(lambda r: r.callbacks)
    mine = answer_of(record)
    assert mine["flags"] & EPHEMERAL and "Retro-Search" in mine["embeds"][0]["description"]
    other = await fake.interact(fake.interaction_payload("saved", [], subcommand="list", user_id=OTHER))
    await other.wait_for(lambda r: r.callbacks)
    assert "empty" in answer_of(other)["content"]


async def test_a_long_export_comes_as_a_bib_file_that_parses_back(running, fake, store):
    many = [Paper(key=f"2501.{n:05d}", arxiv_id=f"2501.{n:05d}", title=f"Study number {n} of {{braces}} & 100% care",
                  authors=("Ada Lovelace", "Alan Turing"), published="2025-01-02", categories=("cs.LG",))
            for n in range(40)]
    store.upsert_papers(many, iso(START))
    for paper in many:
        store.save_paper("discord", "", USER, paper.key, "2026-11-24T00:00:00Z")
    record = await fake.interact(fake.interaction_payload("saved", [], subcommand="bibtex"))
    await record.wait_for(lambda r: r.callbacks and (r.callback["type"] == 4 or r.followups))
    call = record.callbacks[0] if record.callback["type"] == 4 else record.followups[0]
    body = call.body
    data = body.get("data", body)
    assert data["flags"] & EPHEMERAL and "attached" in data["content"]
    [attached] = body["_files"]
    assert attached["filename"] == "paperboy-reading-list.bib"
    entries = bibtexparser.loads(attached["data"].decode()).entries
    assert len(entries) == 40 and len({e["ID"] for e in entries}) == 40
    assert {e["eprint"] for e in entries} == {p.arxiv_id for p in many}


async def test_a_click_on_a_button_that_is_not_ours_gets_no_answer(running, fake):
    record = await fake.interact(fake.component_payload("someone-else:thing"))
    with pytest.raises(TimeoutError):
        await record.wait_for(lambda r: r.callbacks, timeout=0.5)


async def test_similar_button_answers_the_clicker_with_papers_like_it(running, fake, store):
    store.upsert_papers([Paper(key="2310.00001", arxiv_id="2310.00001",
                               title="Reversal curse in knowledge editing of large language models",
                               abstract="The reversal curse: models trained on A is B fail on B is A.",
                               authors=("Owain Evans",), published="2023-10-01", categories=("cs.CL",))],
                        iso(START))
    answer = answer_of(await click(fake, "pb:similar:2309.12288"))
    assert answer["flags"] & EPHEMERAL
    (embed,) = answer["embeds"]
    assert embed["title"].startswith("Papers like")
    assert "2310.00001" in embed["description"] and "2309.12288" not in embed["description"]
