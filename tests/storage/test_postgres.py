"""What only the PostgreSQL store has to prove: concurrent claims and paper writes from many
connections, migrations raced by processes starting together, a server that goes away and comes
back, hostile full-text input, and a password that never shows."""
from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from lease_time import SHORT_LEASE, delivery_leases_run_out, wait_for_delivery_leases_to_run_out

from paperboy.adapters.memory.adapter import MemoryAdapter
from paperboy.bot.clock import FakeClock, iso
from paperboy.bot.commands.dispatch import build_core
from paperboy.bot.commands.invocation import Place
from paperboy.bot.commands.typed import TypedCommands
from paperboy.bot.delivery.outbox import DeliveryWorker
from paperboy.bot.delivery.registry import delivery_kinds
from paperboy.bot.models import Paper, StoreUnavailable, Target
from paperboy.bot.replies import Error, Notice
from paperboy.bot.serialize import reply_to_dict
from paperboy.storage import open_store, postgres_schema
from paperboy.storage.postgres import PostgresStore, postgres_sql, redacted, tsquery

T0 = "2026-11-24T08:00:00Z"
on_postgres = pytest.mark.parametrize("backend", ["postgres"])  # the store fixtures, PostgreSQL's half only


def enqueue(store, count: int, now: str = T0) -> list[str]:
    keys = [f"daily:{n}:2026-11-24" for n in range(count)]
    store.enqueue_deliveries([(k, "daily", Target("memory", "w1", f"c{n}"), reply_to_dict(Notice(k)))
                              for n, k in enumerate(keys)], now)
    return keys


@on_postgres
def test_concurrent_claims_from_many_connections_never_share_a_delivery(db_location):
    stores = [open_store(db_location) for _ in range(4)]
    keys = enqueue(stores[0], 300)
    taken: list[list[str]] = [[] for _ in stores]
    start = threading.Barrier(len(stores))

    def claim_all(n: int) -> None:
        start.wait()
        while claimed := stores[n].claim_due_deliveries(T0, ["memory"], limit=7, owner=f"w{n}"):
            taken[n].extend(d.dedupe_key for d in claimed)

    with ThreadPoolExecutor(len(stores)) as pool:
        list(pool.map(claim_all, range(len(stores))))
    everything = [key for mine in taken for key in mine]
    assert sorted(everything) == sorted(keys)  # each taken exactly once
    assert sum(1 for mine in taken if mine) >= 2  # and the claims really did run side by side
    owners = {d.dedupe_key: d.lease_owner for d in stores[0].deliveries()}
    assert all(owners[key] == f"w{n}" for n, mine in enumerate(taken) for key in mine)
    for store in stores:
        store.close()


@on_postgres
def test_papers_written_side_by_side_reach_a_reader_following_the_id_cursor(db_location):
    """Ids come from a sequence; were two writers to commit out of the order they took them, a
    reader following titles_since would step past the one committed last and never see it."""
    writers = [open_store(db_location) for _ in range(3)]
    reader = open_store(db_location)
    seen: dict[int, str] = {}
    done = threading.Event()

    def write(n: int) -> None:
        for batch in range(25):
            writers[n].upsert_papers([Paper(key=f"24{n:02d}.{batch:03d}{i}", arxiv_id=f"24{n:02d}.{batch:03d}{i}",
                                            title=f"Writer {n} batch {batch} paper {i}") for i in range(4)], T0)

    def follow() -> None:
        cursor = 0
        while not done.is_set() or cursor < reader.max_rowid():
            for rowid, title in reader.titles_since(cursor):
                seen[rowid] = title
                cursor = max(cursor, rowid)

    following = threading.Thread(target=follow)
    following.start()
    with ThreadPoolExecutor(len(writers)) as pool:
        list(pool.map(write, range(len(writers))))
    done.set()
    following.join(30)
    assert len(seen) == reader.count_papers() == 3 * 25 * 4
    for store in [*writers, reader]:
        store.close()


def test_processes_opening_a_new_database_at_once_migrate_it_once(postgres_server):
    url = postgres_server.new_database()  # empty: no template
    with ThreadPoolExecutor(4) as pool:
        stores = list(pool.map(lambda _: PostgresStore(url), range(4)))
    names = [row[0] for row in stores[0]._all("SELECT name FROM _migrations ORDER BY name")]
    assert names == [name for name, _ in postgres_schema.MIGRATIONS]
    for store in stores:
        store.close()


@on_postgres
@pytest.mark.parametrize("query", ["it's", "a:b & c | !d", "back\\slash", "x <-> y", "(((", "'' ''", "*", "ünïcödé"])
def test_hostile_text_becomes_a_well_formed_full_text_query(store, query):
    store.upsert_papers([Paper(key="2401.00001", arxiv_id="2401.00001", title="Unicode and quotes: it's here")], T0)
    expression = " AND ".join(f'"{word}"' for word in query.split()) or '""'
    store.fts_search(expression)  # PostgreSQL parses it without an error
    assert store.fts_count(expression, 10) in (0, 1)
    assert "'" not in tsquery('"it\'s"').replace("'it'", "").replace("'s'", "")


def test_the_sql_translation_leaves_literals_and_casts_alone():
    assert postgres_sql("SELECT '%x?' , a::jsonb, :name, ? WHERE b IS NOT c AND d IS NOT NULL") == \
        "SELECT '%%x?' , a::jsonb, %(name)s, %s WHERE b IS DISTINCT FROM c AND d IS NOT NULL"


def test_the_password_never_shows(postgres_server, caplog):
    url = "postgresql://paperboy:s3cret-pw@127.0.0.1:1/nowhere"
    assert "s3cret-pw" not in redacted(url) and "***" in redacted(url)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(Exception) as failed:
        PostgresStore(url, connect_timeout=1)
    assert "s3cret-pw" not in str(failed.value)
    assert "s3cret-pw" not in caplog.text


# ---- a server that goes away ------------------------------------------------------------------

@pytest.fixture(scope="module")
def own_server():
    """A server of this module's own, stopped and started by its tests."""
    from postgres_server import PostgresServer, binaries_missing

    reason = binaries_missing(existing_will_do=False)  # it is stopped and started: never a server of yours
    if reason:
        if os.environ.get("PAPERBOY_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL is required here: {reason}")
        pytest.skip(reason)
    server = PostgresServer(existing_will_do=False).start()
    yield server
    server.stop()


def test_connections_cut_by_the_server_are_replaced_without_an_error(own_server):
    store = PostgresStore(own_server.new_database(), pool_size=2)
    enqueue(store, 3)
    assert own_server.terminate_connections(store.url) >= 1
    assert len(store.deliveries()) == 3  # the pool's dead connection is noticed and replaced
    assert store.claim_due_deliveries(T0, ["memory"], owner="w")
    store.close()


def test_a_server_that_is_down_answers_unavailable_then_works_again_when_back(own_server):
    store = PostgresStore(own_server.new_database(), unavailable_after=0.5)
    enqueue(store, 1)
    own_server.pause()
    try:
        with pytest.raises(StoreUnavailable):
            store.deliveries()
        with pytest.raises(StoreUnavailable):
            store.enqueue_delivery("k", "daily", Target("memory", "w", "c"), {}, T0)
    finally:
        own_server.resume()
    assert [d.dedupe_key for d in store.deliveries()] == ["daily:0:2026-11-24"]
    store.close()


async def test_paper_says_the_database_is_unavailable_rather_than_failing(own_server):
    store = PostgresStore(own_server.new_database(), unavailable_after=0.5)
    core = build_core(store, clock=FakeClock(datetime(2026, 11, 24, 8, tzinfo=UTC)))
    commands = TypedCommands(core.specs)
    place = Place(platform="console", workspace="lab", channel="general", is_dm=False)
    own_server.pause()
    try:
        invocation = commands.read("/paper reversal curse", user="alice", place=place, can_configure=True)
        assert invocation is not None
        reply = await core.dispatch(invocation)
    finally:
        own_server.resume()
    assert isinstance(reply, Error)
    assert reply.text == "The database is unavailable right now; try again in a minute."
    await core.matcher.aclose()
    store.close()


async def test_no_delivery_is_marked_sent_unless_the_database_said_so(own_server):
    clock = FakeClock(datetime(2026, 11, 24, 8, tzinfo=UTC))
    store = PostgresStore(own_server.new_database(), unavailable_after=0.3)
    keys = enqueue(store, 3, iso(clock.now()))
    platform = MemoryAdapter()
    gate = platform.hold()
    worker = DeliveryWorker(store, {"memory": platform}, clock, delivery_kinds(), lease_seconds=SHORT_LEASE)
    sending = asyncio.create_task(worker.run_once())
    while platform.in_flight < 3:
        await asyncio.sleep(0.01)
    own_server.pause()  # the database goes away while the messages are out
    try:
        gate.set()
        assert await sending == 3  # every send ran to its end; recording them failed
    finally:
        own_server.resume()
    assert sorted(platform.keys_sent()) == keys
    assert {d.status for d in store.deliveries()} == {"sending"}  # not marked sent: the database never said so
    await delivery_leases_run_out(store)
    assert await worker.run_once() == 3  # taken up again once the lease ran out, with the same keys
    assert {d.status for d in store.deliveries()} == {"sent"}
    store.close()


@on_postgres
def test_concurrent_claims_never_split_a_bundle(db_location):
    stores = [open_store(db_location) for _ in range(4)]
    target = Target("slack", "T", "C", "U1", "dm")
    stores[0].enqueue_deliveries([(f"alert:1:{n:03d}", "alert", target, {}) for n in range(120)], T0)
    taken = stores[0].claim_due_deliveries(T0, ["slack"], limit=200, owner="dead", lease_seconds=0)
    for start in range(0, 120, 6):  # bundles of every third alert: members far apart in id order
        stores[0].mark_bundled([d.id for d in taken[start:start + 18:3]], f"bundle-{start}", owner="dead")
    wait_for_delivery_leases_to_run_out(stores[0])
    barrier = threading.Barrier(len(stores))

    def claim(n: int) -> None:
        barrier.wait()
        while stores[n].claim_due_deliveries("2026-11-25T08:00:00Z", ["slack"], limit=1, owner=f"w{n}"):
            pass

    with ThreadPoolExecutor(len(stores)) as pool:
        list(pool.map(claim, range(len(stores))))
    owners: dict[str, set[str]] = {}
    for delivery in stores[0].deliveries():
        assert delivery.lease_owner != "dead"
        if delivery.bundle:
            owners.setdefault(delivery.bundle, set()).add(delivery.lease_owner)
    assert owners and all(len(holders) == 1 for holders in owners.values())
    for store in stores:
        store.close()


def test_a_leader_that_loses_the_database_stops_leading_and_another_takes_over(own_server):
    from paperboy.bot.delivery.leader import Leadership

    url = own_server.new_database()
    # The lease is timed by the database's clock: it outlasts the server's stop and start, and is
    # waited out in real time.
    lease = 10
    first = Leadership(PostgresStore(url, unavailable_after=0.3), "first", lease_seconds=lease, renew_every=5)
    second = Leadership(PostgresStore(url, unavailable_after=0.3), "second", lease_seconds=lease, renew_every=5)
    taken = time.monotonic()
    assert first.step() and not second.step()
    own_server.pause()  # the whole database is gone for a moment: nobody can know who leads
    try:
        assert not first.step() and not first.leading  # it gives the leadership up rather than guess
    finally:
        own_server.resume()
    assert time.monotonic() - taken < lease - 1, "the server took longer to come back than the lease lasts"
    assert not second.step()  # the lease first took is still good: no two leaders
    while not second.step():
        assert time.monotonic() - taken < lease + 20, "the lease never ran out"
        time.sleep(0.05)
    assert time.monotonic() - taken >= lease - 0.1 and second.leading  # run out: the other process leads
    assert not first.step()
    first.store.close()
    second.store.close()
