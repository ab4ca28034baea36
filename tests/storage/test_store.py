"""The stores: schema migrations, papers and their full-text index, channels, the outbox (tests taking
`store` run on SQLite and PostgreSQL)."""
from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest
from lease_time import SHORT_LEASE, wait_for_delivery_leases_to_run_out

from paperboy.bot.models import Paper, Target, key_for_unnumbered
from paperboy.bot.search.naming import name_pending
from paperboy.storage import migrations
from paperboy.storage.sqlite import SQLiteStore

T0, T1 = "2026-11-24T08:00:00Z", "2026-11-25T08:00:00Z"


def paper(key="2309.12288", **kw):
    base = dict(key=key, arxiv_id=key, title="The Reversal Curse", abstract="Models trained on A is B fail.",
                authors=("Lukas Berglund", "Owain Evans"), categories=("cs.CL",))
    base.update(kw)
    return Paper(**base)


def test_file_database_uses_wal_and_records_migrations(tmp_path):
    store = SQLiteStore(tmp_path / "p.db")
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    names = [r[0] for r in store.conn.execute("SELECT name FROM _migrations")]
    assert names == [name for name, _ in migrations.MIGRATIONS]


def test_existing_database_upgrades_in_place_without_losing_rows(tmp_path, monkeypatch):
    path = tmp_path / "old.db"
    store = SQLiteStore(path)
    store.upsert_papers([paper()], T0)
    store.close()
    extra = ("0099_test_column", "ALTER TABLE papers ADD COLUMN test_note TEXT;")
    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, extra])
    upgraded = SQLiteStore(path)
    assert upgraded.get_paper("2309.12288").title == "The Reversal Curse"
    columns = [r[1] for r in upgraded.conn.execute("PRAGMA table_info(papers)")]
    assert "test_note" in columns
    assert upgraded.conn.execute("SELECT count(*) FROM _migrations WHERE name = '0099_test_column'").fetchone()[0] == 1


def test_failed_migration_leaves_the_database_as_it_was(tmp_path, monkeypatch):
    path = tmp_path / "p.db"
    SQLiteStore(path).upsert_papers([paper()], T0)
    broken = ("0099_broken", "ALTER TABLE papers ADD COLUMN half TEXT; THIS IS NOT SQL;")
    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, broken])
    with pytest.raises(sqlite3.OperationalError):
        SQLiteStore(path)
    monkeypatch.undo()
    store = SQLiteStore(path)
    assert "half" not in [r[1] for r in store.conn.execute("PRAGMA table_info(papers)")]
    assert store.count_papers() == 1


def test_processes_opening_a_new_database_at_once_all_start(tmp_path):
    # A fleet starting together, or `paperboy health` beside a starting `paperboy run`: each step
    # is applied once, and nobody fails on a step another process has just recorded.
    path = tmp_path / "new.db"
    opening = f"from paperboy.storage.sqlite import SQLiteStore; SQLiteStore({str(path)!r})"
    processes = [subprocess.Popen([sys.executable, "-c", opening], stderr=subprocess.PIPE, text=True)
                 for _ in range(4)]
    failures = [err for p in processes if (err := p.communicate(timeout=60)[1]) and p.returncode]
    assert failures == []
    store = SQLiteStore(path)
    names = [r[0] for r in store.conn.execute("SELECT name FROM _migrations ORDER BY name")]
    assert names == sorted(name for name, _ in migrations.MIGRATIONS)


def test_a_trigger_s_semicolons_stay_inside_its_statement():
    script = "CREATE TABLE a (x);\nCREATE TRIGGER t AFTER INSERT ON a BEGIN\n  SELECT 1;\n  SELECT 2;\nEND;\n"
    assert migrations._statements(script) == ["CREATE TABLE a (x);",
                                              "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  SELECT 1;\n  SELECT 2;\nEND;"]


def test_upsert_reports_new_keys_and_is_idempotent(store):
    first = store.upsert_papers([paper(), paper("2504.04383", title="Retro-Search")], T0)
    assert first.new_keys == ("2309.12288", "2504.04383")
    again = store.upsert_papers([paper(), paper("2504.04383", title="Retro-Search")], T1)
    assert again.new_keys == () and again.changed == 0
    assert store.get_paper("2309.12288").last_seen == T0  # nothing changed, nothing rewritten


def test_thin_record_never_erases_richer_data(store):
    store.upsert_papers([paper(upvotes=40, ai_summary="Short summary.", code_url="https://github.com/x/y")], T0)
    store.upsert_papers([paper(abstract=None, authors=(), categories=(), upvotes=None)], T1)
    kept = store.get_paper("2309.12288")
    assert (kept.upvotes, kept.ai_summary, kept.code_url) == (40, "Short summary.", "https://github.com/x/y")
    assert kept.abstract and kept.authors == ("Lukas Berglund", "Owain Evans")
    store.upsert_papers([paper(upvotes=41)], T1)
    assert store.get_paper("2309.12288").upvotes == 41


def test_fts_index_follows_inserts_and_updates(store):
    store.upsert_papers([paper()], T0)
    assert len(store.fts_search('"reversal"')) == 1
    store.upsert_papers([paper(title="The Inversion Blessing")], T1)
    assert store.fts_search('"reversal"') == []
    assert len(store.fts_search('"inversion"')) == 1
    assert len(store.fts_search('"berglund"')) == 1  # authors are indexed too


def test_papers_without_arxiv_id_are_first_class(store):
    key = key_for_unnumbered("Attention Is All You Need", "NeurIPS 2017")
    assert key == key_for_unnumbered("attention is all you need!", "NeurIPS 2017")
    store.upsert_papers([Paper(key=key, title="Attention Is All You Need", venue="NeurIPS 2017")], T0)
    found = store.get_paper(key)
    assert found.arxiv_id is None and found.venue == "NeurIPS 2017"
    assert found.url is None and found.links() == []


def test_daily_list_is_ranked_and_replaced(store):
    store.upsert_papers([paper("2607.00001"), paper("2607.00002")], T0)
    store.record_daily_list("2026-11-24", "hf", [("2607.00002", 9), ("2607.00001", 3)])
    assert [p.key for p, _ in store.daily_list("2026-11-24", "hf")] == ["2607.00002", "2607.00001"]
    store.record_daily_list("2026-11-24", "hf", [("2607.00001", 30)])
    assert [(p.key, up) for p, up in store.daily_list("2026-11-24", "hf")] == [("2607.00001", 30)]
    assert store.latest_daily_date("hf", "2026-11-30") == "2026-11-24"
    assert store.latest_daily_date("hf", "2026-11-23") is None


def test_outbox_enqueue_is_exactly_once_and_survives_a_crash(store):
    target = Target("discord", "g1", "c1")
    assert store.enqueue_delivery("daily:1:2026-11-24", "daily", target, {"kind": "notice", "text": "x"}, T0)
    assert not store.enqueue_delivery("daily:1:2026-11-24", "daily", target, {"kind": "notice", "text": "y"}, T0)
    claimed = store.claim_due_deliveries(T0, ["discord"], lease_seconds=SHORT_LEASE)
    assert [d.dedupe_key for d in claimed] == ["daily:1:2026-11-24"]
    assert store.claim_due_deliveries(T0, ["discord"]) == []  # claimed rows are not handed out twice
    # The process died while sending: once its lease has run out (by the database's clock), it is taken over.
    wait_for_delivery_leases_to_run_out(store)
    again = store.claim_due_deliveries(T1, ["discord"])
    assert again[0].attempts == 2 and again[0].payload == {"kind": "notice", "text": "x"}
    store.mark_delivered(again[0].id, T1, external_id="m1")
    assert store.get_delivery("daily:1:2026-11-24").status == "sent"
    assert store.claim_due_deliveries(T1, ["discord"]) == []


def test_channel_settings_are_validated_by_name(store):
    with pytest.raises(ValueError):
        store.configure_channel("slack", "T1", "C1", T0, colour="blue")
    channel = store.configure_channel("slack", "T1", "C1", T0, daily_time="09:00", tz="America/New_York")
    assert channel.tz == "America/New_York" and channel.enabled
    assert store.enabled_channels("slack") == [channel]


def test_subscription_ids_are_never_reused(store):
    first = store.add_subscription("slack", "T", "U1", "C", "dm", "diffusion", T0)
    second = store.add_subscription("slack", "T", "U1", "C", "dm", "reasoning", T0)
    assert store.remove_subscription("slack", "T", "U1", second.id)
    third = store.add_subscription("slack", "T", "U2", "C", "dm", "robots", T0)
    assert third.id not in (first.id, second.id)  # alert:<id>:<paper> keys stay unambiguous


def test_adding_a_subscription_twice_keeps_one(store):
    """What a retry does when the first try committed but its answer was lost."""
    first = store.add_subscription("slack", "T", "U1", "C", "dm", "diffusion", T0)
    again = store.add_subscription("slack", "T", "U1", "C", "dm", "diffusion", T1)
    other_owner = store.add_subscription("slack", "T", "U2", "C", "dm", "diffusion", T0)
    assert again == first and other_owner.id != first.id
    assert [s.id for s in store.subscriptions_of("slack", "T", "U1")] == [first.id]


def test_upgrading_keeps_subscriptions_and_skips_ids_alerts_used(tmp_path, monkeypatch):
    path = tmp_path / "p.db"
    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:2])
    old = SQLiteStore(path)
    sub = old.add_subscription("slack", "T", "U1", "C", "dm", "diffusion", T0)
    gone = old.add_subscription("slack", "T", "U1", "C", "dm", "reasoning", T0)
    old.enqueue_delivery(f"alert:{gone.id}:2607.00001", "alert", Target("slack", "T", "C", "U1", "dm"), {}, T0)
    old.remove_subscription("slack", "T", "U1", gone.id)
    old.close()
    monkeypatch.undo()
    store = SQLiteStore(path)
    assert store.get_subscription(sub.id).query == "diffusion"
    fresh = store.add_subscription("slack", "T", "U2", "C", "dm", "robots", T0)
    assert fresh.id > gone.id


def test_bulk_enqueue_adds_only_new_keys(store):
    target = Target("slack", "T", "C", "U1", "dm")
    rows = [(f"alert:1:{n}", "alert", target, {"kind": "notice", "text": str(n)}) for n in range(3)]
    assert store.enqueue_deliveries(rows, T0) == 3
    assert store.enqueue_deliveries(rows + [("alert:1:9", "alert", target, {})], T0) == 1
    assert len(store.deliveries(kind="alert")) == 4


def test_fts_index_keeps_large_batches_in_memory_until_commit(tmp_path):
    store = SQLiteStore(tmp_path / "p.db")
    (hashsize,) = store.conn.execute("SELECT v FROM papers_fts_config WHERE k = 'hashsize'").fetchone()
    assert hashsize == 128 * 1024 * 1024


STORE_MODULES = ["paperboy.bot.store", "paperboy.bot.search.store", "paperboy.bot.delivery.store",
                 "paperboy.bot.subscriptions.store", "paperboy.bot.reading.store", "paperboy.bot.trends.store"]


def store_protocols() -> list[type]:
    """Every store protocol the core declares: bot/store.py's and each subsystem's."""
    import importlib
    import inspect
    from typing import Protocol

    found = []
    for module in STORE_MODULES:
        for member in vars(importlib.import_module(module)).values():
            if inspect.isclass(member) and member.__module__ == module and Protocol in member.__mro__[1:]:
                found.append(member)
    return found


@pytest.mark.parametrize("module, name", [("sqlite", "SQLiteStore"), ("postgres", "PostgresStore")])
def test_both_stores_implement_every_store_protocol_of_the_core(module, name):
    import importlib
    import inspect

    implementation = getattr(importlib.import_module(f"paperboy.storage.{module}"), name)
    protocols = store_protocols()
    wanted = {(protocol, name) for protocol in protocols for name, member in vars(protocol).items()
              if inspect.isfunction(member) and not name.startswith("_")}
    assert {"upsert_papers", "claim_due_deliveries", "configure_channel"} <= {name for _, name in wanted}
    for protocol, name in sorted(wanted, key=lambda pair: (pair[0].__name__, pair[1])):
        implemented = getattr(implementation, name, None)
        assert implemented is not None, f"{implementation.__name__} lacks {protocol.__name__}.{name}"
        declared = inspect.signature(getattr(protocol, name))
        assert list(inspect.signature(implemented).parameters) == list(declared.parameters) \
            or list(inspect.signature(implemented).parameters) == list(declared.parameters)[1:], name


def test_no_store_protocol_declares_more_than_25_methods():
    import inspect

    protocols = store_protocols()
    assert len(protocols) >= 10
    for protocol in protocols:
        declared = [name for name, member in vars(protocol).items() if inspect.isfunction(member)]
        assert len(declared) <= 25, f"{protocol.__name__} declares {len(declared)} methods"


def test_the_core_has_no_one_store_interface():
    import paperboy.bot.store as shared

    assert not hasattr(shared, "Store")


def test_an_older_database_gets_its_titles_in_the_shared_word_form(tmp_path):
    path = tmp_path / "old.db"
    store = SQLiteStore(path)
    store.upsert_papers([Paper(key="a", title="Bayes's Rule for Søren"), Paper(key="b", title="Plain Title")],
                        "2026-01-01T00:00:00Z")
    with store.conn:  # as an older paperboy stored them
        store.conn.execute("UPDATE papers SET norm_title = 'bayes s rule for søren' WHERE key = 'a'")
        store.conn.execute("DELETE FROM _migrations WHERE name = '0005_titles_in_the_shared_word_form'")
    store.close()
    upgraded = SQLiteStore(path)
    assert sorted(upgraded.iter_titles()) == [(1, "bayes rule for soren"), (2, "plain title")]
    assert [p.key for p in upgraded.get_papers_by_rowid([1]).values()] == ["a"]
    upgraded.close()


def test_names_are_mined_again_when_the_rules_change(tmp_path):
    path = tmp_path / "old.db"
    store = SQLiteStore(path)
    store.upsert_papers([Paper(key="2503.19786", arxiv_id="2503.19786", title="Gemma 3 Technical Report")],
                        "2026-01-01T00:00:00Z")
    with store.conn:  # as a paperboy whose rules knew no technical reports left it
        store.conn.execute("DELETE FROM paper_aliases")
        store.conn.execute("DELETE FROM names_pending")
        store.conn.execute("DELETE FROM _migrations WHERE name IN ('0020_aliases_mined_again', '0023_names_pending')")
    store.close()
    upgraded = SQLiteStore(path)
    assert upgraded.names_left() == 1 and name_pending(upgraded) == 1
    assert [(n.kind, n.dated) for n in upgraded.papers_named("gemma3")] == [("title_name", "2025-03")]
    upgraded.close()


def test_fts_newest_samples_the_papers_stored_last(store):
    store.upsert_papers([paper(key=f"2401.{n:05d}", title=f"Curse number {n}") for n in range(30)], "2026-11-29T00:00:00Z")
    newest = store.fts_newest('"curse"', 5)
    assert newest == sorted(newest, reverse=True) and len(newest) == 5 and newest[0] == store.max_rowid()
    assert store.fts_newest('"nowhere"', 5) == []


def test_fts_count_counts_matches_up_to_a_bound(store):
    store.upsert_papers([paper(key=f"2401.{n:05d}", title=f"Curse number {n}") for n in range(30)], "2026-11-29T00:00:00Z")
    assert store.fts_count('"curse"', 20) == 20
    assert store.fts_count('"curse" AND "7"', 20) == 1
    assert store.fts_count('"nowhere"', 20) == 0


def test_a_bundle_left_by_a_dead_worker_is_claimed_whole(store):
    target = Target("slack", "T", "C", "U1", "dm")
    store.enqueue_deliveries([(f"alert:1:{n}", "alert", target, {}) for n in range(6)], T0)
    taken = store.claim_due_deliveries(T0, ["slack"], owner="dead", lease_seconds=0)
    bundle = [d.id for d in taken if int(d.dedupe_key[-1]) % 2 == 0]  # alerts 0, 2, 4 went out as one message
    assert store.mark_bundled(bundle, "bundle-1", owner="dead") == 3
    # The dead worker's leases run out; a claim of one takes the whole bundle, or it would be sent in parts
    # under one key (and the platform would drop the second part as a repeat of the first).
    wait_for_delivery_leases_to_run_out(store)
    again = store.claim_due_deliveries(T1, ["slack"], limit=1, owner="next")
    assert sorted(d.id for d in again) == sorted(bundle)
    assert [d.dedupe_key for d in store.claim_due_deliveries(T1, ["slack"], limit=1, owner="other")] == ["alert:1:1"]


def test_a_reading_list_is_its_owner_s_newest_first_and_follows_a_paper_taken_over(store):
    workshop = Paper(key=key_for_unnumbered("The Reversal Curse", "ICLR 2024"), title="The Reversal Curse",
                     venue="ICLR 2024", authors=("Lukas Berglund",))
    store.upsert_papers([paper("2504.04383", title="Retro-Search"), workshop], T0)
    assert store.save_paper("slack", "T", "U1", workshop.key, T0)
    assert store.save_paper("slack", "T", "U1", "2504.04383", T1)
    assert not store.save_paper("slack", "T", "U1", "2504.04383", T1)  # once in a list
    assert [p.key for p, _ in store.saved_papers("slack", "T", "U1")] == ["2504.04383", workshop.key]
    assert store.saved_papers("slack", "T", "U2") == [] and store.saved_papers("discord", "T", "U1") == []
    store.upsert_papers([paper()], T1)  # its arXiv record arrives and takes the paper over
    assert [p.key for p, _ in store.saved_papers("slack", "T", "U1")] == ["2504.04383", "2309.12288"]
    assert store.unsave_papers("slack", "T", "U2") == 0  # nobody else can change it
    assert store.unsave_papers("slack", "T", "U1", ["2504.04383"]) == 1
    assert store.unsave_papers("slack", "T", "U1") == 1 and store.saved_papers("slack", "T", "U1") == []


def test_fts_counts_counts_each_expression_up_to_a_bound_in_one_call(store):
    store.upsert_papers([paper(key=f"2401.{n:05d}", title=f"Curse number {n}",
                               abstract="hexagonal tilings" if n < 3 else None) for n in range(30)],
                        "2026-11-29T00:00:00Z")
    assert store.fts_counts(['"curse"', '"hexagonal"', '"tiling"', '"nowhere"'], 20) == [20, 3, 3, 0]
    many = [f'"{n}"' for n in range(150)]  # more than one statement holds
    assert store.fts_counts(many, 20) == [1] * 30 + [0] * 120
    assert store.fts_counts([], 20) == []
