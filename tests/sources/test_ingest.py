"""Ingest into a real store: a Hugging Face day, recent arXiv papers, and file import."""
from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime

import pytest
from fake_paper_sources import EXPECTED, FIXTURES, Reply, atom_feed, fixture_bytes

from paperboy.bot.delivery.ingest import PartialImport, import_file, ingest_arxiv, ingest_hf
from paperboy.bot.models import Paper, normalize_title
from paperboy.bot.sources import Sources
from paperboy.bot.sources.arxiv import ArxivGate, ArxivSource
from paperboy.bot.sources.files import FileFormatError, iter_file
from paperboy.bot.sources.hf import HuggingFaceSource
from paperboy.bot.sources.http import SourceError
from paperboy.bot.text import words_any
from paperboy.storage import open_store
from paperboy.storage.postgres import PostgresStore
from paperboy.storage.sql import PAPER_FIELDS
from paperboy.storage.sqlite import SQLiteStore

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
DAY = "2026-11-24"
DAILY = "hf_daily_papers_2026-11-24.json"
ATOM = "application/atom+xml; charset=utf-8"


@pytest.fixture
def sources(fake_sources, http_client, sleeps, quick_policy):
    return Sources(HuggingFaceSource(http_client, fake_sources.url, policy=quick_policy, sleep=sleeps),
                   ArxivSource(http_client, fake_sources.url, gate=ArxivGate(0.0)))


def all_rows(store) -> list[dict]:
    return [dict(r) for r in store._all(f"SELECT rowid, {PAPER_FIELDS}, matched FROM papers ORDER BY key")]


async def test_a_hugging_face_day_is_stored_with_its_ranking(fake_sources, http_client, store):
    fake_sources.serve_fixture(DAILY)
    env = {"PAPERBOY_HF_BASE_URL": fake_sources.url, "PAPERBOY_ARXIV_BASE_URL": fake_sources.url}
    sources = Sources.from_env(env, client=http_client)
    expected = EXPECTED[DAILY]

    report = await ingest_hf(store, sources, DAY, NOW)

    assert sorted(report.new_keys) == sorted(expected["upvotes"]) and report.count == 12
    assert report.dates == (DAY,) and report.skipped == ()
    listed = store.daily_list(DAY, "hf")
    assert [p.key for p, _ in listed] == expected["ids_by_upvotes_desc"]
    assert [up for _, up in listed] == [expected["upvotes"][k] for k in expected["ids_by_upvotes_desc"]]
    for item in expected["papers"]:
        stored = store.get_paper(item["arxiv_id"])
        assert stored.title == item["title"] and stored.upvotes == expected["upvotes"][item["arxiv_id"]]
        assert stored.first_seen == "2026-11-24T08:00:00Z"
    [(rowid, _)] = store.fts_search('"discernment"')
    assert store.get_papers_by_rowid([rowid])[rowid].key == "2607.19355"

    again = await ingest_hf(store, sources, DAY, NOW)
    assert again.new_keys == () and again.updated == 0 and again.count == 12


async def test_a_source_that_keeps_failing_changes_nothing_stored(fake_sources, sources, store, sleeps):
    fake_sources.serve_fixture(DAILY)
    await ingest_hf(store, sources, DAY, NOW)
    before = all_rows(store), store.daily_list(DAY, "hf")
    fake_sources.route("/api/daily_papers", Reply(500, b"<html>Internal Server Error</html>", "text/html"))

    with pytest.raises(SourceError) as caught:
        await ingest_hf(store, sources, DAY, NOW)

    assert caught.value.status == 500 and len(sleeps.waits) == 3
    assert (all_rows(store), store.daily_list(DAY, "hf")) == before


async def test_rate_limited_then_served(fake_sources, sources, store, sleeps):
    fake_sources.route("/api/daily_papers", Reply(429, b"", "text/plain", {"Retry-After": "1"}),
                       Reply(200, fixture_bytes(DAILY), EXPECTED[DAILY]["content_type"]))
    report = await ingest_hf(store, sources, DAY, NOW)
    assert report.count == 12 and sleeps.waits == [1.0]


async def test_malformed_records_are_reported_and_the_rest_is_stored(fake_sources, sources, store):
    fake_sources.route("/api/daily_papers", Reply(200, fixture_bytes("hf_daily_papers_malformed.json")))

    report = await ingest_hf(store, sources, DAY, NOW)

    assert len(report.new_keys) == 3 and len(report.skipped) == 5
    assert [p.key for p, _ in store.daily_list(DAY, "hf")] == ["2607.19865", "2607.20064", "2607.20268"]
    assert store.count_papers() == 3


async def test_an_empty_day_does_not_erase_a_recorded_list(fake_sources, sources, store):
    fake_sources.serve_fixture(DAILY)
    await ingest_hf(store, sources, DAY, NOW)
    fake_sources.route("/api/daily_papers", Reply(200, b"[]"))

    report = await ingest_hf(store, sources, DAY, NOW)

    assert report.count == 0 and report.dates == ()
    assert len(store.daily_list(DAY, "hf")) == 12


async def test_recent_arxiv_papers_are_stored_with_one_list_per_date(fake_sources, sources, store):
    fake_sources.route("/api/query", Reply(200, atom_feed([
        {"id": "2611.00003v1", "title": "Three", "published": "2026-11-23", "categories": ["cs.LG", "cs.AI"]},
        {"id": "2611.00001v1", "title": "One", "published": "2026-11-22"},
        {"id": "2611.00002v1", "title": "Two", "published": "2026-11-23"},
        {"id": "2610.00009v1", "title": "Old", "published": "2026-10-01"},
    ], total=4), ATOM))

    report = await ingest_arxiv(store, sources, "cs.LG", 2, NOW)

    assert sorted(report.new_keys) == ["2611.00001", "2611.00002", "2611.00003"]
    assert report.source == "arxiv:cs.LG" and report.dates == ("2026-11-22", "2026-11-23")
    assert [p.key for p, _ in store.daily_list("2026-11-23", "arxiv:cs.LG")] == ["2611.00002", "2611.00003"]
    assert store.get_paper("2611.00003").categories == ("cs.LG", "cs.AI")
    assert store.get_paper("2610.00009") is None


@pytest.mark.parametrize("name", ["papers_small.jsonl", "papers_small.jsonl.gz", "papers_small.jsonl.xz"])
def test_import_file_then_again_adds_nothing(store, name):
    seen: list[int] = []
    into_the_file: list[tuple[int, int]] = []

    def progress(read: int, position) -> None:
        seen.append(read)
        into_the_file.append((position.done, position.total))

    first = import_file(store, FIXTURES / name, NOW, progress=progress, batch_size=4)

    assert (first.read, first.new, first.updated, first.skipped) == (12, 7, 0, 5)
    assert len(first.new_keys) == 7 and first.skipped_reasons[0].startswith("line 8: invalid JSON")
    assert seen == sorted(seen) and seen[-1] == 12
    size = (FIXTURES / name).stat().st_size
    assert into_the_file == sorted(into_the_file) and into_the_file[-1] == (size, size)
    assert store.count_papers() == 7
    rows = all_rows(store)

    second = import_file(store, FIXTURES / name, datetime(2026, 12, 1, tzinfo=UTC))

    assert (second.read, second.new, second.updated, second.skipped) == (12, 0, 0, 5)
    assert second.new_keys == () and all_rows(store) == rows


def test_hostile_titles_are_stored_verbatim_and_searchable(store):
    import_file(store, FIXTURES / "papers_small.jsonl", NOW)
    hostile = store.get_paper("2402.00002")
    assert hostile.title == "Robert'); DROP TABLE papers;-- \"quoted\" NEAR(a b) * -x AND OR"
    assert hostile.abstract == "Hostile text stays text: <script>alert(1)</script> {{ braces }}"
    [(rowid, _)] = store.fts_search('"robert"')
    assert store.get_papers_by_rowid([rowid])[rowid].key == "2402.00002"


def test_the_bulk_path_stores_exactly_what_the_row_path_stores(new_location):
    papers = [p for p in iter_file(FIXTURES / "papers_small.jsonl") if isinstance(p, Paper)]
    papers += [p for p in iter_file(FIXTURES / DAILY) if isinstance(p, Paper)]
    papers.append(papers[0].with_changes(title="The same key twice in one batch: the later one wins"))
    bulk, rowwise = open_store(new_location()), open_store(new_location())

    bulk_result = bulk.bulk_upsert_papers(papers, "2026-11-24T08:00:00Z")
    row_result = rowwise.upsert_papers(papers, "2026-11-24T08:00:00Z")

    assert bulk_result.new_keys == row_result.new_keys
    # A key twice in one batch: SQLite's bulk statement writes it twice, as the row path does;
    # PostgreSQL's writes its last row once (one statement may not change a row twice).
    twice = 1 if isinstance(bulk, PostgresStore) else 0
    assert bulk_result.changed == row_result.changed - twice
    assert all_rows(bulk) == all_rows(rowwise)
    assert sorted(bulk.fts_search('"reasoning" OR "curse"')) == sorted(rowwise.fts_search('"reasoning" OR "curse"'))
    assert bulk.fts_search('"reasoning" OR "curse"')
    bulk.close()
    rowwise.close()


def test_a_thin_record_never_erases_richer_data(store):
    rich = [p for p in iter_file(FIXTURES / DAILY) if isinstance(p, Paper)]
    store.upsert_papers(rich, "2026-11-24T08:00:00Z")
    richest = next(p for p in rich if p.ai_summary and p.code_url)
    thin = tmp_record(richest.key, "  A  retitled   paper ")

    result = store.bulk_upsert_papers([thin], "2026-11-25T08:00:00Z")

    stored = store.get_paper(richest.key)
    assert result.new_keys == () and result.changed == 1
    assert stored.title == "A retitled paper"
    assert (stored.ai_summary, stored.code_url, stored.upvotes, stored.hf_url, stored.authors) == (
        richest.ai_summary, richest.code_url, richest.upvotes, richest.hf_url, richest.authors)
    assert stored.first_seen == "2026-11-24T08:00:00Z" and stored.last_seen == "2026-11-25T08:00:00Z"


def tmp_record(key: str, title: str) -> Paper:
    from paperboy.bot.sources.files import paper_from_record
    return paper_from_record(json.loads(json.dumps({"id": key, "title": title, "authors": None})))


@pytest.mark.parametrize("title", [
    "Attention Is All You Need", "snake_case__and--dashes", "  spaces\tand\x1fcontrol\x00chars ",
    "Ünïcödé títle — “quotes” 🚀", "ÆSIR: naïve café", "", "___", "a_b c-d e.f 3D-Vision BERT4Rec",
])
def test_the_fast_title_normalisation_equals_the_reference(title):
    assert normalize_title(title) == " ".join(words_any(title))


async def test_the_recorded_arxiv_listing_is_stored_as_expected(fake_sources, sources, store):
    listing = fixture_bytes("arxiv_query_cs.LG.xml")

    def first_page_only(query: dict[str, str]) -> Reply:
        return Reply(200, listing if query["start"] == "0" else atom_feed([], total=268431), ATOM)

    fake_sources.route("/api/query", dynamic=first_page_only)
    expected = {e["arxiv_id"]: e["title"] for e in EXPECTED["arxiv_query_cs.LG.xml"]["papers"]}

    report = await ingest_arxiv(store, sources, "cs.LG", 3, datetime(2026, 7, 24, 12, tzinfo=UTC))

    recent = ["2607.21561", "2607.20339", "2607.20323", "2607.19241"]  # first published since 2026-07-21
    assert list(report.papers) == recent and sorted(report.new_keys) == sorted(recent)
    for key in recent:
        assert store.get_paper(key).title == expected[key]
    assert [s.query["start"] for s in fake_sources.seen] == ["0", "6"]
    assert [p.key for p, _ in store.daily_list("2026-07-22", "arxiv:cs.LG")] == ["2607.20323", "2607.20339"]


def test_an_import_keeps_its_transactions_short_only_while_a_bot_runs_on_the_database(tmp_path):
    from paperboy.bot.delivery.ingest import MAX_BATCH_ROWS, MIN_BATCH_ROWS, _Writer
    from paperboy.bot.delivery.leader import LEADER

    store = SQLiteStore(tmp_path / "paperboy.db")
    writer = _Writer(store, "2026-11-24T08:00:00Z")
    writer._resize(1000, 1.0)  # a thousand papers took a second
    assert writer.batch_rows == MAX_BATCH_ROWS  # alone: the largest transactions
    assert store.take_lease(LEADER, "a bot", 15)
    writer._resize(MAX_BATCH_ROWS, 1.5)  # a bot started: down at once to what takes ~80 ms
    assert MIN_BATCH_ROWS <= writer.batch_rows <= MAX_BATCH_ROWS * 0.08 / 1.5 + 1
    store.close()


def test_the_snapshot_imports_with_its_metadata_and_again_changes_nothing(store):
    first = import_file(store, FIXTURES / "arxiv_snapshot_sample.json", NOW)
    assert (first.new, first.skipped, first.noted) == (4, 0, 0)
    stored = store.get_paper("0704.0001")
    assert stored.authors[0] == "C. Balázs" and stored.doi == "10.1103/PhysRevD.76.013009"
    assert stored.updated == "2008-11-13" and stored.journal_ref == "Phys.Rev.D76:013009,2007"
    assert store.get_paper("hep-th/9901001").categories == ("hep-th", "math-ph", "math.MP")
    again = import_file(store, FIXTURES / "arxiv_snapshot_sample.json", datetime(2026, 12, 1, tzinfo=UTC))
    assert (again.new, again.updated) == (0, 0)


@pytest.mark.parametrize("name", ["papers_small.jsonl.gz", DAILY, "arxiv_snapshot_sample.json"])
def test_a_file_read_in_a_second_process_imports_exactly_as_one_read_here(tmp_path, name):
    here, there = SQLiteStore(tmp_path / "here.db"), SQLiteStore(tmp_path / "there.db")
    seen: list[tuple[int, int, int]] = []
    read_here = import_file(here, FIXTURES / name, NOW, batch_size=3)
    read_there = import_file(there, FIXTURES / name, NOW, batch_size=3, second_process_from=0,
                             progress=lambda read, position: seen.append((read, position.done, position.total)))
    assert read_there.new_keys == read_here.new_keys and read_there.new > 0
    assert (read_there.read, read_there.skipped, read_there.noted, read_there.daily_lists) == \
        (read_here.read, read_here.skipped, read_here.noted, read_here.daily_lists)
    assert read_there.skipped_reasons == read_here.skipped_reasons
    assert all_rows(there) == all_rows(here)
    size = (FIXTURES / name).stat().st_size
    assert seen == sorted(seen) and seen[-1] == (read_there.read, size, size)


def test_a_bad_file_read_in_a_second_process_says_why_and_keeps_what_was_read(tmp_path):
    lines = [json.dumps({"id": f"2401.{n:05d}", "title": f"Paper number {n}", "abstract": "words " * 40})
             for n in range(20_000)]
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(gzip.compress("\n".join(lines).encode())[:-30])  # the end of the stream is missing
    kept = []
    for second_process_from in (10**12, 0):
        store = SQLiteStore(tmp_path / f"{second_process_from}.db")
        with pytest.raises(PartialImport, match="cut.jsonl.gz is cut short: the gzip data ends early") as stopped:
            import_file(store, path, NOW, batch_size=100, second_process_from=second_process_from)
        assert isinstance(stopped.value.problem, FileFormatError)
        report = stopped.value.report
        assert report.read - report.skipped == report.new == store.count_papers()  # every paper read is stored
        kept.append(store.count_papers())
    assert kept[0] == kept[1] > 0
