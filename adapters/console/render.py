"""Replies as rich renderables. Every piece of paper text goes in as Text, never as markup."""
from __future__ import annotations

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from paperboy.bot.models import Paper
from paperboy.bot.replies import Card, Chart, Document, Error, Notice, PaperList, Reply, Series
from paperboy.bot.text import readable_math


def _byline(paper: Paper, most: int = 4) -> str:
    names = [readable_math(name) for name in paper.authors[:most]]
    extra = len(paper.authors) - len(names)
    return ", ".join(names) + (f" +{extra} more" if extra > 0 else "")


def _title(paper: Paper) -> Text:
    """The whole title, wrapped rather than cut, its LaTeX shown as text."""
    return Text(paper.shown_title, style="bold")


def _facts(paper: Paper) -> Text:
    facts = Text(style="dim")
    bits = []
    if paper.published:
        bits.append(paper.published)
    if paper.upvotes is not None:
        bits.append(f"▲ {paper.upvotes}")
    if paper.arxiv_id:
        bits.append(f"arXiv:{paper.arxiv_id}")
    if paper.journal_ref or paper.venue:
        bits.append(paper.journal_ref or paper.venue)
    facts.append("  ·  ".join(bits))
    return facts


def _links(paper: Paper) -> Text:
    text = Text()
    for n, (label, url) in enumerate(paper.links()):
        if n:
            text.append("  ")
        text.append(label, style=f"bold cyan link {url}")
        text.append(f" {url}", style="dim")
    return text


def render_card(card: Card) -> RenderableType:
    paper = card.paper
    parts: list[RenderableType] = []
    if card.note:
        parts.append(Text(card.note, style="italic"))
    parts.append(_title(paper))
    if paper.authors:
        parts.append(Text(_byline(paper), style="green"))
    parts.append(_facts(paper))
    summary = paper.summary(400)
    if summary:
        parts.append(Text(""))
        parts.append(Text(summary))
    if paper.links():
        parts.append(Text(""))
        parts.append(_links(paper))
    if card.alternatives:
        parts.append(Text(""))
        parts.append(Text("Also close:", style="dim"))
        for alt in card.alternatives:
            line = Text("  • ", style="dim")
            line.append(alt.paper.shown_title)
            if alt.paper.arxiv_id:
                line.append(f"  ({alt.paper.arxiv_id})", style="dim")
            parts.append(line)
    return Panel(Group(*parts), border_style="blue")


def render_list(reply: PaperList) -> RenderableType:
    table = Table(show_header=False, box=None, padding=(0, 1))
    table.add_column(justify="right", style="dim")
    table.add_column()
    for n, item in enumerate(reply.items, 1):
        paper = item.paper
        cell = _title(paper)
        meta = []
        if paper.upvotes is not None:
            meta.append(f"▲ {paper.upvotes}")
        if paper.authors:
            meta.append(_byline(paper, 2))
        if meta:
            cell.append("\n" + "  ·  ".join(meta), style="dim")
        if paper.url:  # a line of its own: a link is never split, nor left after a dangling separator
            cell.append("\n" + paper.url, style=f"dim link {paper.url}")
        table.add_row(f"{n}." if reply.numbered else "•", cell)
    parts: list[RenderableType] = [Text(reply.title, style="bold"), table]
    if reply.note:
        parts.append(Text(reply.note, style="italic dim"))
    return Panel(Group(*parts), border_style="magenta")


_BARS = "▁▂▃▄▅▆▇█"


def sparkline(counts: tuple[int, ...] | list[int]) -> str:
    """One character per month, its height the count against the series' peak."""
    peak = max(counts, default=0)
    if peak <= 0:
        return _BARS[0] * len(counts)
    return "".join(_BARS[min(len(_BARS) - 1, round(c / peak * (len(_BARS) - 1)))] for c in counts)


def _series_line(series: Series, partial: str | None) -> Text:
    line = Text(f"{series.label}  ", style="bold")
    line.append(sparkline(series.counts), style="cyan")
    total = sum(series.counts)
    facts = [f"{total:,} papers"]
    if total:
        peak = max(range(len(series.counts)), key=lambda i: series.counts[i])
        facts.append(f"peak {series.counts[peak]:,} in {series.months[peak]}")
    if series.months:
        facts.append(f"{series.months[0]} to {series.months[-1]}" + (" (last month partial)" if partial else ""))
    line.append("  " + ", ".join(facts), style="dim")
    return line


def render_chart(chart: Chart, saved_to: str | None = None) -> RenderableType:
    parts: list[RenderableType] = [Text(chart.title, style="bold")]
    parts += [_series_line(series, chart.partial_month) for series in chart.series]
    if chart.top:
        parts.append(Text("Most upvoted:", style="dim"))
        parts.append(render_list(PaperList(title="", items=chart.top)))
    if chart.note:
        parts.append(Text(chart.note, style="italic dim"))
    panel = Panel(Group(*parts), border_style="green")
    # The path on a line of its own, outside the box, so it can be copied whole.
    return Group(panel, Text(f"Chart saved to {saved_to}", style="green")) if saved_to else panel


def render_document(document: Document, saved_to: str | None = None) -> RenderableType:
    parts: list[RenderableType] = [Text(document.title, style="bold"), Text(document.text)]
    if saved_to:
        parts.append(Text(f"Saved to {saved_to}", style="green"))
    return Group(*parts)


def render(reply: Reply, saved_to: str | None = None) -> RenderableType:
    """A reply for the terminal; `saved_to` names the file its attachment was written to."""
    if isinstance(reply, Card):
        return render_card(reply)
    if isinstance(reply, PaperList):
        return render_list(reply)
    if isinstance(reply, Chart):
        return render_chart(reply, saved_to)
    if isinstance(reply, Document):
        return render_document(reply, saved_to)
    if isinstance(reply, Error):
        return Text(reply.text, style="bold red")
    assert isinstance(reply, Notice)
    return render_text(reply.text)


def render_text(text: str) -> RenderableType:
    """Text whose indented lines stay indented when the terminal wraps them."""
    lines = text.split("\n")
    if not any(line.startswith(" ") for line in lines):
        return Text(text)
    return Group(*(Padding(Text(line.lstrip()), (0, 0, 0, len(line) - len(line.lstrip())), expand=False) for line in lines))
