"""A card's Save and BibTeX buttons and `/paper saved` over Socket Mode: clicks acknowledged in time,
answered only to the clicker; an export too long for a message arrives as a .bib file in the
clicker's DM (files upload v2), parsed back."""
from __future__ import annotations

import json

import bibtexparser
from named_papers import DESCRIBED_LORA, LORA_AND_A_USER
from slack_payloads import card_click
from slack_steps import ACK_DEADLINE, slash

from paperboy.bot.models import Paper


def card_buttons(answer) -> dict[str, dict]:
    return {e["action_id"]: e for b in answer.body["blocks"] if b["type"] == "actions" for e in b["elements"]}


async def click(fake, button: dict, *, user: str = "U0ALICE") -> dict:
    url = fake.response_url()
    envelope = await fake.send_envelope("interactive", card_click(
        button["action_id"], button["value"], button["text"]["text"], response_url=url, user=user))
    assert (await fake.ack_for(envelope)).delay < ACK_DEADLINE
    [response] = await fake.wait_until(lambda: fake.responses_to(url))
    return response


async def test_a_looked_up_card_carries_save_bibtex_and_similar(fake, slack):
    answer = await slash(fake, "2309.12288")
    buttons = card_buttons(answer)
    assert {"paperboy_card_save", "paperboy_card_bibtex", "paperboy_card_similar"} <= set(buttons)
    assert buttons["paperboy_card_save"]["value"] == "pb:save:2309.12288"


async def test_save_then_list_then_bibtex_each_private_to_the_clicker(fake, slack, store):
    buttons = card_buttons(await slash(fake, "2309.12288"))
    saved = await click(fake, buttons["paperboy_card_save"])
    assert saved["response_type"] == "ephemeral" and saved["replace_original"] is False
    assert "Saved" in json.dumps(saved["blocks"])
    assert [p.key for p, _ in store.saved_papers("slack", "", "U0ALICE")] == ["2309.12288"]

    listed = await slash(fake, "saved")
    assert listed.ephemeral and "Reversal Curse" in listed.all_text
    assert "empty" in (await slash(fake, "saved", user="U0BOB")).all_text

    bib = await click(fake, buttons["paperboy_card_bibtex"])
    code = next(b["text"]["text"] for b in bib["blocks"] if b["type"] == "section")
    text = code.strip("`").replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    [entry] = bibtexparser.loads(text).entries
    assert entry["eprint"] == "2309.12288"


async def test_a_long_export_goes_to_the_callers_dm_as_a_bib_file(fake, slack, store):
    many = [Paper(key=f"2502.{n:05d}", arxiv_id=f"2502.{n:05d}", title=f"Result {n}: <!channel> & {{more}}",
                  authors=("Grace Hopper",), published="2025-02-01", categories=("cs.PL",)) for n in range(30)]
    store.upsert_papers(many, "2026-11-24T00:00:00Z")
    for paper in many:
        store.save_paper("slack", "", "U0ALICE", paper.key, "2026-11-24T00:00:00Z")
    answer = await slash(fake, "saved bibtex")
    assert answer.ephemeral and "paperboy-reading-list.bib" in answer.all_text
    [upload] = await fake.wait_until(lambda: fake.completed_uploads())
    assert upload["channel"] == "D0ALICE" and upload["filename"] == "paperboy-reading-list.bib"
    entries = bibtexparser.loads(upload["data"].decode()).entries
    assert sorted(e["eprint"] for e in entries) == sorted(p.arxiv_id for p in many)
    assert all("<!channel>" not in e["title"] or r"\&" in e["title"] for e in entries)


async def test_similar_button_answers_the_clicker_with_papers_like_it(fake, slack, store):
    store.upsert_papers([Paper(key="2310.00001", arxiv_id="2310.00001",
                               title="Reversal curse in knowledge editing of large language models",
                               abstract="The reversal curse: models trained on A is B fail on B is A.",
                               authors=("Owain Evans",), published="2023-10-01", categories=("cs.CL",))],
                        "2026-11-24T00:00:00Z")
    buttons = card_buttons(await slash(fake, "2309.12288"))
    similar = await click(fake, buttons["paperboy_card_similar"])
    assert similar["response_type"] == "ephemeral"
    shown = json.dumps(similar["blocks"])
    assert "Papers like" in shown and "Reversal curse in knowledge editing" in shown


async def test_paper_trend_uploads_the_chart_in_the_channel_and_lists_the_top_papers(fake, slack):
    answer = await slash(fake, 'trend reversal | "reinforcement learning"')
    [upload] = fake.completed_uploads("C0PAPERS")
    assert upload["filename"].endswith(".png") and upload["data"][:8] == b"\x89PNG\r\n\x1a\n"
    assert upload["title"].startswith("Papers per month") and "reversal" in upload["alt_txt"].lower()
    assert answer.body["response_type"] == "in_channel"
    assert answer.header.startswith("Papers per month")


async def test_a_trend_where_paperboy_cannot_post_says_how_to_fix_it(fake, slack):
    from fake_slack import Channel

    fake.add_channel(Channel("G0SECRET", "secret", creator="U0ALICE", is_private=True, bot_is_member=False))
    answer = await slash(fake, "trend reversal", channel="G0SECRET")
    assert answer.ephemeral and "/invite @paperboy" in answer.all_text
    assert not fake.completed_uploads()


async def test_paper_by_its_name_answers_the_paper_that_introduced_it(fake, slack, store):
    store.upsert_papers(LORA_AND_A_USER, "2026-11-24T00:00:00Z")
    answer = await slash(fake, "lora")
    assert answer.header.startswith("LoRA: Low-Rank Adaptation")


async def test_paper_by_a_description_lists_the_paper_whose_abstract_says_it(fake, slack, store):
    store.upsert_papers(LORA_AND_A_USER, "2026-11-24T00:00:00Z")
    answer = await slash(fake, DESCRIBED_LORA)
    assert answer.header.startswith("No confident match") and answer.ephemeral
    first = next(b for b in answer.body["blocks"] if b["type"] == "section")
    assert "LoRA: Low-Rank Adaptation" in json.dumps(first)
