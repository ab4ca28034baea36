"""Every post once, no alert lost, under SIGKILL: `paperboy run` killed at random moments while it posts a
daily list to 500 channels and an alert burst to 200 subscribers, through the real discord.py and
slack-bolt clients against the project's fake Discord and fake Slack on loopback.

Each trial starts from a fresh database holding what a busy morning leaves in the outbox: a daily
list due in 250 Discord and 250 Slack channels, and 2,000 alerts (10 papers for each of 100 Discord
and 100 Slack subscribers, by direct message). Then `paperboy run` starts (1 process, or 3 on the
one database: Discord shard ranges 0/1/2 of 3 and three Slack HTTP workers), one process is killed
with SIGKILL at a random moment of the sending and started again, and the trial waits until the
outbox is empty. The fakes play the platforms: the fake Discord drops a message whose nonce it saw
in the last five minutes (as Discord does) and enforces the global limit of 50 requests a second;
the fake Slack drops nothing.

Counted per platform, from what the fakes hold at the end: deliveries expected (a channel's daily
list, a subscriber's alert), lost (never shown), visibly duplicated (shown twice), repeats the
platform dropped (Discord: a nonce it had seen; Slack: a post found in the channel's history before
sending it again, so never sent), and the seconds from the last restart until the outbox was empty.
Targets: lost 0 and visibly duplicated 0.

Then the sources: 10 ingest rounds with 1 process and with 3, against a fake Hugging Face and arXiv:
the number of arXiv requests must be the same, and no two less than 3 s apart.

    python bench/faults.py [--trials 20] [--lease 10] [--only deliveries|sources] [--backend sqlite|postgres]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
for folder in ("discord", "slack", "sources", ""):
    sys.path.insert(0, str(ROOT / "tests" / folder))

from fake_discord import FakeDiscord  # noqa: E402
from fake_paper_sources import FIXTURES, FakeSources, Reply, atom_feed  # noqa: E402
from fake_slack import BOT_TOKEN, Channel, FakeSlack, User  # noqa: E402
from postgres_server import PostgresServer, binaries_missing  # noqa: E402

from bench.machine import describe_machine  # noqa: E402
from paperboy.bot.clock import (
    FakeClock,  # noqa: E402
    iso,  # noqa: E402
)
from paperboy.bot.delivery.pipeline import match_news  # noqa: E402
from paperboy.bot.delivery.scheduler import DailyScheduler  # noqa: E402
from paperboy.bot.models import Paper  # noqa: E402
from paperboy.storage import open_store  # noqa: E402

CHANNELS = 250  # per platform
SUBSCRIBERS = 100  # per platform
ALERTS_EACH = 10
SIGNING_SECRET = "0123456789abcdef0123456789abcdef"
DAILY_TITLE_WORD = "Trending papers"


@dataclass
class Expected:
    daily: dict[str, list[str]] = field(default_factory=lambda: {"discord": [], "slack": []})  # channels
    alerts: dict[str, dict[str, list[str]]] = field(default_factory=lambda: {"discord": {}, "slack": {}})


@dataclass
class Outcome:
    expected: int = 0
    lost: int = 0
    duplicated: int = 0
    repeats_dropped: int = 0

    def add(self, other: Outcome) -> None:
        self.expected += other.expected
        self.lost += other.lost
        self.duplicated += other.duplicated
        self.repeats_dropped += other.repeats_dropped


def alert_title(platform: str, subscriber: int, n: int) -> str:
    return f"Fault check {platform} paper {subscriber:04d}-{n:02d} on topic{platform[0]}{subscriber:04d}"


async def seed(db: Path | str, guild_id: str, now: datetime) -> Expected:
    """The outbox of a busy morning: daily lists due everywhere and a burst of alerts."""
    expected = Expected()
    store = open_store(db)
    day = now.date().isoformat()
    listed = [Paper(key=f"2611.{90000 + n}", arxiv_id=f"2611.{90000 + n}", title=f"Daily list paper {n:02d}",
                    abstract="A paper of the day.", published=day, upvotes=100 - n) for n in range(10)]
    store.upsert_papers(listed, iso(now))
    store.record_daily_list(day, "hf", [(p.key, p.upvotes) for p in listed])
    for n in range(CHANNELS):
        discord_channel, slack_channel = str(900_000_000_000_000_000 + n), f"C9{n:07d}"
        store.configure_channel("discord", guild_id, discord_channel, "2020-01-01T00:00:00Z", daily_time="00:00")
        store.configure_channel("slack", "T0PAPERS", slack_channel, "2020-01-01T00:00:00Z", daily_time="00:00")
        expected.daily["discord"].append(discord_channel)
        expected.daily["slack"].append(slack_channel)
    news = []
    for platform in ("discord", "slack"):
        for n in range(SUBSCRIBERS):
            user = str(800_000_000_000_000_000 + n) if platform == "discord" else f"U9{n:07d}"
            workspace = guild_id if platform == "discord" else "T0PAPERS"
            store.add_subscription(platform, workspace, user, "", "dm", f"topic{platform[0]}{n:04d}", iso(now))
            titles = [alert_title(platform, n, k) for k in range(ALERTS_EACH)]
            expected.alerts[platform][user] = titles
            news += [Paper(key=f"{platform[0]}{n:04d}{k:02d}", title=title, abstract="News.", published=day)
                     for k, title in enumerate(titles)]
    store.upsert_papers(news, iso(now), news=True)
    assert match_news(store, now) == 2 * SUBSCRIBERS * ALERTS_EACH
    queued = await DailyScheduler(store, FakeClock(now)).tick()
    assert len(queued) == 2 * CHANNELS
    store.close()
    return expected


def shown(messages: list[dict], text: str) -> int:
    return sum(text in json.dumps(message, ensure_ascii=False) for message in messages)


def count(expected: Expected, platform: str, messages_in: dict[str, list[dict]], dm_of) -> Outcome:
    outcome = Outcome()
    for channel in expected.daily[platform]:
        times = shown(messages_in.get(channel, []), DAILY_TITLE_WORD)
        outcome.expected += 1
        outcome.lost += times == 0
        outcome.duplicated += max(0, times - 1)
    for user, titles in expected.alerts[platform].items():
        messages = messages_in.get(dm_of(user), [])
        for title in titles:
            times = shown(messages, title)
            outcome.expected += 1
            outcome.lost += times == 0
            outcome.duplicated += max(0, times - 1)
    return outcome


class Bots:
    """The `paperboy run` processes of one trial."""

    def __init__(self, db: Path | str, discord: FakeDiscord, slack: FakeSlack, processes: int, lease: float, logs: Path):
        self.db, self.discord, self.slack, self.count, self.lease, self.logs = db, discord, slack, processes, lease, logs
        self.running: dict[int, asyncio.subprocess.Process] = {}

    def env(self, n: int) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PAPERBOY_", "DISCORD_", "SLACK_"))}
        env.update(self.discord.env(), PAPERBOY_DB=str(self.db), PAPERBOY_OFFLINE="1",
                   PAPERBOY_DELIVERY_LEASE=str(self.lease), SLACK_BOT_TOKEN=BOT_TOKEN,
                   SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=self.slack.base_url, PAPERBOY_SLACK_PORT="0")
        if self.count > 1:
            env.update(DISCORD_SHARD_COUNT=str(self.count), DISCORD_SHARD_IDS=str(n))
        return env

    async def start(self, n: int) -> None:
        log = (self.logs / f"process-{n}.log").open("ab")
        self.running[n] = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "paperboy.cli", "run", env=self.env(n), stdin=asyncio.subprocess.DEVNULL,
            stdout=log, stderr=log)

    async def start_all(self) -> None:
        for n in range(self.count):
            await self.start(n)

    async def kill_and_restart(self, n: int) -> None:
        self.running[n].send_signal(signal.SIGKILL)
        await self.running[n].wait()
        await self.start(n)

    async def stop(self) -> None:
        for process in self.running.values():
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process in self.running.values():
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()


def outbox_left(db: Path | str) -> int:
    store = open_store(db)
    try:
        stats = store.stats()
        return stats["deliveries_pending"] + stats["deliveries_sending"]
    finally:
        store.close()


def slack_found_before(db: Path | str) -> int:
    store = open_store(db)
    try:
        return sum((d.note or "").startswith("posted before an interruption") for d in store.deliveries())
    finally:
        store.close()


def new_database(folder: Path, server: PostgresServer | None) -> Path | str:
    """A fresh database for a trial: a SQLite file, or a new database on the PostgreSQL server."""
    return server.new_database() if server is not None else folder / "paperboy.db"


async def trial(processes: int, kill_after: float | None, lease: float, rng: random.Random,
                server: PostgresServer | None = None) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="paperboy-faults-"))
    database = new_database(folder, server)
    discord = await FakeDiscord(global_limit=50).start()
    slack = FakeSlack()
    for n in range(CHANNELS):
        slack.add_channel(Channel(f"C9{n:07d}", f"papers-{n}", creator="U0ADMIN"))
    for n in range(SUBSCRIBERS):
        slack.add_user(User(f"U9{n:07d}", f"reader{n}"))
    await slack.start()
    expected = await seed(database, discord.guild_id, datetime.now(UTC))
    bots = Bots(database, discord, slack, processes, lease, folder)
    started = time.monotonic()
    await bots.start_all()
    last_start = started
    killed = None
    try:
        if kill_after is not None:
            await asyncio.sleep(kill_after)
            killed = rng.randrange(processes)
            await bots.kill_and_restart(killed)
            last_start = time.monotonic()
        while outbox_left(bots.db):
            if time.monotonic() - last_start > 300:
                raise RuntimeError(f"the outbox did not empty within 300 s; logs in {folder}")
            await asyncio.sleep(0.2)
        finished = time.monotonic()
    finally:
        await bots.stop()
    discord_messages: dict[str, list[dict]] = {}
    for message in discord.messages:
        discord_messages.setdefault(message["channel_id"], []).append(message)
    discord_outcome = count(expected, "discord", discord_messages, lambda user: discord.dm_channels.get(user, ""))
    discord_outcome.repeats_dropped = discord.repeats_dropped
    slack_outcome = count(expected, "slack", dict(slack.history), lambda user: "D" + user[1:])
    slack_outcome.repeats_dropped = slack_found_before(bots.db)
    result = {"discord": discord_outcome, "slack": slack_outcome, "after_restart": finished - last_start,
              "total": finished - started, "killed": killed, "global_429s": discord.global_limited}
    await discord.stop()
    await slack.stop()
    return result


async def deliveries(trials: int, lease: float, seed_value: int, server: PostgresServer | None) -> None:
    rng = random.Random(seed_value)
    print(f"\nbackend: {'PostgreSQL' if server else 'SQLite'}")
    for processes in (1, 3):
        calibration = await trial(processes, None, lease, rng, server)
        span = calibration["total"]
        print(f"\n{processes} process{'es' if processes > 1 else ''}: an uninterrupted run empties the outbox in "
              f"{span:.1f} s ({calibration['global_429s']} global 429s); {trials} trials, each killed once at a "
              f"random moment in [0.1, 0.9] of that", flush=True)
        totals = {"discord": Outcome(), "slack": Outcome()}
        waits = []
        for n in range(trials):
            kill_after = rng.uniform(0.1, 0.9) * span
            result = await trial(processes, kill_after, lease, rng, server)
            for platform in totals:
                totals[platform].add(result[platform])
            waits.append(result["after_restart"])
            d, s = result["discord"], result["slack"]
            print(f"  trial {n + 1:2d}: kill at {kill_after:5.1f} s (process {result['killed']}); empty "
                  f"{result['after_restart']:5.1f} s after the restart | discord lost {d.lost} dup {d.duplicated} "
                  f"dropped repeats {d.repeats_dropped} | slack lost {s.lost} dup {s.duplicated} found before "
                  f"{s.repeats_dropped}", flush=True)
        for platform, outcome in totals.items():
            print(f"  {platform:8} over {trials} trials: expected {outcome.expected:,}, lost {outcome.lost}, "
                  f"visibly duplicated {outcome.duplicated}, repeats the platform dropped / found before "
                  f"{outcome.repeats_dropped}")
        print(f"  seconds from the last restart to an empty outbox: median {sorted(waits)[len(waits) // 2]:.1f}, "
              f"max {max(waits):.1f} (the lease is {lease:.0f} s)")


async def sources(rounds: int, interval: float, server: PostgresServer | None) -> None:
    """arXiv requests made by 1 process and by 3 over the same number of ingest rounds."""
    listing = (FIXTURES / "arxiv_query_cs.LG.xml").read_bytes()
    daily = (FIXTURES / "hf_daily_papers_2026-11-24.json").read_bytes()
    print(f"\nsources: {rounds} ingest rounds ({interval:.0f} s apart), a channel reading arXiv cs.LG")
    for processes in (1, 3):
        fake = FakeSources()
        fake.route("/api/daily_papers", Reply(200, daily))
        fake.route("/api/query", dynamic=lambda query: Reply(
            200, listing if query.get("start") == "0" else atom_feed([], total=100), "application/atom+xml"))
        # The leader's daily OAI-PMH harvest of the set the channel reads: answered, with nothing new.
        fake.route("/oai", Reply(200, (FIXTURES / "arxiv_oai_norecords.xml").read_bytes(), "text/xml"))
        await fake.start()
        folder = Path(tempfile.mkdtemp(prefix="paperboy-sources-"))
        database = new_database(folder, server)
        store = open_store(database)
        store.configure_channel("memory", "w", "c", "2020-01-01T00:00:00Z", sources="cs.LG")
        store.close()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PAPERBOY_", "DISCORD_", "SLACK_"))}
        env.update(PAPERBOY_DB=str(database), PAPERBOY_MEMORY_ADAPTER="1",
                   PAPERBOY_HF_BASE_URL=fake.url, PAPERBOY_ARXIV_BASE_URL=fake.url,
                   PAPERBOY_ARXIV_OAI_URL=f"{fake.url}/oai",
                   PAPERBOY_INGEST_INTERVAL=str(interval))
        running = []
        for n in range(processes):
            log = (folder / f"process-{n}.log").open("ab")
            running.append(await asyncio.create_subprocess_exec(
                sys.executable, "-m", "paperboy.cli", "run", env=env, stdin=asyncio.subprocess.DEVNULL,
                stdout=log, stderr=log))
        while len(fake.requests_to("/api/daily_papers")) <= 2 * rounds:  # two days a round, then the next begins
            await asyncio.sleep(0.2)
        for process in running:
            process.send_signal(signal.SIGTERM)
        await asyncio.gather(*(p.wait() for p in running))
        next_round = fake.requests_to("/api/daily_papers")[2 * rounds].at
        arxiv = [s.at for s in fake.requests_to("/api/query") if s.at < next_round]
        everything = [s.at for s in fake.requests_to("/api/query")]
        gaps = [b - a for a, b in zip(everything, everything[1:], strict=False)]
        print(f"  {processes} process{'es' if processes > 1 else ''}: {len(arxiv)} arXiv requests in {rounds} rounds "
              f"({len(arxiv) / rounds:.1f} a round), closest two {min(gaps, default=float('inf')):.2f} s apart")
        await fake.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--lease", type=float, default=10, help="PAPERBOY_DELIVERY_LEASE for the trials")
    parser.add_argument("--seed", type=int, default=20261129)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--only", choices=("deliveries", "sources"))
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite",
                        help="postgres: every trial on a new database of a throwaway PostgreSQL server")
    args = parser.parse_args()
    print(describe_machine())
    server = None
    if args.backend == "postgres":
        if binaries_missing():
            raise SystemExit(binaries_missing())
        server = PostgresServer().start()
    try:
        if args.only != "sources":
            await deliveries(args.trials, args.lease, args.seed, server)
        if args.only != "deliveries":
            await sources(args.rounds, 1.0, server)
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    asyncio.run(main())
