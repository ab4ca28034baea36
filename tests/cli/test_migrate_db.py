"""`paperboy migrate-db`: a whole installation from SQLite to PostgreSQL and back, counted, resumable."""
from __future__ import annotations

from pathlib import Path

import pytest
from cli_world import paperboy

from paperboy.bot.models import Paper, Target
from paperboy.storage import open_store
from paperboy.storage.transfer import TABLES, copy_installation

T0 = "2026-11-24T08:00:00Z"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def stock(store) -> None:
    """One of everything an installation holds, with the awkward cases: a paper without an id, a
    deleted subscription (its id must never come back), deliveries in every state, a lease."""
    papers = [Paper(key=f"2401.{n:05d}", arxiv_id=f"2401.{n:05d}", title=f"Paper {n} on diffusion",
                    abstract="An abstract.", authors=("A. Author",), categories=("cs.LG",), upvotes=n)
              for n in range(1, 26)]
    papers.append(Paper(key="p:0123456789abcdef", title="A workshop paper @everyone", venue="NeurIPS 2025"))
    store.upsert_papers(papers, T0)
    store.mark_withdrawn(["2401.00003"])
    store.record_daily_list("2026-11-24", "hf", [(p.key, p.upvotes) for p in papers[:5]])
    store.configure_channel("discord", "g1", "c1", T0, daily_time="08:30", tz="Europe/Berlin")
    store.configure_channel("slack", "T1", "C9", T0, top_n=3)
    kept = store.add_subscription("slack", "T1", "U1", "C9", "dm", 'diffusion -medical author:"Lee"', T0)
    gone = store.add_subscription("slack", "T1", "U2", "C9", "dm", "robots", T0)
    store.remove_subscription("slack", "T1", "U2", gone.id)
    target = Target("slack", "T1", "C9", "U1", "dm")
    store.enqueue_deliveries([(f"alert:{kept.id}:2401.{n:05d}", "alert", target, {"kind": "notice", "text": "x"})
                              for n in range(1, 6)], T0)
    store.record_skipped("daily:1:2026-11-23", "daily", Target("discord", "g1", "c1"), "empty day", T0)
    [first, *_] = store.claim_due_deliveries(T0, ["slack"], limit=2, owner="w1")
    store.mark_delivered(first.id, T0, external_id="1700000000.000100", owner="w1")
    store.set_state("harvest:cs", '{"until": "2026-11-23"}')
    store.save_paper("slack", "T1", "U1", "2401.00002", T0)
    store.save_paper("discord", "g1", "42", "p:0123456789abcdef", T0)
    store.save_vectors([(1, bytes(range(256)) * 2), (26, b"\x00\x01\xff" * 130)])  # the semantic extra's


def contents(store) -> dict[str, list[tuple]]:
    return {table.name: [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in store._all(
        f"SELECT {', '.join(table.columns)} FROM {table.name} ORDER BY {table.order}")] for table in TABLES}


def test_an_installation_goes_to_postgresql_and_back_whole(tmp_path, postgres_server, env):
    sqlite_file, back = tmp_path / "paperboy.db", tmp_path / "back.db"
    original = open_store(sqlite_file)
    stock(original)
    url = postgres_server.new_database()

    there = paperboy(["migrate-db", "--from", str(sqlite_file), "--to", url], env)
    assert there.returncode == 0, there.stderr
    assert "counts verified" in there.stdout and "papers 26" in there.stdout and "deliveries 6" in there.stdout
    assert "paper_vectors 2" in there.stdout
    assert paperboy(["migrate-db", "--from", url, "--to", f"sqlite:///{back}"], env).returncode == 0

    on_postgres, returned = open_store(url), open_store(back)
    assert contents(on_postgres) == contents(original) == contents(returned)
    for store in (on_postgres, returned):  # ids continue above every id ever given: the deleted one too
        assert store.add_subscription("slack", "T1", "U3", "C9", "dm", "new", T0).id == 3
        assert [p.key for p in store.get_papers_by_rowid([26]).values()] == ["p:0123456789abcdef"]
        assert store.fts_search('"workshop"') and store.claim_due_deliveries(T0, ["slack"], owner="w2")
    for store in (original, on_postgres, returned):
        store.close()


def test_an_interrupted_copy_run_again_finishes_without_duplicates(tmp_path, postgres_server):
    source = open_store(tmp_path / "paperboy.db")
    stock(source)
    target = open_store(postgres_server.new_database())
    seen = []

    def stop_midway(table: str, done: int, total: int) -> None:
        seen.append((table, done))
        if table == "papers" and done >= 10:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        copy_installation(source, target, stop_midway, batch=5)
    assert target.count_papers() == 10
    resumed = []
    counts = copy_installation(source, target, lambda table, done, total: resumed.append((table, done)), batch=5)
    assert resumed[0] == ("papers", 10)  # went on where it stopped
    assert counts["papers"] == 26 and contents(target) == contents(source)
    source.close()
    target.close()


def test_a_copy_into_a_database_holding_other_rows_says_the_counts_differ(tmp_path, postgres_server, env):
    source = open_store(tmp_path / "paperboy.db")
    stock(source)
    url = postgres_server.new_database()
    other = open_store(url)
    other.set_state("something:else", "1")
    other.close()
    result = paperboy(["migrate-db", "--from", str(tmp_path / "paperboy.db"), "--to", url], env)
    assert result.returncode == 2
    assert "counts differ" in result.stderr and "state: 1 in the source, 2 in the target" in result.stderr
    source.close()


def test_the_same_database_or_a_missing_file_is_refused(tmp_path, env):
    missing = paperboy(["migrate-db", "--from", str(tmp_path / "none.db"), "--to", str(tmp_path / "x.db")], env)
    assert missing.returncode == 2 and "no database at" in missing.stderr
    same = paperboy(["migrate-db", "--from", str(tmp_path / "a.db"), "--to", f"sqlite:///{tmp_path / 'a.db'}"], env)
    assert same.returncode == 2 and "same database" in same.stderr
    assert not (tmp_path / "x.db").exists()
