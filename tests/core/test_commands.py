"""The chat commands, driven through the real Core as a user would type them."""
from __future__ import annotations

from datetime import timedelta

import pytest

from paperboy.bot.clock import iso
from paperboy.bot.delivery.fetch_log import record_fetch
from paperboy.bot.models import Paper
from paperboy.bot.replies import Card, Error, Notice, PaperList
from paperboy.bot.serialize import reply_from_dict, reply_to_dict, reply_to_json_result
from paperboy.bot.sources import SourceError


async def test_help_lists_every_command(testbot):
    reply = await testbot.exec_command("/help")
    assert isinstance(reply, Notice)
    for name in ("/paper", "/subscribe", "/unsubscribe", "/subscriptions", "/digest", "/digest config", "/digest off"):
        assert name in reply.text


async def test_unknown_command_is_a_clear_error(testbot):
    reply = await testbot.exec_command("/papr 2309.12288")
    assert isinstance(reply, Error) and "/help" in reply.text


@pytest.mark.parametrize("line", ["/paper 2309.12288", "/paper arXiv:2309.12288v2",
                                  "/paper https://arxiv.org/abs/2309.12288", "/paper reversal curse"])
async def test_paper_finds_the_reversal_curse(testbot, line):
    reply = await testbot.exec_command(line)
    assert isinstance(reply, Card), reply
    assert reply.paper.arxiv_id == "2309.12288"


async def test_paper_forgives_typos(testbot):
    reply = await testbot.exec_command("/paper retro serch untaken paths")
    assert isinstance(reply, Card)
    assert reply.paper.arxiv_id == "2504.04383"


async def test_paper_without_query_explains_usage(testbot):
    reply = await testbot.exec_command("/paper")
    assert isinstance(reply, Error) and "/paper 2309.12288" in reply.text


async def test_ten_thousand_characters_get_a_clear_answer(testbot):
    reply = await testbot.exec_command("/paper " + "a" * 10_000)
    assert isinstance(reply, Error)
    assert "10,000" in reply.text and "500" in reply.text


@pytest.mark.parametrize("command", ["/paper", "/subscribe", "/paper trend", "/saved add", "/paper similar"])
async def test_the_argument_limit_is_the_one_the_answer_states(testbot, command):
    """One limit, 500 characters, enforced and stated alike for every command."""
    name, _, word = command.partition(" ")

    def arguments(length: int) -> str:
        return ((f"{word} " if word else "") + "memory " * 100)[: length - 1] + "s"

    too_long = await testbot.exec_command(f"{name} {arguments(501)}")
    assert isinstance(too_long, Error), too_long
    assert "501 characters" in too_long.text and "takes at most 500." in too_long.text, too_long.text
    at_the_limit = await testbot.exec_command(f"{name} {arguments(500)}")
    assert not (isinstance(at_the_limit, Error) and "500" in at_the_limit.text), at_the_limit


@pytest.mark.parametrize("query", ['"', '"unclosed', "NEAR(a b)", "a AND OR NOT", "(((", "*", "-", "title:x",
                                   "💥 ünïcödé", "^start", "a:b:c", "'; DROP TABLE papers; --"])
async def test_fts_syntax_in_queries_never_breaks(testbot, store, query):
    before = store.count_papers()
    reply = await testbot.exec_command(f"/paper {query}")
    assert isinstance(reply, (Card, PaperList, Notice, Error))
    assert not (isinstance(reply, Error) and "went wrong" in reply.text)
    assert store.count_papers() == before


async def test_nonsense_is_not_presented_as_an_answer(testbot):
    reply = await testbot.exec_command("/paper zzzqx wobblefrump quixotic nonsense")
    assert not isinstance(reply, Card)


async def test_subscribe_list_unsubscribe_round_trip(testbot):
    reply = await testbot.exec_command('/subscribe diffusion -medical author:"Lee"')
    assert isinstance(reply, Notice) and "#1" in reply.text
    listed = await testbot.exec_command("/subscriptions")
    assert "#1" in listed.text and "diffusion" in listed.text
    other = await testbot.exec_command("/unsubscribe 1", user="mallory")
    assert isinstance(other, Error)  # someone else's subscription is not yours to remove
    gone = await testbot.exec_command("/unsubscribe 1")
    assert isinstance(gone, Notice) and "#1" in gone.text
    empty = await testbot.exec_command("/subscriptions")
    assert "no subscriptions" in empty.text


async def test_subscribe_twice_keeps_one(testbot, store):
    await testbot.exec_command("/subscribe reasoning")
    again = await testbot.exec_command("/subscribe reasoning")
    assert "already" in again.text
    assert len(store.subscriptions_of("console", "lab", "alice")) == 1


@pytest.mark.parametrize("query", ['author:"Lee', "", "-medical", "OR", "foo:bar"])
async def test_invalid_subscription_says_what_is_wrong(testbot, store, query):
    reply = await testbot.exec_command(f"/subscribe {query}")
    assert isinstance(reply, Error)
    assert len(reply.text) > 20
    assert store.subscriptions_of("console", "lab", "alice") == []


async def test_subscribe_notify_channel_needs_a_channel(testbot):
    reply = await testbot.exec_command("/subscribe reasoning notify=channel", is_dm=True)
    assert isinstance(reply, Error)
    ok = await testbot.exec_command("/subscribe reasoning notify=channel")
    assert isinstance(ok, Notice) and "mention" in ok.text


async def test_unsubscribe_needs_a_number(testbot):
    reply = await testbot.exec_command("/unsubscribe all")
    assert isinstance(reply, Error) and "/subscriptions" in reply.text


async def test_digest_config_needs_permission(testbot, store):
    reply = await testbot.exec_command("/digest config time=09:00 tz=Europe/Berlin", can_configure=False)
    assert isinstance(reply, Error)
    assert store.get_channel("console", "lab", "general") is None


async def test_digest_config_saves_the_channel(testbot, store):
    reply = await testbot.exec_command(
        '/digest config time=9:30 tz=Europe/Berlin top=5 min_upvotes=3 filter="reasoning -medical" threads=on')
    assert isinstance(reply, Notice), reply
    channel = store.get_channel("console", "lab", "general")
    assert (channel.daily_time, channel.tz, channel.top_n, channel.min_upvotes) == ("09:30", "Europe/Berlin", 5, 3)
    assert channel.thread_per_paper and channel.enabled
    assert "reasoning" in channel.filter
    # 08:00 UTC on 24 Nov is 09:00 in Berlin: the next post is today at 09:30.
    assert "Tue 24 Nov 09:30" in reply.text


@pytest.mark.parametrize("line,fragment", [
    ("/digest config time=25:00", "HH:MM"),
    ("/digest config tz=Mars/Olympus", "time zone"),
    ("/digest config top=0", "1 to 25"),
    ("/digest config min_upvotes=-1", "whole number"),
    ("/digest config colour=blue", "Unknown setting"),
    ("/digest config filter=\"unclosed", "quote"),
    ("/digest config sources=nonsense!!", "sources"),
    ("/digest config every=fortnight", "day, week or month"),
    ("/digest config every=week day=someday", "weekday"),
    ("/digest config lag=3", "yesterday's list"),
])
async def test_digest_config_rejects_bad_values_clearly(testbot, store, line, fragment):
    reply = await testbot.exec_command(line)
    assert isinstance(reply, Error)
    assert fragment in reply.text
    assert store.get_channel("console", "lab", "general") is None


async def test_digest_config_sets_weekly_and_monthly_posts_and_says_when_the_next_one_is(testbot, store):
    reply = await testbot.exec_command("/digest config every=week day=fri time=08:00 tz=UTC")
    assert isinstance(reply, Notice), reply
    channel = store.get_channel("console", "lab", "general")
    assert (channel.every, channel.week_day) == ("week", "fri")
    assert "weekly on Friday at 08:00" in reply.text and "daily" not in reply.text
    assert "Next post: Fri 27 Nov 08:00" in reply.text  # Tue 24 Nov today
    both = await testbot.exec_command("/digest config every=day,month lag=1")
    assert "daily at 08:00 (yesterday's list" in both.text and "monthly on the 1st" in both.text
    assert "Next post: Wed 25 Nov 08:00" in both.text  # 08:00 passed today


async def test_dropping_a_schedule_or_turning_posts_off_cancels_what_waits_to_go_out(testbot, store):
    from paperboy.bot.models import Target
    await testbot.exec_command("/digest config every=day,week")
    channel = store.get_channel("console", "lab", "general")
    target = Target("console", "lab", "general")
    store.enqueue_delivery(f"weekly:{channel.id}:2026-11-30", "daily", target, {"kind": "notice", "text": "w"}, "t")
    store.enqueue_delivery(f"daily:{channel.id}:2026-11-30", "daily", target, {"kind": "notice", "text": "d"}, "t")
    await testbot.exec_command("/digest config every=day")
    assert store.get_delivery(f"weekly:{channel.id}:2026-11-30").status == "cancelled"
    assert store.get_delivery(f"daily:{channel.id}:2026-11-30").status == "pending"
    await testbot.exec_command("/digest off")
    assert store.get_delivery(f"daily:{channel.id}:2026-11-30").status == "cancelled"


async def test_digest_config_in_a_dm_is_refused(testbot):
    reply = await testbot.exec_command("/digest config time=09:00", is_dm=True)
    assert isinstance(reply, Error) and "channel" in reply.text


async def test_digest_off_then_on_keeps_settings(testbot, store):
    await testbot.exec_command("/digest config time=07:15 tz=Asia/Kolkata")
    off = await testbot.exec_command("/digest off")
    assert isinstance(off, Notice)
    assert not store.get_channel("console", "lab", "general").enabled
    await testbot.exec_command("/digest config")
    channel = store.get_channel("console", "lab", "general")
    assert channel.enabled and channel.daily_time == "07:15" and channel.tz == "Asia/Kolkata"


async def test_digest_shows_the_days_list_by_upvotes(testbot, store):
    store.record_daily_list("2026-11-24", "hf", [("2309.12288", 12), ("2504.04383", 30)])
    reply = await testbot.exec_command("/digest")
    assert isinstance(reply, PaperList)
    assert [i.paper.arxiv_id for i in reply.items] == ["2504.04383", "2309.12288"]


async def test_digest_on_an_empty_day_says_which_list_is_missing_and_why(testbot, store, clock):
    reply = await testbot.exec_command("/digest")
    assert isinstance(reply, Notice) and reply.no_match
    assert "no Hugging Face Daily Papers list" in reply.text and "has not fetched from Hugging Face yet" in reply.text
    record_fetch(store, "hf", clock.now(), SourceError("connection refused", source="hf"))
    reply = await testbot.exec_command("/digest")
    assert "no fetch from Hugging Face has succeeded yet" in reply.text
    assert f"{clock.now():%Y-%m-%d %H:%M} UTC, failed: hf: connection refused" in reply.text
    record_fetch(store, "hf", clock.now() - timedelta(hours=3))  # one worked, earlier, but brought no list
    record_fetch(store, "hf", clock.now(), SourceError("no answer", status=503, source="hf"))
    reply = await testbot.exec_command("/digest")
    assert "the last fetch from Hugging Face that worked was at" in reply.text and "(HTTP 503)" in reply.text


async def test_a_channel_of_arxiv_categories_names_each_missing_one(testbot, store, clock):
    await testbot.exec_command("/digest config sources=math.AG,astro-ph.GA")
    record_fetch(store, "arxiv:astro-ph.GA", clock.now(), SourceError("timed out", source="arxiv"))
    reply = await testbot.exec_command("/digest")
    assert "no arXiv math.AG, astro-ph.GA list" in reply.text
    assert "not fetched from arXiv math.AG yet" in reply.text and "arXiv astro-ph.GA has succeeded yet" in reply.text


async def test_new_paper_is_found_after_store_grows(testbot, store):
    store.upsert_papers([Paper(key="2511.11111", arxiv_id="2511.11111",
                               title="Sparse Mixture of Gardeners for Hydroponic Tomato Forecasting")],
                        iso(testbot.clock.now()))
    testbot.core.matcher.refresh()
    reply = await testbot.exec_command("/paper hydroponic tomato gardeners")
    assert isinstance(reply, Card) and reply.paper.arxiv_id == "2511.11111"


async def test_replies_round_trip_through_json(testbot):
    reply = await testbot.exec_command("/paper 2309.12288")
    assert reply_from_dict(reply_to_dict(reply)) == reply
    shape = reply_to_json_result(reply)
    assert shape["kind"] == "card"
    assert shape["results"][0]["id"] == "2309.12288"
    assert shape["results"][0]["url"] == "https://arxiv.org/abs/2309.12288"


async def test_autocomplete_titles_and_subscriptions(testbot):
    from paperboy.bot.commands.invocation import Invocation, Place

    inv = Invocation("paper", "", "alice", Place("console", "lab", "general"))
    titles = await testbot.core.autocomplete("titles", "reversal cu", inv)
    assert titles and titles[0][1] == "2309.12288"
    assert all(len(label) <= 100 for label, _ in titles)
    await testbot.exec_command("/subscribe reasoning")
    subs = await testbot.core.autocomplete("subscriptions", "", inv)
    assert subs == [("#1 reasoning", "1")]
    zones = await testbot.core.autocomplete("timezones", "berl", inv)
    assert ("Europe/Berlin", "Europe/Berlin") in zones


async def test_unsubscribing_cancels_the_alerts_not_yet_sent(testbot, store, clock):
    from paperboy.bot.subscriptions.alerts import enqueue_alerts

    await testbot.exec_command("/subscribe reversal curse")
    await testbot.exec_command("/subscribe retro search", user="bob")
    papers = list(store.get_papers(["2309.12288", "2504.04383"]).values())
    assert enqueue_alerts(store, papers, clock.now()) == 2
    reply = await testbot.exec_command("/unsubscribe 1")
    assert isinstance(reply, Notice) and "The alert not yet sent will not be" in reply.text
    statuses = {d.dedupe_key: (d.status, d.note) for d in store.deliveries(kind="alert")}
    assert statuses == {"alert:1:2309.12288": ("cancelled", "unsubscribed"),
                        "alert:2:2504.04383": ("pending", None)}  # bob's is his own


async def test_turning_the_daily_post_off_cancels_the_one_waiting_to_go_out(testbot, store, clock):
    from paperboy.bot.delivery.scheduler import daily_key
    from paperboy.bot.models import Target

    await testbot.exec_command("/digest config time=09:00")
    channel = store.get_channel("console", "lab", "general")
    key = daily_key(channel.id, "2026-11-24")
    store.enqueue_delivery(key, "daily", Target("console", "lab", "general"), {"kind": "notice", "text": "x"},
                           iso(clock.now()))
    reply = await testbot.exec_command("/digest off")
    assert "cancelled" in reply.text
    assert store.get_delivery(key).status == "cancelled"
    assert store.get_delivery(key).note == "daily post turned off"


async def test_a_write_waiting_for_another_process_s_lock_does_not_hold_up_the_event_loop(tmp_path):
    import asyncio
    import sqlite3

    from paperboy.bot.commands.dispatch import build_core
    from paperboy.bot.commands.invocation import Place
    from paperboy.bot.commands.typed import TypedCommands
    from paperboy.storage.sqlite import SQLiteStore

    store = SQLiteStore(tmp_path / "paperboy.db", busy_timeout=5)
    core = build_core(store)
    blocker = sqlite3.connect(tmp_path / "paperboy.db")
    blocker.execute("BEGIN IMMEDIATE")  # an import in another process, mid-transaction
    inv = TypedCommands(core.specs).read("/subscribe diffusion", user="u", place=Place("console", "w", "c"))
    answering = asyncio.create_task(core.dispatch(inv))
    started = asyncio.get_running_loop().time()
    for _ in range(30):  # the loop keeps serving everything else meanwhile
        await asyncio.sleep(0.01)
    assert asyncio.get_running_loop().time() - started < 2 and not answering.done()
    blocker.rollback()
    reply = await asyncio.wait_for(answering, 5)
    assert isinstance(reply, Notice) and reply.text.startswith("Subscribed (#1)")
    blocker.close()
    store.close()


@pytest.mark.parametrize("typed, answer", [("cs.XL", "Did you mean cs.CL?"), ("cs.lg,math.AG", None),
                                           ("astro-ph.ga", None), ("quantum", "not an arXiv category")])
async def test_digest_sources_are_checked_against_arxiv_s_categories(testbot, store, typed, answer):
    reply = await testbot.exec_command(f"/digest config sources={typed}")
    if answer is None:
        assert isinstance(reply, Notice)
        stored = store.get_channel("console", "lab", "general").sources
        assert stored in ("cs.LG,math.AG", "astro-ph.GA")  # in arXiv's own spelling
    else:
        assert isinstance(reply, Error) and answer in reply.text


# ---- /saved ------------------------------------------------------------------------------

async def test_saved_add_list_remove_in_order_newest_first(testbot):
    from paperboy.bot.replies import Document
    assert "empty" in (await testbot.exec_command("/saved")).text
    added = await testbot.exec_command("/saved add 2309.12288")
    assert isinstance(added, Notice) and "Saved “The Reversal Curse" in added.text
    testbot.clock.advance(seconds=60)
    await testbot.exec_command("/saved add retro search untaken paths")
    again = await testbot.exec_command("/saved add arxiv.org/abs/2309.12288")
    assert "already on your reading list" in again.text
    listed = await testbot.exec_command("/saved")
    assert isinstance(listed, PaperList) and listed.numbered
    assert [s.paper.key for s in listed.items] == ["2504.04383", "2309.12288"]
    removed = await testbot.exec_command("/saved remove 1")
    assert "Retro-Search" in removed.text
    assert [s.paper.key for s in (await testbot.exec_command("/saved")).items] == ["2309.12288"]
    export = await testbot.exec_command("/saved bibtex")
    assert isinstance(export, Document) and export.filename.endswith(".bib")
    assert "eprint = {2309.12288}" in export.text and "Retro" not in export.text


async def test_a_reading_list_is_its_owners_alone(testbot):
    await testbot.exec_command("/saved add 2309.12288", user="alice")
    bob = await testbot.exec_command("/saved", user="bob")
    assert isinstance(bob, Notice) and "empty" in bob.text
    assert isinstance(await testbot.exec_command("/saved remove 1", user="bob"), Error)
    cleared = await testbot.exec_command("/saved clear confirm", user="bob")
    assert "already empty" in cleared.text
    # Alice's list is the same in another channel and in a DM: it is hers, not the channel's.
    elsewhere = await testbot.exec_command("/saved", user="alice", is_dm=True)
    assert [s.paper.key for s in elsewhere.items] == ["2309.12288"]


async def test_saved_clear_asks_first_then_empties_the_list(testbot):
    await testbot.exec_command("/saved add 2309.12288")
    await testbot.exec_command("/saved add 2504.04383")
    asked = await testbot.exec_command("/saved clear")
    assert "all 2 papers" in asked.text and "/saved clear confirm" in asked.text
    assert len((await testbot.exec_command("/saved")).items) == 2
    done = await testbot.exec_command("/saved clear confirm")
    assert "Cleared your reading list (2 papers)" in done.text
    assert "empty" in (await testbot.exec_command("/saved")).text


@pytest.mark.parametrize("line,fragment", [
    ("/saved add", "Which paper"),
    ("/saved add " + "x" * 1500, "characters"),
    ("/saved add zzzzqqqq wwwwvvvv", "couldn't find"),
    ("/saved remove 9", "empty"),
    ("/saved remove first", "Which one"),
    ("/saved frobnicate", "/saved add"),
])
async def test_saved_answers_bad_input_clearly(testbot, line, fragment):
    reply = await testbot.exec_command(line)
    assert isinstance(reply, Error | Notice) and fragment in reply.text, reply


async def test_one_papers_bibtex_parses_back(testbot):
    import bibtexparser
    reply = await testbot.exec_command("/saved bibtex 2401.00003")
    [entry] = bibtexparser.loads(reply.text).entries
    assert entry["eprint"] == "2401.00003" and entry["archiveprefix"] == "arXiv"
    assert r"\textbackslash" not in entry["title"] and "@everyone" in entry["title"]


async def test_paper_similar_is_routed_from_paper_and_leaves_the_paper_out(testbot):
    reply = await testbot.exec_command("/paper similar 2504.04383")
    assert isinstance(reply, PaperList | Notice), reply
    if isinstance(reply, PaperList):
        assert reply.title.startswith("Papers like “Retro-Search")
        assert "2504.04383" not in [s.paper.key for s in reply.items]
    empty = await testbot.exec_command("/paper similar")
    assert isinstance(empty, Error) and "Tell me which paper" in empty.text
