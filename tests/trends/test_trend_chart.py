"""The chart: the series handed to the renderer are the store's counts, the PNG decodes at its size,
the partial month is marked, and the alt text states the numbers; the handler end to end."""
from __future__ import annotations

import struct
from datetime import UTC, datetime

import pytest

from paperboy.bot.clock import FakeClock
from paperboy.bot.commands.invocation import Invocation, Place
from paperboy.bot.commands.spec import Context
from paperboy.bot.commands.trend import trend
from paperboy.bot.models import Paper
from paperboy.bot.replies import Chart, Document, Error, Notice, Scored, Series
from paperboy.bot.serialize import reply_from_dict, reply_text, reply_to_dict, reply_to_json_result
from paperboy.bot.subscriptions.paper_filter import paper_filter
from paperboy.bot.subscriptions.query import parse
from paperboy.bot.trends.chart import HEIGHT, WIDTH, alt_text, build_chart, render_png

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
INV = Invocation(command="paper", args="trend", user="alice", place=Place(platform="console"))


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk, after checking the signature."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def _papers():
    papers = []
    for n, (month, title, upvotes) in enumerate([
        ("2025-01", "Mamba for audio", 5), ("2025-01", "Transformer baselines", 1),
        ("2025-06", "Mamba goes vision", 40), ("2025-06", "Mamba and transformer hybrids", 12),
        ("2026-02", "Transformer scaling laws", 80), ("2026-11", "Mamba two", 3),
        ("2026-11", "Transformer three", None), ("2023-05", "Old transformer", 500),
    ], 1):
        papers.append(Paper(key=f"x{n}", arxiv_id=f"2501.{n:05d}", title=title, abstract="A study.",
                            authors=("Ann Other",), categories=("cs.LG",), published=f"{month}-10", upvotes=upvotes))
    return papers


@pytest.fixture
def ctx(store):
    store.upsert_papers(_papers(), "2026-11-24T08:00:00Z")
    return Context.over(store, FakeClock(NOW), None)  # type: ignore[arg-type]


def test_render_makes_a_png_of_the_chart_size():
    months = ("2025-01", "2025-02", "2025-03")
    data = render_png("Papers per month", [Series("a", months, (1, 2, 3))], "2025-03")
    assert png_size(data) == (WIDTH, HEIGHT)
    assert 5_000 < len(data) < 300_000


def test_alt_text_states_totals_peak_and_last_full_month():
    months = ("2025-09", "2025-10", "2025-11")
    text = alt_text([Series("mamba", months, (4, 9, 2)), Series("transformer", months, (30, 20, 5))], "2025-11")
    assert "Sep 2025 to Nov 2025 (Nov 2025 is still running)" in text
    assert "mamba: 15 papers in total, peak 9 in Oct 2025, last full month Oct 2025: 9, Nov 2025 so far: 2" in text
    assert "transformer: 55 papers in total, peak 30 in Sep 2025" in text


async def test_the_chart_shows_the_store_counts_with_the_running_month_partial(ctx, store):
    reply = await trend(ctx, INV, "mamba | transformer")
    assert isinstance(reply, Chart)
    assert reply.title == "Papers per month: “mamba” vs “transformer”"
    assert reply.partial_month == "2026-11"
    months = reply.series[0].months
    assert len(months) == 24 and months[0] == "2024-12" and months[-1] == "2026-11"
    for line in reply.series:  # exactly the store's counts, a zero for every month it left out
        counts = store.monthly_counts(paper_filter(parse(line.label)), months[0], months[-1])
        assert line.counts == tuple(counts.get(month, 0) for month in months)
    mamba, transformer = reply.series
    assert dict(zip(mamba.months, mamba.counts, strict=True))["2025-06"] == 2
    assert sum(mamba.counts) == 4 and sum(transformer.counts) == 4
    assert png_size(reply.image.data) == (WIDTH, HEIGHT) and reply.image.mime == "image/png"
    assert "mamba: 4 papers in total" in reply.image.alt and "Nov 2026 so far: 1" in reply.image.alt
    assert [s.paper.title for s in reply.top] == ["Transformer scaling laws", "Mamba goes vision",
                                                  "Mamba and transformer hybrids"]
    assert "24 months, Dec 2024 to Nov 2026 (Nov 2026 still running)" in reply.note
    assert "mamba: 4 papers; transformer: 4 papers" in reply.note


async def test_since_sets_the_first_month_and_three_series_share_one_chart(ctx):
    reply = await trend(ctx, INV, "mamba | transformer | hybrids since=2023-01")
    assert isinstance(reply, Chart) and len(reply.series) == 3
    assert all(line.months[0] == "2023-01" and line.months[-1] == "2026-11" for line in reply.series)
    assert sum(reply.series[1].counts) == 5  # the 2023 transformer paper is in range now
    assert [s.paper.title for s in reply.top][0] == "Old transformer"
    assert reply.image.alt.count("papers in total") == 3


async def test_until_ends_before_the_running_month_without_a_partial_month(ctx):
    reply = await trend(ctx, INV, "mamba since=2025-01 until=2025-06")
    assert isinstance(reply, Chart) and reply.partial_month is None
    assert reply.series[0].counts == (1, 0, 0, 0, 0, 2)


async def test_a_store_whose_papers_end_earlier_ends_the_chart_there(store):
    store.upsert_papers(_papers()[:5], "2026-11-24T08:00:00Z")
    reply = await trend(Context.over(store, FakeClock(NOW), None), INV, "mamba")  # type: ignore[arg-type]
    assert isinstance(reply, Chart) and reply.series[0].months[-1] == "2026-02"
    assert reply.partial_month is None and "No papers stored after 2026-02, so the chart ends there" in reply.note


async def test_an_empty_store_answers_a_clear_notice(store):
    reply = await trend(Context.over(store, FakeClock(NOW), None), INV, "mamba")  # type: ignore[arg-type]
    assert isinstance(reply, Notice) and reply.no_match and "No papers" in reply.text


async def test_nothing_matching_is_a_no_match_notice(ctx):
    reply = await trend(ctx, INV, "quasicrystal")
    assert isinstance(reply, Notice) and reply.no_match and "quasicrystal" in reply.text


@pytest.mark.parametrize("text", ["a | b | c | d", '"unclosed', "mamba since=2023", "x" * 10_000])
async def test_bad_text_is_an_error(ctx, text):
    reply = await trend(ctx, INV, text)
    assert isinstance(reply, Error) and reply.text.startswith("Can't chart that:")


def test_a_chart_survives_a_round_trip_through_json_and_states_its_numbers():
    months = ("2026-10", "2026-11")
    top = (Scored(
        Paper(key="2501.00001", arxiv_id="2501.00001", title="Mamba two", upvotes=7), 7.0),)
    chart = build_chart([Series("mamba", months, (3, 1)), Series("transformer", months, (9, 2))], "2026-11", top,
                        "2 months")
    data = reply_to_dict(chart)
    assert isinstance(data["image"]["data"], str)
    assert reply_from_dict(data) == chart
    text = reply_text(chart)
    assert "mamba (4 in total): 2026-10 3, 2026-11 1 (partial)" in text
    assert "transformer (11 in total): 2026-10 9, 2026-11 2 (partial)" in text
    result = reply_to_json_result(chart)
    assert result["kind"] == "chart" and result["found"] is True
    assert [r["id"] for r in result["results"]] == ["2501.00001"]


def test_a_document_survives_a_round_trip_and_its_text_is_title_then_text():
    document = Document("BibTeX for your 1 saved paper", "@article{x,\n  title={X}\n}", "saved.bib",
                        "application/x-bibtex", ephemeral=False)
    assert reply_from_dict(reply_to_dict(document)) == document
    assert reply_text(document) == "BibTeX for your 1 saved paper\n@article{x,\n  title={X}\n}"
