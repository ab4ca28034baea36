"""One paperboy process for the clock tests (test_clock_skew.py): the delivery worker and the leader's
lease, the two parts of `paperboy run` that hold leases, on a clock moved by --offset seconds (a
host whose clock runs ahead or behind), sending to a platform that takes --send-seconds per post
and writes each post to --record the moment it is out, so that what a killed process sent is known.

    python lease_process.py DATABASE --name NAME --offset SECONDS --record FILE
"""
from __future__ import annotations

import argparse
import asyncio
import json
import signal
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from paperboy.bot.adapter import SendResult
from paperboy.bot.delivery.leader import Leadership
from paperboy.bot.delivery.outbox import DeliveryWorker
from paperboy.bot.delivery.registry import delivery_kinds
from paperboy.bot.models import Target
from paperboy.bot.replies import Reply
from paperboy.bot.syntax import SLASH
from paperboy.storage import open_store


class MovedClock:
    """The machine's clock, `offset` seconds off: what this process believes the time is."""

    def __init__(self, offset: float):
        self.offset = timedelta(seconds=offset)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class Record:
    """One JSON line per event, written through at once: a SIGKILL loses none of them."""

    def __init__(self, path: str, name: str):
        self.file = open(path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 - open for the process's life
        self.name = name

    def __call__(self, **event: Any) -> None:
        self.file.write(json.dumps({"by": self.name, "at": time.time(), **event}) + "\n")
        self.file.flush()


class SlowPlatform:
    """Implements bot.adapter.Adapter: every post takes `seconds` to go out, then is recorded."""

    platform = "memory"
    syntax = SLASH

    def __init__(self, record: Record, seconds: float):
        self.record = record
        self.seconds = seconds
        self.posted = 0

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, target: Target, reply: Reply, *, delivery_key: str | None = None,
                   resend: bool = False) -> SendResult:
        await asyncio.sleep(self.seconds)
        self.posted += 1
        self.record(sent=delivery_key)
        return SendResult(external_id=f"{self.record.name}-{self.posted}")


async def main(args: argparse.Namespace) -> None:
    record = Record(args.record, args.name)
    store = open_store(args.database)
    clock = MovedClock(args.offset)
    worker = DeliveryWorker(store, {"memory": SlowPlatform(record, args.send_seconds)}, clock, delivery_kinds(),
                            lease_seconds=args.lease, name=args.name)
    leadership = Leadership(store, args.name, lease_seconds=args.lease, renew_every=args.lease / 3)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)

    async def lead(until: asyncio.Event) -> None:
        record(leading=True)
        await until.wait()
        record(leading=False)

    record(ready=True)
    await asyncio.gather(worker.run(stop, interval=0.2), leadership.run(stop, lead))
    store.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("database")
    parser.add_argument("--name", required=True)
    parser.add_argument("--offset", type=float, default=0.0)
    parser.add_argument("--record", required=True)
    parser.add_argument("--lease", type=float, default=3.0)
    parser.add_argument("--send-seconds", type=float, default=0.3)
    asyncio.run(main(parser.parse_args()))
