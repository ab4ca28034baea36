"""Platforms are found, not listed: each adapter package registers itself once, and the runner and
the configuration ask the registry."""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from paperboy.adapters import platforms
from paperboy.bot.clock import SystemClock, iso
from paperboy.bot.commands.dispatch import build_core
from paperboy.bot.models import Target
from paperboy.bot.replies import Notice
from paperboy.bot.serialize import reply_to_dict
from paperboy.bot.sources import Sources
from paperboy.runner import StartupError, configured_adapters, run_bot
from paperboy.storage.sqlite import SQLiteStore

REPO = Path(__file__).resolve().parents[2]


def test_every_adapter_package_registers_one_platform():
    registered = {p.name: p for p in platforms()}
    assert sorted(registered) == ["console", "discord", "memory", "slack"]
    assert registered["discord"].secrets == ("DISCORD_TOKEN",)
    assert set(registered["slack"].secrets) == {"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"}
    assert [name for name, p in registered.items() if p.fallback] == ["console"]
    packages = sorted(p.name for p in (REPO / "adapters").iterdir() if (p / "__init__.py").is_file())
    assert packages == sorted(registered)  # no package left unregistered


def test_only_what_the_environment_configures_is_built(monkeypatch, caplog):
    import io
    import sys

    core = build_core(SQLiteStore(memory=True))
    chosen = configured_adapters(core, {"PAPERBOY_MEMORY_ADAPTER": "1"}, platforms())
    assert [(p.name, a.platform) for p, a in chosen] == [("memory", "memory")]
    monkeypatch.setattr(sys, "stdin", io.StringIO())  # no terminal: systemd, a detached container
    assert configured_adapters(core, {}, platforms()) == []
    assert "running headless" in caplog.text
    assert [r.levelname for r in caplog.records if "running headless" in r.getMessage()] == ["WARNING"]  # act on it
    caplog.clear()

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Terminal())
    caplog.set_level(logging.INFO, logger="paperboy.runner")
    assert [p.name for p, _ in configured_adapters(core, {}, platforms())] == ["console"]
    assert [r.levelname for r in caplog.records if "running in the terminal" in r.getMessage()] == ["INFO"]


def test_the_first_stop_asks_and_the_second_ends_the_process_at_once():
    from paperboy.runner import Stopper

    stop, exits = asyncio.Event(), []
    stopper = Stopper(stop, exits.append)
    stopper()
    assert stop.is_set() and exits == []
    stopper()
    assert exits == [130]


def test_a_bad_setting_is_a_startup_error_naming_the_platform():
    core = build_core(SQLiteStore(memory=True))
    try:
        configured_adapters(core, {"DISCORD_TOKEN": "abc", "DISCORD_SHARD_COUNT": "zero"}, platforms())
    except StartupError as exc:
        assert str(exc).startswith("discord: DISCORD_SHARD_COUNT")
    else:
        raise AssertionError("a bad DISCORD_SHARD_COUNT was accepted")


async def test_the_runner_delivers_through_a_platform_it_found_in_the_registry():
    store = SQLiteStore(memory=True)
    store.enqueue_delivery("note:1", "alert", Target("memory", "w1", "c1"), reply_to_dict(Notice("hello")),
                           iso(SystemClock().now()))
    stop = asyncio.Event()
    running = asyncio.create_task(run_bot(store, Sources(None, None), {"PAPERBOY_MEMORY_ADAPTER": "1"}, stop=stop))
    try:
        for _ in range(500):
            delivery = store.get_delivery("note:1")
            if delivery.status == "sent":
                break
            await asyncio.sleep(0.01)
    finally:
        stop.set()
        assert await asyncio.wait_for(running, 10) == 0
    assert (delivery.status, delivery.external_id) == ("sent", "memory-1")


def test_the_runner_and_the_configuration_name_no_platform():
    for module in ("runner.py", "config.py"):
        text = (REPO / "paperboy" / module).read_text().lower()
        assert "discord" not in text and "slack" not in text, module


def test_a_secret_in_a_log_line_or_its_traceback_is_written_as_its_name(capsys):
    import logging

    from paperboy.config import redact_logs

    token = "MTIz.discord-token-value.abc"
    handler = logging.StreamHandler()
    redact_logs([handler], {"DISCORD_TOKEN": token, "SLACK_BOT_TOKEN": "xoxb-1-2-3"})
    log = logging.getLogger("test.redact")
    log.addHandler(handler)
    try:
        log.warning("GET https://example.invalid/?token=%s failed", token)
        try:
            raise RuntimeError(f"refused {token} and xoxb-1-2-3")
        except RuntimeError:
            log.exception("call failed")
    finally:
        log.removeHandler(handler)
    written = capsys.readouterr().err
    assert token not in written and "xoxb-1-2-3" not in written
    assert "?token=<DISCORD_TOKEN> failed" in written and "refused <DISCORD_TOKEN> and <SLACK_BOT_TOKEN>" in written


def test_the_database_url_s_password_is_a_secret_too(capsys):
    import logging

    from paperboy.config import redact_logs

    handler = logging.StreamHandler()
    redact_logs([handler], {"PAPERBOY_DB": "postgresql://paperboy:pg-s3cret-pw@db.example:5432/paperboy"})
    log = logging.getLogger("test.redact.db")
    log.addHandler(handler)
    try:
        log.warning("connecting to postgresql://paperboy:pg-s3cret-pw@db.example:5432/paperboy failed")
    finally:
        log.removeHandler(handler)
    written = capsys.readouterr().err
    assert "pg-s3cret-pw" not in written and "paperboy:<PAPERBOY_DB password>@db.example" in written
