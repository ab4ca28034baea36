"""Reading paper files: JSON Lines plain, .gz and .xz, saved daily_papers answers, and bad lines."""
from __future__ import annotations

import gzip
import json
import lzma
import os

import pytest
from damaged_files import (
    complete_lines_of_truncated,
    compressed,
    corrupted_in_the_middle,
    gzip_corrupt_after,
    ids_of,
    paper_lines,
    zip_of,
)
from fake_paper_sources import EXPECTED, FIXTURES

from paperboy.bot.models import Paper, key_for_unnumbered
from paperboy.bot.sources import DailyBatch
from paperboy.bot.sources.files import (
    FileFormatError,
    ReadPosition,
    UnreadableFile,
    iter_file,
    iter_file_batches,
    open_binary,
)
from paperboy.bot.sources.opening import DECOMPRESSED_PIECE
from paperboy.bot.sources.records import Noted, Skipped

SMALL = ["papers_small.jsonl", "papers_small.jsonl.gz", "papers_small.jsonl.xz"]
HOSTILE = "Robert'); DROP TABLE papers;-- \"quoted\" NEAR(a b) * -x AND OR"


def read(path) -> tuple[dict[str, Paper], list[Skipped]]:
    papers: dict[str, Paper] = {}
    skipped: list[Skipped] = []
    for item in iter_file(path):
        if isinstance(item, Paper):
            papers[item.key] = item
        elif isinstance(item, Skipped):
            skipped.append(item)
    return papers, skipped


@pytest.mark.parametrize("name", SMALL)
def test_plain_gzip_and_xz_files_read_the_same(name):
    papers, skipped = read(FIXTURES / name)
    plain, plain_skipped = read(FIXTURES / SMALL[0])
    assert papers == plain and skipped == plain_skipped
    assert len(papers) == 7


def test_bad_lines_are_skipped_with_their_line_numbers_and_reasons():
    _, skipped = read(FIXTURES / "papers_small.jsonl")
    assert [s.position for s in skipped] == [8, 9, 10, 11, 12]
    reasons = [s.reason for s in skipped]
    assert reasons[0].startswith("invalid JSON") and reasons[1].startswith("invalid JSON")
    assert reasons[2:] == ["expected an object, got list", "missing title", "not an arXiv id: '9999.99999'"]


def test_corpus_quirks():
    papers, _ = read(FIXTURES / "papers_small.jsonl")

    curse = papers["2309.12288"]
    assert curse.title == 'The Reversal Curse: LLMs trained on "A is B" fail to learn "B is A"'
    assert curse.abstract == ("We expose a surprising failure of generalization "
                              "in auto-regressive large language models.")
    assert curse.authors == ("Lukas Berglund", "Meg Tong", "Max Kaufmann")
    assert (curse.published, curse.categories, curse.upvotes) == ("2023-09-21", ("cs.CL", "cs.AI"), 12)

    versioned = papers["2401.00001"]  # version dropped, whitespace collapsed, nulls kept empty
    assert versioned.title == "A versioned id with messy whitespace"
    assert versioned.authors == ("Ada Lovelace",)  # only first_author was known
    assert (versioned.abstract, versioned.published, versioned.categories) == (None, None, ())

    trust_title = "Trust, but Verify: Using Self-Supervised Probing to Improve Trustworthiness"
    trust = papers[key_for_unnumbered(trust_title, "ECCV 2022")]
    assert trust.title == trust_title  # the CSV quotes around a conference title are gone
    assert (trust.arxiv_id, trust.venue) == (None, "ECCV 2022")

    assert papers["hep-th/9901001"].title == "An old-style identifier"
    assert papers["2402.00002"].title == HOSTILE  # stored verbatim
    assert papers["2402.00003"].title == "Ünïcödé títle — with “typographic” quotes and emoji 🚀"


def test_an_arxiv_title_in_quotes_keeps_its_quotes(tmp_path):
    path = tmp_path / "quoted.jsonl"
    path.write_text(json.dumps({"id": "2507.04430", "title": '"Hi AirStar, Guide Me to the Badminton Court."'}))
    [paper] = list(iter_file(path))
    assert paper.title == '"Hi AirStar, Guide Me to the Badminton Court."'


def test_a_saved_daily_papers_response_imports_as_a_file():
    expected = EXPECTED["hf_daily_papers_2026-11-24.json"]
    papers, skipped = read(FIXTURES / "hf_daily_papers_2026-11-24.json")
    assert skipped == []
    [listed] = [item for item in iter_file(FIXTURES / "hf_daily_papers_2026-11-24.json") if isinstance(item, DailyBatch)]
    assert listed.date == "2026-11-24"  # the day the papers were submitted to Daily Papers, not published
    assert sorted(listed.ranking) == sorted(papers)
    upvotes = [papers[key].upvotes for key in listed.ranking]
    assert upvotes == sorted(upvotes, reverse=True)  # most upvoted first
    assert {k: p.upvotes for k, p in papers.items()} == expected["upvotes"]
    assert {k: p.title for k, p in papers.items()} == {e["arxiv_id"]: e["title"] for e in expected["papers"]}


def test_a_saved_malformed_daily_papers_response_reports_item_numbers():
    papers, skipped = read(FIXTURES / "hf_daily_papers_malformed.json")
    assert len(papers) == 3 and [s.position for s in skipped] == [2, 4, 5, 7, 8]


def test_windows_line_ends_a_bom_and_blank_lines_are_fine(tmp_path):
    path = tmp_path / "crlf.jsonl"
    lines = [json.dumps({"id": f"2401.0000{i}", "title": f"Paper {i}"}) for i in range(1, 4)]
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n\r\n".join(lines).encode() + b"\r\n")
    papers, skipped = read(path)
    assert sorted(papers) == ["2401.00001", "2401.00002", "2401.00003"] and skipped == []


def test_a_line_that_is_not_utf8_is_skipped_alone(tmp_path):
    path = tmp_path / "latin1.jsonl"
    good = json.dumps({"id": "2401.00001", "title": "Fine"}).encode()
    path.write_bytes(good + b"\n" + '{"id": "2401.00002", "title": "Caf\xe9"}'.encode("latin-1") + b"\n" + good)
    papers, skipped = read(path)
    assert list(papers) == ["2401.00001"]
    assert [(s.position, s.reason.split(":")[0]) for s in skipped] == [(2, "invalid JSON")]


def test_batches_cover_every_line_once_across_block_boundaries(tmp_path):
    path = tmp_path / "many.jsonl.gz"
    records = [{"id": None, "title": f"Paper number {i} " + "x" * (i % 700), "venue": "TEST"} for i in range(6000)]
    with gzip.open(path, "wt") as out:
        out.write("\n".join(json.dumps(r) for r in records))  # no newline at the end
    batches = list(iter_file_batches(path, batch_size=1000))
    items = [item for batch in batches for item in batch]
    assert len(items) == 6000 and all(isinstance(i, Paper) for i in items)
    assert items[-1].title == records[-1]["title"]
    assert len(batches) > 1


@pytest.mark.parametrize("content", [b"title,abstract\nfoo,bar\n", b"<html></html>", b"\x00\x01\x02"])
def test_a_file_that_is_neither_json_lines_nor_an_array_is_refused(tmp_path, content):
    path = tmp_path / "papers.csv"
    path.write_bytes(content)
    with pytest.raises(FileFormatError):
        list(iter_file(path))


def test_a_truncated_xz_file_is_a_clear_error(tmp_path):
    path = tmp_path / "cut.jsonl.xz"
    data = lzma.compress((FIXTURES / "papers_small.jsonl").read_bytes())
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(FileFormatError) as caught:
        list(iter_file(path))
    assert "cut.jsonl.xz" in str(caught.value)


def test_an_empty_file_has_no_papers(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"\n\n")
    assert list(iter_file(path)) == []


def noted_and_papers(tmp_path, *records: dict) -> tuple[list[Paper], list[str]]:
    path = tmp_path / "records.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    items = list(iter_file(path))
    return [i for i in items if isinstance(i, Paper)], [str(i) for i in items if isinstance(i, Noted)]


@pytest.mark.parametrize("authors, expected", [
    ("Alice Smith, Bob Jones", ("Alice Smith", "Bob Jones")),
    ("Alice Smith and Bob Jones", ("Alice Smith", "Bob Jones")),
    ("Alice Smith, Bob Jones, and Carol White", ("Alice Smith", "Bob Jones", "Carol White")),
    ("Alice Smith; Bob Jones", ("Alice Smith", "Bob Jones")),
    ("Sandy Anderson", ("Sandy Anderson",)),
])
def test_authors_given_as_one_string_are_read_as_names(tmp_path, authors, expected):
    [paper], noted = noted_and_papers(tmp_path, {"id": "2401.00001", "title": "T", "authors": authors})
    assert paper.authors == expected and noted == []


def test_obvious_forms_are_read_and_the_rest_is_noted_with_its_line(tmp_path):
    papers, noted = noted_and_papers(
        tmp_path,
        {"id": "2401.00001", "title": "One", "categories": "cs.LG cs.AI", "upvotes": "12"},
        {"arxiv_id": "2401.00002", "title": "Two", "published": "yesterday", "doi": "10.1/x"},
        {"title": "Three", "authors": 42, "upvotes": -1, "abstract": ["not", "text"]},
    )
    assert [(p.key, p.categories, p.upvotes) for p in papers][0] == ("2401.00001", ("cs.LG", "cs.AI"), 12)
    assert papers[1].arxiv_id == "2401.00002" and papers[1].published is None
    assert papers[2].authors == () and papers[2].upvotes is None and papers[2].abstract is None
    assert sorted(noted) == sorted([
        "line 2: arxiv_id read as id",
        'line 2: published is "yesterday", not a date (YYYY-MM-DD): left out',
        "line 2: doi is not a field paperboy knows: ignored",
        "line 3: abstract is [\"not\", \"text\"], not text: left out",
        "line 3: authors is 42, not a list of names or one string of them: left out",
        "line 3: upvotes is -1, not a count (a whole number, 0 or more): left out",
    ])


def test_arxivs_metadata_snapshot_is_stored_as_expected():
    expected = EXPECTED["arxiv_snapshot_sample.json"]["stores"]
    papers, skipped = read(FIXTURES / "arxiv_snapshot_sample.json")
    assert skipped == [] and sorted(papers) == sorted(e["arxiv_id"] for e in expected)
    for want in expected:
        paper = papers[want["arxiv_id"]]
        assert paper.arxiv_id == want["arxiv_id"] and paper.published == want["published"]
        assert list(paper.categories) == want["categories"]
        if "authors" in want:
            assert list(paper.authors) == want["authors"]
        if "authors_count" in want:  # authors_parsed is cut short in the dump; the string is whole
            assert len(paper.authors) == want["authors_count"]
        if "title" in want:
            assert paper.title == want["title"]
    first = papers["0704.0001"]
    assert (first.doi, first.journal_ref, first.updated) == ("10.1103/PhysRevD.76.013009", "Phys.Rev.D76:013009,2007",
                                                             "2008-11-13")
    assert first.comments == "37 pages, 15 figures; published version"
    assert not [i for i in iter_file(FIXTURES / "arxiv_snapshot_sample.json") if isinstance(i, Noted)]


def test_the_snapshot_as_distributed_in_a_zip_is_read(tmp_path):
    import zipfile

    path = tmp_path / "arxiv.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(FIXTURES / "arxiv_snapshot_sample.json", "arxiv-metadata-oai-snapshot.json")
    papers, skipped = read(path)
    assert skipped == [] and "hep-th/9901001" in papers and len(papers) == 4


@pytest.mark.parametrize("name", SMALL)
def test_open_binary_reads_and_iterates_like_a_file_and_says_how_far_it_got(name):
    position = ReadPosition()
    with open_binary(FIXTURES / name, position) as stream:
        lines = list(stream)
    with open_binary(FIXTURES / name, position) as stream:
        whole = stream.read()
    assert b"".join(lines) == whole and len(lines) >= 12
    assert position.done == position.total == (FIXTURES / name).stat().st_size


def test_a_read_that_meets_damage_gives_what_came_before_it_and_the_next_read_says_what_is_wrong(tmp_path):
    lines = paper_lines(20_000)
    path = tmp_path / "papers.jsonl.gz"
    path.write_bytes(gzip_corrupt_after(lines, 12_000))
    intact = b"".join(lines[:12_000])
    got = b""
    with open_binary(path) as stream, pytest.raises(FileFormatError) as caught:
        while block := stream.read(1 << 20):
            got += block
    assert intact.startswith(got)
    assert len(got) >= len(intact) - DECOMPRESSED_PIECE
    assert str(caught.value) == f"{path} is damaged: the gzip data is corrupt"


@pytest.mark.parametrize("kind", ["gzip", "xz"])
def test_a_cut_short_file_gives_every_whole_line_before_the_cut_then_says_so(tmp_path, kind):
    whole = compressed(kind, b"".join(paper_lines(20_000)))
    path = tmp_path / f"papers.jsonl.{kind}"
    path.write_bytes(whole[:len(whole) // 2])
    papers = []
    with pytest.raises(FileFormatError) as caught:
        for batch in iter_file_batches(path, batch_size=1000):
            papers += [item.key for item in batch if isinstance(item, Paper)]
    assert papers == ids_of(complete_lines_of_truncated(path.read_bytes(), kind))
    assert str(caught.value) == f"{path} is cut short: the {kind} data ends early"


@pytest.mark.parametrize("content,problem", [
    (b"\x1f\x8b" + bytes(range(256)) * 8, "is damaged: the gzip data is corrupt"),
    (b"\xfd7zXZ\x00" + bytes(range(256)) * 8, "is damaged: the xz data is corrupt"),
    (b"PK\x03\x04" + bytes(range(256)) * 8, "is damaged or cut short: the zip's table of contents (at its end) "
                                            "cannot be read"),
    (zip_of("papers.jsonl", b"{}\n" * 1000)[:-30], "is damaged or cut short: the zip's table of contents"),
    (corrupted_in_the_middle(zip_of("papers.jsonl", b"".join(paper_lines(2000)))), "is damaged: the zip data is corrupt"),
    (corrupted_in_the_middle(lzma.compress(b"".join(paper_lines(2000)))), "is damaged: the xz data is corrupt"),
    (bytes(range(256)) * 8, "is neither JSON Lines (one object per line) nor a JSON array"),
    (b'[{"title": "one"}, {"title": "tw', "cannot be read: Unterminated string at line 1, column 30"),
])
def test_damage_is_one_line_naming_the_file_and_what_is_wrong(tmp_path, content, problem):
    path = tmp_path / "papers"
    path.write_bytes(content)
    with pytest.raises(FileFormatError) as caught:
        list(iter_file(path))
    assert str(path) in str(caught.value) and problem in str(caught.value)
    assert "\n" not in str(caught.value)


def test_json_nested_too_deeply_is_a_skipped_line_or_an_unreadable_array(tmp_path):
    deep = "[" * 100_000 + "]" * 100_000
    lines = tmp_path / "deep.jsonl"
    lines.write_text('{"title": "A paper"}\n{"title": ' + deep + "}\n")
    papers, skipped = read(lines)
    assert len(papers) == 1 and [str(s) for s in skipped] == ["line 2: invalid JSON: nested too deeply"]
    array = tmp_path / "deep.json"
    array.write_text(f'[{{"title": "A paper"}}, {deep}]')
    with pytest.raises(FileFormatError, match="the JSON array in .*deep.json cannot be read: nested too deeply"):
        list(iter_file(array))


@pytest.mark.parametrize("make,problem", [
    (lambda path: None, "no such file: {path}"),
    (lambda path: path.mkdir(), "{path} is a folder, not a file"),
    (lambda path: os.mkfifo(path), "{path} is not a regular file (a pipe or a device?)"),
])
def test_a_path_that_is_not_a_readable_file_is_one_line(tmp_path, make, problem):
    path = tmp_path / "papers.jsonl"
    make(path)
    with pytest.raises(UnreadableFile) as caught:  # a pipe is refused before opening, which would wait for a writer
        list(iter_file(path))
    assert str(caught.value) == problem.format(path=path)
