"""The title index: packed titles built, saved and opened again; papers stored and retitled after
them; candidate sets; and the saved index kept beside its database."""
from __future__ import annotations

import logging
import random

import numpy as np
import pytest

from paperboy.bot.models import Paper
from paperboy.bot.search import saved_titles
from paperboy.bot.search.matcher import Matcher
from paperboy.bot.search.packed_titles import PackedTitles
from paperboy.bot.search.position_sets import in_at_least, intersection
from paperboy.bot.search.title_index import TitleIndex
from paperboy.bot.spelling import canonical
from paperboy.storage.postgres import PostgresStore
from paperboy.storage.sqlite import SQLiteStore

ROWS = [(1, "the reversal curse"), (2, "attention is all you need"), (4, "retrieval augmented generation"),
        (7, "the curse of dimensionality"), (9, "attention sinks in streaming language models")]


def lookups(index: TitleIndex) -> dict:
    return {
        "curse": index.positions(canonical("curse")).tolist(),
        "attention": index.positions(canonical("attention")).tolist(),
        "prefix_the": [index.rowids[p] for p in index.with_prefix("the ", 10)],
        "exact": [index.rowids[p] for p in index.exact("attention is all you need")],
        "df_curse": index.document_frequency(canonical("curse")),
        "titles": [index.titles[p] for p in range(len(index))],
        "gather": sorted(index.rowids[p] for p in index.gather([(canonical("curse"),), (canonical("reversal"),)],
                                                                  "reversal curse")),
    }


def test_a_saved_index_opens_to_the_same_answers(tmp_path):
    built = TitleIndex.build(ROWS)
    built.packed.save(tmp_path / "t")
    opened = TitleIndex(PackedTitles.load(tmp_path / "t"))
    assert opened.packed.mapped and not built.packed.mapped
    assert lookups(opened) == lookups(built)
    assert lookups(built)["prefix_the"] == [7, 1]  # title order: "the curse..." before "the reversal..."
    assert lookups(built)["gather"] == [1, 7]  # both words, else all but one
    assert [opened.position_of(r) for r in (1, 3, 9, 10)] == [0, None, 4, None]


def test_papers_after_the_packed_ones_and_new_titles_are_found_and_old_titles_are_not():
    index = TitleIndex.build(ROWS)
    assert index.add([(9, "ignored: not newer"), (12, "a curse of attention")]) == 1
    assert index.max_rowid == 12 and len(index) == 6
    assert [index.rowids[p] for p in index.positions(canonical("curse")).tolist()] == [1, 7, 12]
    assert index.replace(1, "the reversal of fortune")  # a packed paper retitled
    assert index.replace(12, "a blessing of attention")  # a later one
    assert not index.replace(2, "attention is all you need")  # the same title
    curse = [index.rowids[p] for p in index.positions(canonical("curse")).tolist()]
    assert curse == [7]
    assert [index.rowids[p] for p in index.positions(canonical("fortune")).tolist()] == [1]
    assert [index.rowids[p] for p in index.with_prefix("the ", 10)] == [7, 1]
    assert index.exact("the reversal curse") == [] and index.rowids[index.exact("the reversal of fortune")[0]] == 1
    assert index.knows(canonical("blessing")) and index.document_frequency(canonical("attention")) == 3
    assert "blessing" in index.words_with_prefix("bless")


def test_a_typo_is_corrected_to_a_word_titles_use_more_often():
    rows = [(n, f"retrieval models part {n}") for n in range(1, 30)] + [(40, "retreival once")]
    index = TitleIndex.build(rows)
    assert canonical("retrieval") in index.corrections(canonical("retreival"))
    index.add([(41, "generative adversarial networks")] * 1 + [(42 + n, "adversarial examples") for n in range(12)])
    assert canonical("adversarial") in index.corrections(canonical("adversarail"))


def test_candidate_sets_are_those_in_at_least_so_many_of_them():
    rng = random.Random(3)
    for _ in range(200):
        sets = sorted((np.array(sorted(rng.sample(range(60), rng.randint(0, 40))), dtype=np.int64)
                       for _ in range(rng.randint(1, 6))), key=len)
        count = rng.randint(1, len(sets))
        expected = sorted(p for p in range(60) if sum(p in s.tolist() for s in sets) >= count)
        assert in_at_least(sets, count).tolist() == expected
        assert intersection(sets).tolist() == sorted(set.intersection(*(set(s.tolist()) for s in sets)))


def test_a_damaged_file_is_not_an_index(tmp_path):
    (tmp_path / "t").write_bytes(b"PBTITLE1" + (999).to_bytes(8, "little") + b"{not json")
    with pytest.raises(ValueError):
        PackedTitles.load(tmp_path / "t")
    (tmp_path / "u").write_bytes(b"something else entirely")
    with pytest.raises(ValueError):
        PackedTitles.load(tmp_path / "u")


# ---- the saved index beside its database ------------------------------------------------------

def library(count: int, start: int = 0, word: str = "transformers") -> list[Paper]:
    return [Paper(key=f"2401.{n:05d}", arxiv_id=f"2401.{n:05d}", title=f"Study {n} of {word} and tokens {n % 97}")
            for n in range(start, start + count)]


@pytest.fixture
def small_saves(monkeypatch):
    monkeypatch.setattr(saved_titles, "SAVE_FROM", 10)


def test_a_start_opens_the_saved_index_and_adds_what_came_since(tmp_path, small_saves):
    path = tmp_path / "paperboy.db"
    store = SQLiteStore(path)
    store.bulk_upsert_papers(library(300), "2026-11-29T00:00:00Z")
    first = Matcher(store)
    assert not first.index.packed.mapped  # built, and saved
    assert store.side_file("titles").exists()
    # Another process stores papers and retitles one while no bot runs.
    store.bulk_upsert_papers(library(5, start=300, word="mamba"), "2026-11-29T01:00:00Z")
    store.upsert_papers([Paper(key="2401.00007", arxiv_id="2401.00007", title="Study 7 of hyenas")],
                        "2026-11-29T02:00:00Z")
    second = Matcher(SQLiteStore(path))
    index = second.index
    assert index.packed.mapped and len(index.packed) == 300 and len(index) == 305
    assert second.rank("study 302 of mamba and tokens").best.paper.arxiv_id == "2401.00302"
    assert second.rank("study 7 of hyenas").best.paper.arxiv_id == "2401.00007"
    assert index.exact("study 7 of transformers and tokens 7") == []


def test_an_index_that_does_not_fit_its_database_is_built_again(tmp_path, small_saves, caplog):
    caplog.set_level(logging.INFO)
    path = tmp_path / "paperboy.db"
    store = SQLiteStore(path)
    store.bulk_upsert_papers(library(300), "2026-11-29T00:00:00Z")
    Matcher(store).refresh()
    saved = store.side_file("titles").read_bytes()
    # The same file beside another database with the same number of papers, other titles.
    other = SQLiteStore(tmp_path / "other.db")
    other.bulk_upsert_papers(library(300, word="diffusion"), "2026-11-29T00:00:00Z")
    other.side_file("titles").write_bytes(saved)
    matcher = Matcher(other)
    assert not matcher.index.packed.mapped and "titles differ" in caplog.text
    assert matcher.rank("study 5 of diffusion and tokens 5").best.paper.arxiv_id == "2401.00005"
    # A damaged file: built again, with a warning, and saved whole.
    other.side_file("titles").write_bytes(saved[:100])
    assert not Matcher(other).index.packed.mapped and "cannot be read" in caplog.text
    assert Matcher(other).index.packed.mapped


def test_many_papers_after_the_saved_index_get_it_built_again(tmp_path, monkeypatch, small_saves):
    path = tmp_path / "paperboy.db"
    store = SQLiteStore(path)
    store.bulk_upsert_papers(library(100), "2026-11-29T00:00:00Z")
    Matcher(store).refresh()
    store.bulk_upsert_papers(library(100, start=100), "2026-11-29T00:00:00Z")
    monkeypatch.setattr(saved_titles, "REBUILD_AFTER", 50)
    index = Matcher(store).index
    assert len(index.packed) == 200 and len(index) == 200


def test_a_running_bot_takes_the_larger_index_another_process_s_import_saved(tmp_path, monkeypatch, small_saves):
    monkeypatch.setattr(saved_titles, "REBUILD_AFTER", 50)
    path = tmp_path / "paperboy.db"
    running = Matcher(SQLiteStore(path))
    running.store.bulk_upsert_papers(library(100), "2026-11-29T00:00:00Z")
    running.refresh()
    assert len(running.index.packed) == 100
    importing = SQLiteStore(path)  # `paperboy import` elsewhere: stores, then saves the index
    importing.bulk_upsert_papers(library(300, start=100), "2026-11-29T01:00:00Z")
    saved_titles.build_index(importing)
    running.refresh()
    index = running._index
    assert index.packed.mapped and len(index.packed) == 400 and len(index) == 400
    assert running.rank("study 350 of transformers and tokens 59").best.paper.arxiv_id == "2401.00350"


# ---- PostgreSQL: one index for every machine -------------------------------------------------------

@pytest.fixture
def server_database(postgres_server, postgres_template):
    return postgres_server.new_database(template=postgres_template)


def on_machine(url: str, folder) -> PostgresStore:
    """A store as a process on another machine opens it: its own cache folder."""
    return PostgresStore(url, cache_dir=folder)


def test_a_process_on_another_machine_fetches_the_saved_index_instead_of_building_it(server_database, tmp_path,
                                                                                     small_saves, caplog):
    caplog.set_level(logging.INFO)
    first = on_machine(server_database, tmp_path / "a")
    first.bulk_upsert_papers(library(300), "2026-11-29T00:00:00Z")
    built = Matcher(first)
    assert not built.index.packed.mapped and first.side_file("titles").exists()
    assert first.shared_copy("titles") == built.index.packed.meta["copy"]
    second = on_machine(server_database, tmp_path / "b")
    fetched = Matcher(second)
    assert fetched.index.packed.mapped and "fetched the database's copy" in caplog.text
    assert second.side_file("titles").read_bytes() == first.side_file("titles").read_bytes()
    assert fetched.rank("study 123 of transformers and tokens 26").best.paper.arxiv_id == "2401.00123"
    # A third process on the second machine (a lookup worker) opens the machine's file as it is.
    caplog.clear()
    assert Matcher(on_machine(server_database, tmp_path / "b")).index.packed.mapped
    assert "fetched" not in caplog.text


def test_a_stale_saved_index_is_built_again_and_the_newer_copy_reaches_the_other_machines(
        server_database, tmp_path, small_saves, monkeypatch):
    monkeypatch.setattr(saved_titles, "REBUILD_AFTER", 50)
    first = on_machine(server_database, tmp_path / "a")
    first.bulk_upsert_papers(library(100), "2026-11-29T00:00:00Z")
    old = Matcher(first).index.packed.meta["copy"]
    first.bulk_upsert_papers(library(100, start=100, word="mamba"), "2026-11-29T01:00:00Z")
    second = on_machine(server_database, tmp_path / "b")
    rebuilt = Matcher(second).index  # the database's copy is 100 papers behind: built again, and kept
    assert not rebuilt.packed.mapped and len(rebuilt.packed) == 200
    assert second.shared_copy("titles") == rebuilt.packed.meta["copy"] != old
    again = Matcher(on_machine(server_database, tmp_path / "a")).index  # the first machine's file is the old one
    assert again.packed.mapped and again.packed.meta["copy"] == rebuilt.packed.meta["copy"]
    assert len(again) == 200 and again.exact("study 150 of mamba and tokens 53")


def test_a_title_changed_after_the_copy_was_kept_is_followed_on_the_other_machine(server_database, tmp_path, small_saves):
    first = on_machine(server_database, tmp_path / "a")
    first.bulk_upsert_papers(library(300), "2026-11-29T00:00:00Z")
    Matcher(first).refresh()
    first.upsert_papers([Paper(key="2401.00007", arxiv_id="2401.00007", title="Study 7 of hyenas")],
                        "2026-11-29T02:00:00Z")
    matcher = Matcher(on_machine(server_database, tmp_path / "b"))
    assert matcher.index.packed.mapped
    assert matcher.rank("study 7 of hyenas").best.paper.arxiv_id == "2401.00007"  # a retitle since is followed
    assert matcher.index.exact("study 7 of transformers and tokens 7") == []
