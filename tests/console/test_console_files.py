"""The terminal adapter in process: a reading list's BibTeX printed (and, for several papers, written to
a .bib file whose path is printed), and a sparkline for a chart's numbers."""
from __future__ import annotations

from datetime import UTC, datetime

import bibtexparser
import pytest
from named_papers import DESCRIBED_LORA, LORA_AND_A_USER
from rich.console import Console

from paperboy.adapters.console.adapter import ConsoleAdapter
from paperboy.adapters.console.render import sparkline
from paperboy.bot.clock import FakeClock, iso
from paperboy.bot.commands.dispatch import build_core
from paperboy.bot.models import Paper
from paperboy.storage.sqlite import SQLiteStore

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
PAPERS = [Paper(key=f"2403.0000{n}", arxiv_id=f"2403.0000{n}", title=f"Paper {n} on 100% of {{it}}",
                authors=("Ada Lovelace",), published="2024-03-01", categories=("cs.LG",)) for n in range(1, 4)]


@pytest.fixture
def terminal(tmp_path):
    store = SQLiteStore(memory=True)
    store.upsert_papers(PAPERS, iso(NOW))
    adapter = ConsoleAdapter(build_core(store, clock=FakeClock(NOW)), Console(record=True, width=100),
                             files_dir=tmp_path / "files")
    yield adapter
    store.close()


async def test_bibtex_of_several_papers_is_printed_and_written_to_a_bib_file(terminal, tmp_path):
    for paper in PAPERS:
        assert await terminal.handle_line(f"/saved add {paper.arxiv_id}")
    await terminal.handle_line("/saved bibtex")
    shown = terminal.console.export_text()
    [written] = (tmp_path / "files").glob("paperboy-reading-list-*.bib")
    assert f"Saved to {written}" in shown.replace("\n", "")
    entries = bibtexparser.loads(written.read_text()).entries
    assert sorted(e["eprint"] for e in entries) == [p.arxiv_id for p in PAPERS]
    assert "@misc{" in shown


async def test_one_papers_bibtex_is_only_printed(terminal, tmp_path):
    await terminal.handle_line("/saved bibtex 2403.00001")
    assert "eprint = {2403.00001}" in terminal.console.export_text()
    assert not (tmp_path / "files").exists()


def test_sparkline_heights_follow_the_counts():
    assert sparkline([0, 5, 10]) == "▁▅█"
    assert sparkline([0, 0]) == "▁▁"
    assert sparkline([]) == ""


async def test_a_chart_is_written_to_a_png_whose_path_is_printed_with_a_sparkline(terminal, tmp_path):
    await terminal.handle_line("/paper trend paper")
    shown = terminal.console.export_text()
    [written] = (tmp_path / "files").glob("*.png")
    assert written.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"Chart saved to {written}" in shown.replace("\n", "")
    assert "3 papers" in shown and any(bar in shown for bar in "▁▂▃▄▅▆▇█")


async def test_the_terminal_answers_a_paper_by_its_name(terminal):
    terminal.core.context.papers.upsert_papers([
        Paper(key="2302.04761", arxiv_id="2302.04761", title="Toolformer: Language Models Can Teach Themselves to Use Tools",
              abstract="We introduce Toolformer, a model trained to decide which APIs to call.",
              authors=("Timo Schick",), published="2023-02-09", categories=("cs.CL",))], iso(NOW))
    await terminal.handle_line("/paper the toolformer paper")
    assert "Toolformer: Language Models Can Teach Themselves to Use Tools" in terminal.console.export_text()


async def test_the_terminal_answers_a_paper_by_a_description(terminal):
    terminal.core.context.papers.upsert_papers(LORA_AND_A_USER, iso(NOW))
    await terminal.handle_line(f"/paper {DESCRIBED_LORA}")
    shown = terminal.console.export_text()
    assert "No confident match" in shown and "These say what you described" in shown
    assert shown.index("LoRA: Low-Rank Adaptation") < shown.index("QLoRA: Efficient")
