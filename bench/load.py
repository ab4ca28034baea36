"""`/paper` under a steady offered load, as users send it: every interaction acknowledged in time?

    python bench/load.py [--rates 20,50,100,200,400] [--seconds 15] [--platforms discord,slack]
                         [--baseline 0313214] [--db PATH] [--semantic]

This process is the load generator and the platform: a fake Discord (REST and gateway) or a fake
Slack (Web API and response_url) on loopback. The bot is `paperboy run` in its own process
(bench/load_bot.py), on the 304k-paper corpus database, offline, talking to the fake through the
real discord.py client, or slack-bolt in HTTP mode. Each rate gets a fresh bot; interactions are
sent at a steady rate (open loop: a slow bot does not slow the sender) with a mix of arXiv ids,
titles with typos and abstract keywords (bench/queries.py), and with --descriptions a share of
hand-written descriptions (bench/descriptions.json).

Per rate: first response (the acknowledgement: the answer itself or a deferral) p50/p99/max from
the moment the event was written, answers completed per second, acknowledgements later than 3 s
(Discord refuses them; Slack shows its timeout), "busy" answers, and the knee: the highest rate
whose p99 stays under 500 ms. The same for the baseline commit (today's code before the worker
pool and admission control), unpacked with `git archive` and run the same way in the same run.
With --semantic, every bot runs with dense retrieval on (PAPERBOY_SEMANTIC=1), on a database whose
papers have vectors (--db).
"""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "discord"))
sys.path.insert(0, str(ROOT / "tests" / "slack"))

import aiohttp  # noqa: E402
from fake_discord import FakeDiscord  # noqa: E402
from fake_slack import BOT_TOKEN, FakeSlack  # noqa: E402
from slack_payloads import slash_command  # noqa: E402

from bench.corpus import CACHE_DIR, corpus_available, corpus_store  # noqa: E402
from bench.machine import describe_machine  # noqa: E402
from bench.queries import load_queries  # noqa: E402

BASELINE = "0313214"  # main before the worker pool and admission control
DEADLINE = 3.0
KNEE_P99 = 0.5
DRAIN = 12.0  # seconds after the last send that answers are still waited for
SECRET = "load-bench-signing-secret"
BUSY = "busy"
KINDS = ("id", "typo1", "typo2", "abstract", "lower")
DESCRIPTIONS = ROOT / "bench" / "descriptions.json"


@dataclass
class Sent:
    at: float
    first: float | None = None  # acknowledgement (answer or deferral) accepted in time
    late_ack: bool = False  # an acknowledgement came, after the deadline
    done: float | None = None  # the answer (not a deferral) arrived
    busy: bool = False


@dataclass
class Outcome:
    rate: int
    sent: list[Sent] = field(default_factory=list)
    span: float = 0.0

    def row(self) -> dict:
        firsts = sorted(s.first - s.at for s in self.sent if s.first is not None)
        answered = [s for s in self.sent if s.done is not None and not s.busy]
        late = sum(1 for s in self.sent if s.first is None)
        last = max((s.done for s in answered), default=None)
        began = min((s.at for s in self.sent), default=0.0)
        return {
            "rate": self.rate, "sent": len(self.sent), "offered_per_s": len(self.sent) / self.span if self.span else 0,
            "p50_ms": _pct(firsts, 0.5), "p99_ms": _pct(firsts, 0.99, missing=late, total=len(self.sent)),
            "max_ms": (firsts[-1] * 1000 if firsts else None) if not late else None,
            "answers_per_s": len(answered) / max(self.span, (last - began) if last else 0) if answered else 0.0,
            "late": late, "busy": sum(1 for s in self.sent if s.busy),
            "unanswered": sum(1 for s in self.sent if s.first is not None and s.done is None and not s.busy),
        }


def _pct(values: list[float], share: float, missing: int = 0, total: int = 0) -> float | None:
    """A percentile in ms, counting interactions with no acknowledgement in time as slower than any."""
    total = total or len(values)
    if not total:
        return None
    at = min(total - 1, int(share * total))
    return values[at] * 1000 if at < len(values) else None


# The share of the mix drawn from bench/descriptions.json's descriptions (--descriptions).
DESCRIPTION_SHARE = {"share": 0.0}


def mix(count: int) -> list[str]:
    queries = [q["query"] for q in load_queries() if q["kind"] in KINDS]
    described = [q["query"] for q in json.loads(DESCRIPTIONS.read_text()) if q["kind"] == "description"]
    rng = random.Random(15)
    share = DESCRIPTION_SHARE["share"]
    return [rng.choice(described if rng.random() < share else queries) for _ in range(count)]


def unpack(rev: str, into: Path) -> Path:
    """The source tree at `rev`, unpacked once (git archive: no worktree, nothing in .git changes)."""
    sha = subprocess.run(["git", "rev-parse", rev], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    tree = into / f"tree-{sha[:10]}"
    if not (tree / "paperboy" / "cli.py").exists():
        tree.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "archive", sha], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


@dataclass
class Setup:
    """A source tree and the settings its bots run with."""
    tree: Path
    env: dict[str, str] = field(default_factory=dict)


class Bot:
    """`paperboy run` from a source tree, in its own process."""

    workers: str | None = None  # PAPERBOY_LOOKUP_WORKERS for every bot of the run (--workers)

    def __init__(self, setup: Setup, db: Path, env: dict[str, str], log: Path):
        self.tree, self.db, self.env, self.log = setup.tree, db, {**setup.env, **env}, log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SLACK_", "PAPERBOY_"))}
        env.update(PAPERBOY_OFFLINE="1", PAPERBOY_SEMANTIC="0", PAPERBOY_INGEST_INTERVAL="86400")
        env.update(self.env)
        if self.workers is not None:
            env["PAPERBOY_LOOKUP_WORKERS"] = self.workers
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(ROOT / "bench" / "load_bot.py"), str(self.tree), "--db", str(self.db), "run"],
                env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


async def paced(count: int, rate: int, send) -> float:
    """Calls send(i) at a steady rate, on schedule whatever the answers do; returns the span."""
    began = time.monotonic()
    tasks = set()
    for i in range(count):
        delay = began + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(send(i))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    span = time.monotonic() - began
    if tasks:
        await asyncio.wait(tasks, timeout=DRAIN)
    return span


# ---- Discord ---------------------------------------------------------------------------------

def _discord_text(body) -> str:
    return json.dumps(body or {}).lower()


async def discord_rate(setup: Setup, db: Path, rate: int, seconds: float, log: Path) -> Outcome:
    fake = await FakeDiscord().start()
    bot = Bot(setup, db, {**fake.env(), "DISCORD_GUILD_ID": fake.guild_id}, log)
    bot.start()
    try:
        await asyncio.wait_for(fake.gateway_connected.wait(), 120)
        await _discord_round(fake, mix(10), 10)  # warm up: not counted
        return await _discord_round(fake, mix(int(rate * seconds)), rate)
    finally:
        bot.stop()
        await fake.stop()


async def _discord_round(fake: FakeDiscord, queries: list[str], rate: int) -> Outcome:
    payloads = [fake.interaction_payload("paper", [{"type": 3, "name": "query", "value": q}]) for q in queries]
    outcome = Outcome(rate)
    records = []

    async def send(i: int) -> None:
        record = await fake.interact(payloads[i])
        records.append(record)
        try:
            await record.wait_for(lambda r: (r.callbacks and (r.callback.get("type") == 4 or r.followups or r.edits)),
                                  timeout=DEADLINE + DRAIN)
        except TimeoutError:
            pass

    outcome.span = await paced(len(payloads), rate, send)
    late_ids = {c.path.split("/")[2] for c in fake.requests("POST", r"^/interactions/") if c.status == 404}
    for record in records:
        sent = Sent(record.sent_at)
        if record.callbacks:
            sent.first = record.callbacks[0].at
            answer = [record.callbacks[0]] if record.callback.get("type") == 4 else (record.followups + record.edits)
            if answer:
                sent.done = answer[0].at
                sent.busy = BUSY in _discord_text(answer[0].body)
        sent.late_ack = record.id in late_ids
        outcome.sent.append(sent)
    return outcome


# ---- Slack (HTTP mode) -----------------------------------------------------------------------

def signed(body: str) -> dict[str, str]:
    stamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}",
            "Content-Type": "application/x-www-form-urlencoded"}


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def slack_rate(setup: Setup, db: Path, rate: int, seconds: float, log: Path) -> Outcome:
    fake = FakeSlack()
    await fake.start()
    port = free_port()
    bot = Bot(setup, db, {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.base_url,
                         "PAPERBOY_SLACK_PORT": str(port)}, log)
    bot.start()
    url = f"http://127.0.0.1:{port}/slack/events"
    connector = aiohttp.TCPConnector(limit=0)
    try:
        async with aiohttp.ClientSession(connector=connector) as session:
            await _wait_listening(session, url)
            await _slack_round(fake, session, url, mix(10), 10)  # warm up: not counted
            return await _slack_round(fake, session, url, mix(int(rate * seconds)), rate)
    finally:
        bot.stop()
        await fake.stop()


async def _wait_listening(session: aiohttp.ClientSession, url: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            async with session.get(url) as response:
                await response.read()
                return
        except aiohttp.ClientError:
            await asyncio.sleep(0.2)
    raise RuntimeError("the bot's Slack endpoint did not come up")


async def _slack_round(fake: FakeSlack, session, url: str, queries: list[str], rate: int) -> Outcome:
    bodies = []
    for query in queries:
        response_url = fake.response_url()
        bodies.append((urlencode(slash_command(query, response_url=response_url)), response_url.rsplit("/", 1)[-1]))
    outcome = Outcome(rate)
    sent_list: list[tuple[Sent, str]] = []

    async def send(i: int) -> None:
        body, rid = bodies[i]
        sent = Sent(time.monotonic())
        sent_list.append((sent, rid))
        try:
            async with session.post(url, data=body.encode(), headers=signed(body),
                                    timeout=aiohttp.ClientTimeout(total=DEADLINE)) as response:
                text = await response.text()
                sent.first = time.monotonic()
                if text.strip():
                    sent.done = sent.first
                    sent.busy = BUSY in text.lower()
        except (TimeoutError, aiohttp.ClientError):
            sent.late_ack = True

    outcome.span = await paced(len(bodies), rate, send)
    waiting = [s for s, _ in sent_list if s.first is not None and s.done is None]
    deadline = time.monotonic() + DRAIN
    while waiting and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        by_rid = {rid: at for rid, _, at in fake.responses}
        for sent, rid in sent_list:
            if sent.first is not None and sent.done is None and rid in by_rid:
                sent.done = by_rid[rid]
        waiting = [s for s, _ in sent_list if s.first is not None and s.done is None]
    responses = {rid: body for rid, body, _ in fake.responses}
    for sent, rid in sent_list:
        if rid in responses and BUSY in json.dumps(responses[rid]).lower():
            sent.busy = True
    outcome.sent = [s for s, _ in sent_list]
    return outcome


# ---- the run ---------------------------------------------------------------------------------

def fmt(value, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def knee(rows: list[dict]) -> int | None:
    under = [r["rate"] for r in rows if r["p99_ms"] is not None and r["p99_ms"] < KNEE_P99 * 1000 and not r["late"]]
    return max(under) if under else None


def table(platform: str, results: dict[str, list[dict]]) -> str:
    lines = [f"\n{platform}: first response (acknowledgement) in ms, answers/s, acks later than 3 s, busy answers",
             "| code | rate/s | sent (achieved/s) | p50 | p99 | max | answers/s | acks > 3 s | busy | no answer |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, rows in results.items():
        for r in rows:
            lines.append(f"| {name} | {r['rate']} | {r['sent']:,} ({r['offered_per_s']:.0f}) | {fmt(r['p50_ms'])} | "
                         f"{fmt(r['p99_ms'])} | "
                         f"{fmt(r['max_ms'])} | {fmt(r['answers_per_s'], 1)} | {r['late']} | {r['busy']} | "
                         f"{r['unanswered']} |")
    for name, rows in results.items():
        lines.append(f"knee ({name}): {knee(rows) or 'below the lowest rate'} per second (p99 < 500 ms, none late)")
    return "\n".join(lines)


async def run(args: argparse.Namespace) -> None:
    rates = [int(r) for r in args.rates.split(",")]
    work = Path(tempfile.mkdtemp(prefix="paperboy-load-", dir=CACHE_DIR))
    settings = {"PAPERBOY_SEMANTIC": "1"} if args.semantic else {}
    if args.baseline:
        trees = {"today": Setup(unpack(args.baseline, work), settings), "this": Setup(ROOT, settings)}
    else:
        trees = {"this": Setup(ROOT, settings)}
    if args.only:
        trees = {k: v for k, v in trees.items() if k == args.only}
    print(describe_machine())
    shown = ", ".join(f"{k} = {v.tree} {v.env or ''}" for k, v in trees.items())
    print(f"trees: {shown}; bot logs in {work}; descriptions {args.descriptions:.0%} of the lookups; "
          f"PAPERBOY_LOOKUP_WORKERS={args.workers or 'default'}")
    runners = {"discord": discord_rate, "slack": slack_rate}
    report = {}
    for platform in args.platforms.split(","):
        results: dict[str, list[dict]] = {name: [] for name in trees}
        for rate in rates:
            for name, setup in trees.items():
                outcome = await runners[platform](setup, args.db, rate, args.seconds, work / f"{platform}-{name}.log")
                row = outcome.row()
                results[name].append(row)
                print(f"{platform} {name:5} {rate:4}/s: p50 {fmt(row['p50_ms'])} ms, p99 {fmt(row['p99_ms'])} ms, "
                      f"{fmt(row['answers_per_s'], 1)} answers/s, {row['late']} late, {row['busy']} busy, "
                      f"{row['unanswered']} unanswered", flush=True)
        print(table(platform, results), flush=True)
        report[platform] = results
    (work / "results.json").write_text(json.dumps(report, indent=1))
    print(f"\nload average after the run: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="20,50,100,200,400")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--platforms", default="discord,slack")
    parser.add_argument("--baseline", default=BASELINE, help="commit measured beside this tree ('' for none)")
    parser.add_argument("--only", choices=("today", "this"), help="measure one of the two trees")
    parser.add_argument("--semantic", action="store_true",
                        help="dense retrieval on (PAPERBOY_SEMANTIC=1): --db must hold the papers' vectors")
    parser.add_argument("--workers", help="PAPERBOY_LOOKUP_WORKERS for the bots (default: theirs)")
    parser.add_argument("--db", type=Path, default=None, help="a copy of the corpus database (default: the cache's)")
    parser.add_argument("--descriptions", type=float, default=0.0,
                        help="share of the lookups drawn from bench/descriptions.json's descriptions")
    args = parser.parse_args()
    if not corpus_available():
        print("corpus not found (../shared/corpus); nothing to measure")
        return
    if args.db is None:
        args.db = Path(corpus_store(quiet=True).path)
    Bot.workers = args.workers
    DESCRIPTION_SHARE["share"] = args.descriptions
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
