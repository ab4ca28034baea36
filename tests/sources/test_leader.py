"""One leader per database: any number of processes make one set of source calls, a dead leader
is replaced within its lease, and arXiv's pacing holds across processes."""
from __future__ import annotations

import asyncio
import logging

import httpx
import pytest
from fake_paper_sources import Reply

from paperboy.bot.delivery.leader import Leadership
from paperboy.bot.sources import Sources
from paperboy.bot.sources.arxiv import ArxivGate, ArxivSource
from paperboy.bot.sources.hf import HuggingFaceSource
from paperboy.runner import run_bot
from paperboy.storage import open_store


def test_one_process_leads_and_another_takes_over_once_its_lease_runs_out(db_location, caplog):
    import time

    # The lease is timed by the database's clock: short, and waited out in real time.
    lease = 3
    caplog.set_level(logging.INFO, logger="paperboy.bot.delivery.leader")
    a = Leadership(open_store(db_location), "a", lease_seconds=lease, renew_every=1)
    b = Leadership(open_store(db_location), "b", lease_seconds=lease, renew_every=1)
    assert a.step() and not b.step()
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("INFO", "became the leader: scheduler, ingest and subscription matching run here")]  # the normal course
    time.sleep(1)
    renewed = time.monotonic()
    assert a.step() and not b.step()  # renewed in time: still a
    # a died: no renewal. b cannot have the lease before it runs out, and has it once it has.
    while not b.step():
        assert time.monotonic() - renewed < lease + 10, "b never took the lease over"
        time.sleep(0.05)
    assert time.monotonic() - renewed >= lease - 0.1  # not before the lease of a's last renewal ran out
    assert not a.step()  # a, were it only stalled, finds it leads no more
    assert (caplog.records[-1].levelname, caplog.records[-1].getMessage()) == (
        "WARNING", "is no longer the leader: scheduler, ingest and subscription matching stop here")
    b.release()
    assert a.step()  # handed back: no need to wait


async def test_a_leader_that_loses_its_lease_stops_its_jobs_at_once(db_location):
    first = Leadership(open_store(db_location), "first", lease_seconds=2, renew_every=0.05)
    stop, started, ended = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def jobs(until: asyncio.Event) -> None:
        started.set()
        try:
            await until.wait()
        finally:
            ended.set()

    leading = asyncio.create_task(first.run(stop, jobs))
    await asyncio.wait_for(started.wait(), 2)
    usurper = open_store(db_location)
    with usurper._transaction() as tx:  # another process took the lease (first lost the database for a while)
        tx.execute("UPDATE leases SET owner = 'second'")
    await asyncio.wait_for(ended.wait(), 2)
    assert not first.leading
    stop.set()
    await asyncio.wait_for(leading, 2)


async def test_three_processes_on_one_database_make_one_process_s_source_calls(fake_sources, db_location,
                                                                               quick_policy):
    fake_sources.serve_fixture("hf_daily_papers_2026-11-24.json")
    fake_sources.route("/api/daily_papers", Reply(200, b"[]"), query={"date": "2026-11-23"})
    calls: list[list[str]] = [[], [], []]
    stop = asyncio.Event()
    clients, runs = [], []
    for n in range(3):
        async def count(request: httpx.Request, mine: list[str] = calls[n]) -> None:
            mine.append(request.url.path)

        client = httpx.AsyncClient(event_hooks={"request": [count]})
        clients.append(client)
        store = open_store(db_location)
        sources = Sources(HuggingFaceSource(client, fake_sources.url, policy=quick_policy),
                          ArxivSource(client, fake_sources.url, gate=ArxivGate(0.0), policy=quick_policy))
        env = {"PAPERBOY_MEMORY_ADAPTER": "1", "PAPERBOY_INGEST_INTERVAL": "1"}
        runs.append(asyncio.create_task(run_bot(store, sources, env, stop=stop)))
    try:
        while sum(map(len, calls)) < 4:  # two ingest rounds of two days each
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*runs), 10)
        for client in clients:
            await client.aclose()
    assert sorted(len(c) > 0 for c in calls) == [False, False, True]  # one leader made every call


@pytest.mark.parametrize("processes", [2, 3])
async def test_arxiv_pacing_holds_across_processes_on_one_database(db_location, processes):
    import time

    gap = 0.3  # arXiv's 3 seconds, scaled down: real time, as each process has its own clock
    gates = []
    for _ in range(processes):
        store = open_store(db_location)
        gates.append(ArxivGate(gap, reserve=lambda now, interval, s=store: s.run(s.reserve_slot, "arxiv", now, interval)))
    started: list[float] = []

    async def request(gate: ArxivGate) -> None:
        async with gate.slot():
            started.append(time.time())

    await asyncio.gather(*(request(gate) for gate in gates for _ in range(2)))
    started.sort()
    assert len(started) == 2 * processes
    # Each request starts when its slot comes, give or take a busy machine's wake-up delay; requests
    # that did not share the pacing would start together.
    assert min(b - a for a, b in zip(started, started[1:], strict=False)) >= gap - 0.1
