"""The core takes on a bounded amount of interactive work: past the bound, and while the event loop
runs late, it answers "busy" at once; when the storm passes it answers again."""
from __future__ import annotations

import asyncio
import time

import pytest

from paperboy.bot.commands.admission import BUSY, Admission, LoopLag
from paperboy.bot.commands.invocation import Place
from paperboy.bot.replies import Card

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])


async def test_past_the_bound_of_lookups_waiting_the_core_answers_busy_and_suggests_nothing(testbot):
    testbot.core.matcher.max_pending = 2
    replies = await asyncio.gather(*(testbot.exec_command("/paper the reversal curse") for _ in range(6)))
    # The store's thread ranks one lookup at a time: the first two are taken on, the rest are not.
    assert [isinstance(r, Card) for r in replies].count(True) == 2
    assert replies.count(BUSY) == 4
    assert BUSY.text == "paperboy is busy, try again in a few seconds." and BUSY.ephemeral
    inv = testbot.commands.read("/paper x", user="alice", place=Place("console", "lab", "general"))
    typing = await asyncio.gather(*(testbot.core.autocomplete("titles", "reversal", inv) for _ in range(4)))
    assert [bool(t) for t in typing].count(True) == 2 and typing.count([]) == 2
    assert isinstance(await testbot.exec_command("/paper the reversal curse"), Card)  # places are given back


async def test_past_the_bound_of_interactions_in_progress_the_core_answers_busy(testbot):
    testbot.core.admission = Admission(3)
    replies = await asyncio.gather(*(testbot.exec_command("/paper the reversal curse") for _ in range(5)))
    assert replies.count(BUSY) == 2 and testbot.core.admission.turned_away == 2


async def test_while_the_event_loop_runs_late_new_work_hears_busy(testbot):
    lag = LoopLag(every=0.02)
    testbot.core.admission = Admission(100, lag=lag, max_lag=0.3)
    stop = asyncio.Event()
    watching = asyncio.create_task(lag.run(stop))
    try:
        await asyncio.sleep(0.05)
        time.sleep(0.6)  # the loop held up, as by more interactions than the process can read
        await asyncio.sleep(0.001)
        assert await testbot.exec_command("/paper the reversal curse") == BUSY
        await asyncio.sleep(0.1)  # a few timer rounds on time again
        assert isinstance(await testbot.exec_command("/paper the reversal curse"), Card)
    finally:
        stop.set()
        await watching
