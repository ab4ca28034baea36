"""The `paperboy` command line."""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path

from paperboy.adapters.console.adapter import ConsoleAdapter, ConsoleRaisingBrokenPipe
from paperboy.adapters.console.render import render
from paperboy.arguments import parser
from paperboy.bot.clock import SystemClock, iso
from paperboy.bot.commands.dispatch import build_core
from paperboy.bot.delivery.digest import build_digest_explained
from paperboy.bot.delivery.harvest import harvest_set, harvest_states
from paperboy.bot.delivery.ingest import PartialImport, import_file, ingest_arxiv, ingest_hf
from paperboy.bot.delivery.leader import LEADER
from paperboy.bot.delivery.pipeline import match_news
from paperboy.bot.replies import found_something
from paperboy.bot.search import saved_titles, semantic
from paperboy.bot.search.naming import name_all_pending
from paperboy.bot.serialize import reply_to_json_result
from paperboy.bot.sources import ArxivGate, Sources
from paperboy.bot.sources.files import UnreadableFile
from paperboy.bot.sources.http import SourceError
from paperboy.bot.sources.opening import check_readable
from paperboy.config import SettingError, database_location
from paperboy.health import check
from paperboy.logs import configure_logging
from paperboy.progress import copy_progress, embed_progress, import_progress
from paperboy.runner import StartupError, run_bot, stop_on_signals, talk
from paperboy.storage import CannotOpen, open_store, redacted
from paperboy.storage.sql import SQLStore
from paperboy.storage.transfer import CountMismatch, copy_installation


class UserError(Exception):
    """A mistake the user can fix: printed as one line, exit code 2."""


EXIT_READER_GONE = 141  # 128 + SIGPIPE, what a shell reports for a command that SIGPIPE stopped


def _open_store(args: argparse.Namespace, option: str = "--db"):
    given = getattr(args, "db", None)
    location = database_location(given, option=option)
    if isinstance(location, Path):
        if given is not None or (os.environ.get("PAPERBOY_DB") or "").strip():
            if not location.parent.is_dir():  # a typo in a path must not leave folders behind
                relative = (given or os.environ.get("PAPERBOY_DB") or "").strip()
                hint = (f" (sqlite:///{relative[len('sqlite:///'):]} is a path relative to this folder; an absolute "
                        f"path takes four slashes: sqlite:////{relative[len('sqlite:///'):]})"
                        if relative.startswith("sqlite:///") and not location.is_absolute() else "")
                raise UserError(f"no folder {location.parent} for the database {location.name}: create it, "
                                "or give another path" + hint)
        else:
            location.parent.mkdir(parents=True, exist_ok=True)  # the user data directory, made on first use
    try:
        return open_store(location)
    except CannotOpen as exc:
        raise UserError(str(exc)) from None


def _valid_date(text: str | None) -> str:
    if not text:
        return datetime.now(UTC).date().isoformat()
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise UserError(f"--date must look like 2026-11-24, not {text!r}") from None


def _database_urls(args: argparse.Namespace) -> list[str]:
    """The databases named on the command line, whose passwords the logs must not show."""
    named = [getattr(args, "db", None)]
    if args.command == "migrate-db":
        named += [args.source, args.target]
    return [location for location in named if location]


def main(argv: Sequence[str] | None = None) -> int:
    try:
        try:
            return _main(argv)
        finally:
            # Output to a pipe waits in a buffer: a reader that has gone may only show at this
            # flush, which is here rather than at the interpreter's exit so that it is handled below.
            sys.stdout.flush()
    except BrokenPipeError:
        _discard_stdout()
        return EXIT_READER_GONE


def _discard_stdout() -> None:
    """Points standard output at /dev/null, where what is left in its buffer goes at exit, instead of
    failing again and printing "Exception ignored ... BrokenPipeError"."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a file (under a test harness)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def _main(argv: Sequence[str] | None) -> int:
    args = parser().parse_args(argv)
    try:
        configure_logging(args.verbose, locations=_database_urls(args))
    except SettingError as exc:
        print(f"paperboy: {exc}", file=sys.stderr)
        return 2
    if not args.command:
        parser().print_help()
        return 2
    try:
        return _run(args)
    except (UserError, SettingError) as exc:
        print(f"paperboy: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _run(args: argparse.Namespace) -> int:
    if args.command == "import":
        return _import(args)
    if args.command == "stats":
        store = _open_store(args)
        print(f"{'database':20} {redacted(database_location(getattr(args, 'db', None)))}")
        stats = store.stats(iso(datetime.now(UTC)))
        for name, value in stats.items():
            print(f"{name:20} {value:,}" if isinstance(value, int) else f"{name:20} {value}")
        for source, count in store.papers_by_source().items():
            print(f"{'papers_from_' + source:20} {count:,}")
        for state in harvest_states(store):
            when = f"last finished {state.last_success}" if state.last_success else "never finished"
            doing = "" if state.finished else f", under way: {state.since}..{state.until}"
            print(f"{'harvest_' + state.set_spec:20} {when}, until {state.harvested_until or '-'}{doing}")
        if not stats["papers"]:
            print("\nNo papers yet. Fetch the last week of Hugging Face Daily Papers with\n"
                  "  paperboy ingest hf --days 7\nor load a file (see paperboy import --help) with\n"
                  "  paperboy import FILE\npaperboy run also fetches the last 7 days when it starts.", file=sys.stderr)
        return 0
    if args.command == "digest":
        return _digest(args)
    if args.command == "health":
        return _health(args)
    if args.command == "migrate-db":
        return _migrate_db(args)
    if args.command == "embed":
        return _embed(args)
    if args.command == "model":
        return _model_fetch()
    return asyncio.run(_async_command(args))


def _embed(args: argparse.Namespace) -> int:
    try:
        embedder = semantic.MiniLMEmbedder(threads=args.threads)
        embedder.load()
    except semantic.SemanticUnavailable as exc:
        raise UserError(str(exc)) from None
    store = _open_store(args)
    try:
        total = store.count_papers() - store.count_vectors()
        if args.limit is not None:
            total = min(total, args.limit)
        with embed_progress(ConsoleRaisingBrokenPipe(stderr=True), total) as show:
            report = semantic.embed_pending(store, embedder, limit=args.limit, progress=show)
        print(f"embedded {report.done:,} papers in {report.seconds:.0f} s ({report.rate:,.1f}/s); "
              f"{store.count_vectors():,} of {store.count_papers():,} papers have vectors")
    finally:
        store.close()
    return 0


def _model_fetch() -> int:
    try:
        info = semantic.model_info()
        started = time.perf_counter()
        semantic.MiniLMEmbedder(threads=1).encode(["warming the model"])
    except semantic.SemanticUnavailable as exc:
        raise UserError(str(exc)) from None
    print(f"{info['name']}: {int(info['bytes']) / 1e6:.0f} MB in {info['path']} (from the {info['package']} package; "
          f"nothing to download), loads and encodes in {time.perf_counter() - started:.1f} s")
    return 0


def _import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        check_readable(path)  # before the database is opened, so that a typo does not create one
    except UnreadableFile as exc:
        raise UserError(str(exc)) from None
    store = _open_store(args)
    now = datetime.now(UTC)
    console = ConsoleRaisingBrokenPipe(stderr=True)
    stopped: PartialImport | None = None
    try:
        try:
            if console.is_terminal:
                with import_progress(console) as show:
                    report = import_file(store, path, now, progress=show)
            else:
                report = import_file(store, path, now)
        except PartialImport as exc:
            report, stopped = exc.report, exc
    except KeyboardInterrupt:
        print(f"import stopped: the {store.count_papers():,} papers stored are kept; importing {path.name} "
              "again adds the rest", file=sys.stderr)
        raise
    if not report.read and stopped is None:
        raise UserError(f"{path} is empty" if path.stat().st_size == 0 else f"{path} holds no papers")
    names_mined = _name_papers(store)
    index_saved = None
    if (report.new or report.updated) and store.count_papers() >= saved_titles.SAVE_FROM:
        # Built here, once, so that the next start opens it instead of building it (for the papers
        # kept from a damaged file too); before anything is printed, so that a reader of the output
        # that goes away early does not stop it.
        started = datetime.now(UTC)
        index, _ = saved_titles.build_index(store)
        index_saved = f"title index of {len(index):,} papers saved in {(datetime.now(UTC) - started).total_seconds():.1f}s"
    if stopped is not None:
        raise UserError(_what_stopped(stopped))
    # An import loads back catalogue, not news: it raises no subscription alerts
    # (otherwise loading a corpus would message every subscriber thousands of times).
    print(f"read {report.read:,}, new {report.new:,}, updated {report.updated:,}, skipped {report.skipped:,}"
          + (f", {report.noted:,} field{'s' if report.noted != 1 else ''} noted" if report.noted else "")
          + f" in {report.seconds:.1f}s ({report.read / max(report.seconds, 1e-9):,.0f} papers/s)")
    for day in report.daily_lists:
        print(f"daily list of {day} recorded")
    if names_mined:
        print(names_mined)
    if index_saved:
        print(index_saved)
    _some("skipped", report.skipped_reasons, report.skipped)
    for line in report.notes:
        print(f"  noted: {line}", file=sys.stderr)
    return 0


def _name_papers(store: SQLStore) -> str | None:
    """Mines the names of the papers just stored, unless a running bot's leader does (it names
    whatever waits, in the background); what was done, to be printed."""
    if store.lease_holder(LEADER) is not None:
        left = store.names_left()
        return f"names of {left:,} papers left to the running bot" if left else None
    started = time.perf_counter()
    named = name_all_pending(store)
    took = time.perf_counter() - started
    return f"names of {named:,} papers mined in {took:.1f}s" if took >= 1.0 else None  # said when it was a wait


def _what_stopped(stopped: PartialImport) -> str:
    """What is wrong with the file, and how many of its papers are stored all the same."""
    papers = stopped.report.read - stopped.report.skipped
    kept = (f"; the {papers:,} papers read before are kept" if papers > 1
            else "; the one paper read before is kept" if papers else "")
    return f"{stopped.problem}{kept}"


def _some(what: str, reasons: list[str], total: int, shown: int = 5) -> None:
    for reason in reasons[:shown]:
        print(f"  {what}: {reason}", file=sys.stderr)
    if total > min(shown, len(reasons)):
        print(f"  and {total - min(shown, len(reasons)):,} more {what}", file=sys.stderr)


def _migrate_db(args: argparse.Namespace) -> int:
    source_location = database_location(args.source, option="--from")
    target_location = database_location(args.target, option="--to")
    if str(source_location) == str(target_location):
        raise UserError("--from and --to name the same database")
    if isinstance(source_location, Path) and not source_location.is_file():
        raise UserError(f"no database at {source_location}")
    source = _open_store(argparse.Namespace(db=args.source), "--from")
    target = _open_store(argparse.Namespace(db=args.target), "--to")
    console = ConsoleRaisingBrokenPipe(stderr=True)
    try:
        if console.is_terminal:
            with copy_progress(console) as show:
                counts = copy_installation(source, target, show)
        else:
            counts = copy_installation(source, target)
    except CountMismatch as exc:
        raise UserError(f"copied, but the counts differ (did the target hold rows of its own?): {exc}") from None
    except KeyboardInterrupt:
        print("copy stopped: what was copied is kept; run the same command again to finish it", file=sys.stderr)
        raise
    index_saved = counts["papers"] >= saved_titles.SAVE_FROM and target.side_file("titles") is not None
    if index_saved:  # before anything is printed, so that a reader of the output that goes away does not stop it
        saved_titles.build_index(target)
    source.close()
    target.close()
    print(f"copied {redacted(source_location)} to {redacted(target_location)}: "
          + ", ".join(f"{table} {count:,}" for table, count in counts.items()) + " (counts verified)")
    if index_saved:
        print("title index saved")
    return 0


def _health(args: argparse.Namespace) -> int:
    store = _open_store(args)
    if args.database:
        print(f"database ok: {redacted(database_location(getattr(args, 'db', None)))} ({store.count_papers():,} papers)")
        return 0
    healthy, why = check(store, datetime.now(UTC))
    print(why, file=sys.stdout if healthy else sys.stderr)
    return 0 if healthy else 1


def _digest(args: argparse.Namespace) -> int:
    day = _valid_date(args.date)
    store = _open_store(args)
    found, why = build_digest_explained(store, None, day)
    if found is None:
        print(f"nothing to post for {day}: {why}")
        return 1
    ConsoleRaisingBrokenPipe().print(render(found.reply))
    return 0


async def _async_command(args: argparse.Namespace) -> int:
    store = _open_store(args)
    try:
        # arXiv's pacing is shared by every process on this database.
        gate = ArxivGate(reserve=lambda now, interval: store.run(store.reserve_slot, "arxiv", now, interval))
        sources = Sources.from_env(os.environ, gate=gate)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    try:
        if args.command == "ingest":
            return await _ingest(args, store, sources)
        # Dense retrieval when the semantic extra is installed and papers have vectors (paperboy embed);
        # `run` then keeps embedding new papers in the background.
        dense = await store.run(semantic.open_semantic, store)
        if args.command == "run":
            try:
                return await run_bot(store, sources, os.environ, semantic=dense,
                                     open_store=partial(open_store, database_location(getattr(args, "db", None))))
            except (StartupError, SettingError) as exc:
                raise UserError(str(exc)) from None
        core = build_core(store, clock=SystemClock(), sources=sources, semantic=dense)
        try:
            return await _chat_command(args, core)
        finally:
            await core.matcher.aclose()
    finally:
        await sources.aclose()


async def _chat_command(args: argparse.Namespace, core) -> int:
    if args.command == "ask":
        return await _ask(args, core)
    if args.command == "chat":
        adapter = ConsoleAdapter(core)
        stop = asyncio.Event()
        stop_on_signals(stop)
        await adapter.start()
        await talk(adapter, stop)
        return 0
    raise UserError(f"unknown command {args.command}")


async def _ingest(args: argparse.Namespace, store: SQLStore, sources: Sources) -> int:
    now = datetime.now(UTC)
    status = 0
    left = ""  # what a failure now would leave undone, when more than what failed
    try:
        if args.source == "hf":
            last = date.fromisoformat(_valid_date(args.date))
            for back in range(args.days):
                day = (last - timedelta(days=back)).isoformat()
                left = _not_done(args.days - back, "days", "fetched")
                report = await ingest_hf(store, sources, day, now)
                print(f"{day}: {report.count} papers ({len(report.new_keys)} new)"
                      + (f", {len(report.skipped)} malformed skipped" if report.skipped else ""))
        elif args.source == "oai":
            since = _valid_date(args.since) if args.since else None
            until = _valid_date(args.until) if args.until else None
            sets = list(dict.fromkeys(args.sets))
            for done, set_spec in enumerate(sets):
                left = _not_done(len(sets) - done, "sets", "harvested")
                harvest = await harvest_set(store, sources, set_spec, now, since=since, until=until)
                print(f"{set_spec} {harvest.since}..{harvest.until}: {harvest.papers} papers "
                      f"({len(harvest.new_keys)} new, {harvest.withdrawn} withdrawn) in {harvest.pages} pages"
                      + (", resumed" if harvest.resumed else ""))
        else:
            report = await ingest_arxiv(store, sources, args.category, args.days, now)
            print(f"arXiv {args.category}: {report.count} papers ({len(report.new_keys)} new)")
    except SourceError as exc:  # the first failure ends the command: the days or sets after it are not tried
        print(f"paperboy: the source failed: {exc}{left}", file=sys.stderr)
        status = 1
    _name_papers(store)
    # What was stored before a failure is news all the same: its subscribers hear of it now.
    alerts = match_news(store, now)
    if alerts:
        print(f"{alerts} subscription alerts queued")
    return status


def _not_done(count: int, things: str, done: str) -> str:
    return f"; {count} {things} not {done}" if count > 1 else ""


async def _ask(args: argparse.Namespace, core) -> int:
    if args.line != "-" and not args.line.strip():
        raise UserError('ask needs a command, e.g. paperboy ask "/paper reversal curse"')
    lines = sys.stdin if args.line == "-" else [args.line]
    console = ConsoleRaisingBrokenPipe()
    terminal = ConsoleAdapter(core, console)
    status = 0
    for line in lines:
        inv = terminal.read(line)
        if inv is None:
            continue
        reply = await core.dispatch(inv)
        if args.json:
            result = reply_to_json_result(reply)
            saved = terminal.saved_file(reply, every_attachment=True)
            if saved is not None:
                result["files"] = [str(saved)]
            print(json.dumps(result, ensure_ascii=False), flush=True)
        else:
            console.print(terminal.present(reply))
        if not found_something(reply):
            status = 1
    return status


if __name__ == "__main__":
    raise SystemExit(main())
