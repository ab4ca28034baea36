"""Three `paperboy run` processes on one PostgreSQL database, as three machines would run them:
Discord shards 0/1/2 of 3 and three Slack HTTP workers, against the fake Discord, the fake Slack and
the fake paper sources. The leader is killed with SIGKILL in the middle of the morning's fan-out and
never comes back: another process takes the leadership (it matches the news that arrives after the
kill) and every daily post and every alert is shown exactly once."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
for folder in ("discord", "slack", "sources"):
    if str(TESTS / folder) not in sys.path:
        sys.path.insert(0, str(TESTS / folder))

from fake_discord import FakeDiscord  # noqa: E402
from fake_paper_sources import FakeSources  # noqa: E402
from fake_slack import BOT_TOKEN, Channel, FakeSlack, User  # noqa: E402

from paperboy.bot.clock import iso  # noqa: E402
from paperboy.bot.delivery.leader import LEADER, LEASE_SECONDS  # noqa: E402
from paperboy.bot.models import Paper  # noqa: E402
from paperboy.storage import open_store  # noqa: E402

CHANNELS, SUBSCRIBERS = 12, 8  # per platform
SIGNING_SECRET = "0123456789abcdef0123456789abcdef"
FIRST_NEWS = ("2607.20064", "2607.18975")  # the fixture's two papers about memory
LATE_NEWS = [Paper(key=f"2611.{99000 + n}", arxiv_id=f"2611.{99000 + n}", title=f"Late memory paper number {n}",
                   abstract="Arrives after the leader died.", published="2026-11-24") for n in range(2)]


def shown(messages: list[dict], text: str) -> int:
    return sum(text in json.dumps(message, ensure_ascii=False) for message in messages)


@pytest.mark.parametrize("backend", ["postgres"])
@pytest.mark.timeout(240)
async def test_a_leader_killed_mid_fan_out_loses_no_post_and_doubles_none(db_location, tmp_path):
    discord = await FakeDiscord(global_limit=50).start()
    slack = FakeSlack()
    sources = FakeSources()
    sources.serve_fixture("hf_daily_papers_2026-11-24.json", any_date=True)  # the processes run on the real clock
    await sources.start()
    for n in range(CHANNELS):
        slack.add_channel(Channel(f"C9{n:07d}", f"papers-{n}", creator="U0ADMIN"))
    for n in range(SUBSCRIBERS):
        slack.add_user(User(f"U9{n:07d}", f"reader{n}"))
    await slack.start()

    store = open_store(db_location)
    now = datetime.now(UTC)
    channels = {"discord": [str(900_000_000_000_000_000 + n) for n in range(CHANNELS)],
                "slack": [f"C9{n:07d}" for n in range(CHANNELS)]}
    users = {"discord": [str(800_000_000_000_000_000 + n) for n in range(SUBSCRIBERS)],
             "slack": [f"U9{n:07d}" for n in range(SUBSCRIBERS)]}
    workspaces = {"discord": discord.guild_id, "slack": "T0PAPERS"}
    for platform in ("discord", "slack"):
        for channel in channels[platform]:
            store.configure_channel(platform, workspaces[platform], channel, "2020-01-01T00:00:00Z", daily_time="00:00")
        for user in users[platform]:
            store.add_subscription(platform, workspaces[platform], user, "", "dm", "memory", iso(now))

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAPERBOY_", "DISCORD_", "SLACK_"))}
    env.update(discord.env(), PAPERBOY_DB=str(db_location), PAPERBOY_HF_BASE_URL=sources.url,
               PAPERBOY_ARXIV_BASE_URL=sources.url, PAPERBOY_INGEST_INTERVAL="1", PAPERBOY_DELIVERY_LEASE="3",
               SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=slack.base_url,
               PAPERBOY_SLACK_PORT="0", DISCORD_SHARD_COUNT="3")
    running: list[asyncio.subprocess.Process] = []
    for n in range(3):
        log = (tmp_path / f"process-{n}.log").open("ab")
        running.append(await asyncio.create_subprocess_exec(
            sys.executable, "-m", "paperboy.cli", "run", env={**env, "DISCORD_SHARD_IDS": str(n)},
            stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log))

    def messages_in(platform: str) -> dict[str, list[dict]]:
        if platform == "slack":
            return dict(slack.history)
        found: dict[str, list[dict]] = {}
        for message in discord.messages:
            found.setdefault(message["channel_id"], []).append(message)
        return found

    def dm_of(platform: str, user: str) -> str:
        return discord.dm_channels.get(user, "") if platform == "discord" else "D" + user[1:]

    def delivered() -> int:
        return len(discord.messages) + sum(len(m) for m in slack.history.values())

    async def until(condition, seconds: float, what: str) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            assert time.monotonic() < deadline, f"{what} within {seconds:.0f} s; logs in {tmp_path}"
            await asyncio.sleep(0.1)

    try:
        await until(lambda: delivered() >= 8, 90, "the fan-out began")
        leader = store.lease_holder(LEADER)
        assert leader is not None
        [killed] = [p for p in running if f":{p.pid}:" in leader]
        killed.send_signal(signal.SIGKILL)
        await killed.wait()
        at_the_kill = store.stats()
        assert at_the_kill["deliveries_pending"] + at_the_kill["deliveries_sending"] > 0  # in the middle of it
        store.upsert_papers(LATE_NEWS, iso(datetime.now(UTC)), news=True)  # what the next ingest would bring

        def successor() -> str | None:
            holder = store.lease_holder(LEADER)
            return holder if holder and holder != leader else None
        await until(lambda: successor() is not None, LEASE_SECONDS + 15, "another process took the leadership")
        assert f":{killed.pid}:" not in successor()

        everything = [(platform, user, title) for platform in users for user in users[platform]
                      for title in ("Late memory paper number 0", "Late memory paper number 1")]

        def all_shown() -> bool:
            return all(shown(messages_in(p).get(dm_of(p, u), []), t) for p, u, t in everything) and \
                store.stats()["deliveries_pending"] + store.stats()["deliveries_sending"] == 0
        await until(all_shown, 90, "every delivery was made")
    finally:
        for process in running:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process in running:
            await asyncio.wait_for(process.wait(), 30)
        await discord.stop()
        await slack.stop()
        await sources.stop()

    for platform in ("discord", "slack"):
        found = messages_in(platform)
        for channel in channels[platform]:
            assert shown(found.get(channel, []), "Trending papers") == 1, (platform, channel)
        first_titles = [p.title for p in store.get_papers(list(FIRST_NEWS)).values()]
        for user in users[platform]:
            for title in [*first_titles, *(p.title for p in LATE_NEWS)]:
                assert shown(found.get(dm_of(platform, user), []), title) == 1, (platform, user, title)
    assert {d.status for d in store.deliveries()} <= {"sent", "skipped"}
    store.close()
