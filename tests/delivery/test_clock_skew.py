"""Leases are timed by the database's clock: a process whose own clock runs a minute ahead takes no
live lease and not the leadership, and one whose clock runs a minute behind takes a dead process's
work and the leadership once their leases have run out, not a minute later. Two processes
(tests/delivery/lease_process.py) send 150 posts slowly; each post is recorded as it goes out."""
from __future__ import annotations

import asyncio
import json
import signal
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from paperboy.bot.clock import iso
from paperboy.bot.delivery.leader import LEADER
from paperboy.bot.models import Target
from paperboy.bot.replies import Notice
from paperboy.bot.serialize import reply_to_dict
from paperboy.storage import open_store

POSTS = 150
LEASE = 3  # seconds, for the deliveries and the leadership alike: far less than the clocks' minute
SKEW = 60
TAKEN_OVER_WITHIN = 30  # seconds after a death: ten leases, and half the minute a moved clock would add
PROCESS = Path(__file__).with_name("lease_process.py")


class Process:
    def __init__(self, name: str, offset: float, database, folder: Path):
        self.name, self.offset, self.database = name, offset, database
        self.record = folder / f"{name}.jsonl"
        self.log = folder / f"{name}.log"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> Process:
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, str(PROCESS), str(self.database), "--name", self.name, "--offset", str(self.offset),
                "--record", str(self.record), "--lease", str(LEASE), stdin=asyncio.subprocess.DEVNULL,
                stdout=log, stderr=log)
        return self

    def events(self) -> list[dict]:
        if not self.record.exists():
            return []
        return [json.loads(line) for line in self.record.read_text().splitlines() if line.endswith("}")]

    def sent(self) -> list[dict]:
        return [event for event in self.events() if "sent" in event]

    def led_at(self) -> float | None:
        return next((event["at"] for event in self.events() if event.get("leading")), None)

    async def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(sig)
            await asyncio.wait_for(self.process.wait(), 30)


def enqueue_posts(store) -> list[str]:
    """Posts queued a while ago, so that they are due by either process's clock: when a pending post
    is due stays a matter of the clock of the process that claims it (a scheduling time, not a lease)."""
    keys = [f"daily:{n}:2026-11-24" for n in range(POSTS)]
    queued = iso(datetime.now(UTC) - timedelta(minutes=5))
    store.enqueue_deliveries([(key, "daily", Target("memory", "w1", f"c{n}"), reply_to_dict(Notice(key)))
                              for n, key in enumerate(keys)], queued)
    return keys


async def until(condition, seconds: float, what: str, logs: Path) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what} within {seconds:.0f} s; logs in {logs}"
        await asyncio.sleep(0.05)


def senders_by_key(*processes: Process) -> dict[str, list[str]]:
    senders: dict[str, list[str]] = defaultdict(list)
    for event in sorted((e for p in processes for e in p.sent()), key=lambda e: e["at"]):
        senders[event["sent"]].append(event["by"])
    return senders


@pytest.mark.timeout(240)
async def test_a_process_whose_clock_runs_a_minute_ahead_takes_no_live_lease_and_not_the_leadership(
        db_location, tmp_path):
    store = open_store(db_location)
    keys = enqueue_posts(store)
    live = await Process("live", 0, db_location, tmp_path).start()
    ahead = None
    holders: set[str | None] = set()
    try:
        await until(lambda: live.led_at() is not None and live.sent(), 60, "the first process led and sent", tmp_path)
        ahead = await Process("ahead", SKEW, db_location, tmp_path).start()
        await until(lambda: any("ready" in e for e in ahead.events()), 60, "the second process started", tmp_path)

        def all_sent() -> bool:
            holders.add(store.lease_holder(LEADER))
            return store.stats()["deliveries_sent"] == POSTS
        await until(all_sent, 120, "every post was sent", tmp_path)
    finally:
        for process in (ahead, live):  # the live one last: its lease, released as it stops, is not taken
            if process is not None:
                await process.stop()

    senders = senders_by_key(live, ahead)
    doubled = {key: by for key, by in senders.items() if len(by) > 1}
    lost = [key for key in keys if key not in senders]
    assert (len(doubled), len(lost)) == (0, 0), (doubled, lost)
    assert ahead.sent(), "the process ahead claimed nothing: it did not run beside the other one"
    assert holders == {"live"}  # the leadership never moved, nor ran out
    assert ahead.led_at() is None
    assert {d.attempts for d in store.deliveries()} == {1}  # no post was taken over from a live process
    store.close()


@pytest.mark.timeout(240)
async def test_a_process_whose_clock_runs_a_minute_behind_takes_over_a_dead_one_within_its_leases(
        db_location, tmp_path):
    store = open_store(db_location)
    keys = enqueue_posts(store)
    dying = await Process("dying", 0, db_location, tmp_path).start()
    behind = None
    try:
        await until(lambda: dying.led_at() is not None and len(dying.sent()) >= 10, 60,
                    "the first process led and sent", tmp_path)
        behind = await Process("behind", -SKEW, db_location, tmp_path).start()
        await until(lambda: any("ready" in e for e in behind.events()), 60, "the second process started", tmp_path)

        def dying_holds_posts() -> bool:
            return any(d.lease_owner == "dying" for d in store.deliveries("sending"))
        await until(dying_holds_posts, 60, "the first process held posts", tmp_path)
        await dying.stop(signal.SIGKILL)
        killed = time.time()
        held = [d.dedupe_key for d in store.deliveries("sending") if d.lease_owner == "dying"]
        await until(lambda: store.stats()["deliveries_sent"] == POSTS, 120, "every post was sent", tmp_path)
    finally:
        for process in (dying, behind):
            if process is not None:
                await process.stop()

    senders = senders_by_key(dying, behind)
    # A post the dying process had sent, but not yet recorded as sent, is sent again with its key (a
    # platform that honours the key drops the repeat): that is the only repeat there may be.
    resent = {key for key, by in senders.items() if by == ["dying", "behind"]}
    doubled = {key: by for key, by in senders.items() if len(by) > 1 and key not in resent}
    lost = [key for key in keys if key not in senders]
    assert (len(doubled), len(lost)) == (0, 0), (doubled, lost)
    assert held, "the process was killed holding no post"
    taken_over = {e["sent"]: e["at"] for e in behind.sent() if e["sent"] in held}
    assert set(taken_over) == set(held)  # everything the dead process held was sent by the other one
    assert max(taken_over.values()) - killed < TAKEN_OVER_WITHIN  # within its leases, not a minute on
    assert behind.led_at() is not None and 0 < behind.led_at() - killed < TAKEN_OVER_WITHIN  # never two leaders
    assert store.lease_holder(LEADER) in (None, "behind")
    store.close()
