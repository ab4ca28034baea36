"""A trend chart drawn to PNG, and its words: the alt text and the reply's note.

Drawn with matplotlib's object API (a Figure on its own Agg canvas: no pyplot, no global state, so
charts may be drawn on several threads at once). The picture is an opaque card with its own
colours, dark text on a light grey, so it reads the same in a dark and a light chat theme; the
series colours (Okabe-Ito) stay apart for colour-blind readers too. The running month is drawn
hollow at the end of a dashed segment and labelled "partial".
"""
from __future__ import annotations

import io
from collections.abc import Sequence

from paperboy.bot.replies import Attachment, Chart, Scored, Series

WIDTH, HEIGHT, DPI = 1000, 500, 100
CARD = "#f4f5f7"
INK = "#1f2328"
MUTED = "#59636e"
GRID = "#d8dde3"
COLOURS = ("#0072b2", "#d55e00", "#009e73")
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def month_name(month: str, *, year: bool = True) -> str:
    """"2025-03" -> "Mar 2025"."""
    name = _MONTH_NAMES[int(month[5:7]) - 1]
    return f"{name} {month[:4]}" if year else name


def series_of(label: str, months: Sequence[str], counts: dict[str, int]) -> Series:
    """A series over every month of the range, months the store left out counted 0."""
    return Series(label, tuple(months), tuple(counts.get(month, 0) for month in months))


def _tick_positions(count: int) -> list[int]:
    step = max(1, -(-count // 12))
    return list(range(0, count, step))


def render_png(title: str, series: Sequence[Series], partial_month: str | None = None) -> bytes:
    """The chart as PNG bytes, WIDTH x HEIGHT pixels: one line per series over its months."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI, facecolor=CARD)
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0.07, 0.13, 0.9, 0.72), facecolor=CARD)
    figure.text(0.07, 0.93, title, color=INK, fontsize=15, fontweight="bold", va="center")
    months = series[0].months if series else ()
    positions = list(range(len(months)))
    partial = partial_month is not None and bool(months) and months[-1] == partial_month
    full = len(months) - 1 if partial else len(months)
    for number, line in enumerate(series):
        colour = COLOURS[number % len(COLOURS)]
        label = f"{line.label} ({sum(line.counts):,})"
        marker = "o" if len(months) <= 36 else None
        axes.plot(positions[:full], line.counts[:full], color=colour, linewidth=2.4, marker=marker,
                  markersize=4.5, label=label)
        if partial:
            tail = positions[-2:] if full else positions[-1:]
            axes.plot(tail, line.counts[-len(tail):], color=colour, linewidth=2, linestyle=(0, (3, 2.5)))
            axes.plot(positions[-1:], line.counts[-1:], linestyle="none", marker="o", markersize=8,
                      markerfacecolor=CARD, markeredgecolor=colour, markeredgewidth=2)
    if partial:
        axes.annotate("partial", (positions[-1], 0), xycoords=("data", "axes fraction"), xytext=(0, 4),
                      textcoords="offset points", ha="center", va="bottom", color=MUTED, fontsize=9,
                      fontstyle="italic")
        axes.axvspan(positions[-1] - 0.5, positions[-1] + 0.5, color=GRID, alpha=0.45, linewidth=0)
    ticks = _tick_positions(len(months))
    axes.set_xticks(ticks, [month_name(months[i], year=(i == ticks[0] or months[i].endswith("-01")))
                            for i in ticks])
    axes.set_xlim(-0.5, max(len(months) - 0.5, 0.5))
    axes.set_ylim(bottom=0)
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.set_ylabel("papers per month", color=MUTED)
    axes.grid(axis="y", color=GRID, linewidth=0.8)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        axes.spines[side].set_color(MUTED)
    axes.tick_params(colors=MUTED, labelcolor=INK)
    if series:
        legend = axes.legend(loc="upper left", frameon=True, facecolor=CARD, edgecolor=GRID, fontsize=10)
        for text in legend.get_texts():
            text.set_color(INK)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, facecolor=CARD)
    return buffer.getvalue()


def _describe(line: Series, partial_month: str | None) -> str:
    total = sum(line.counts)
    if not line.counts:
        return f"{line.label}: no months"
    peak = max(range(len(line.counts)), key=lambda i: (line.counts[i], i))
    parts = [f"{line.label}: {total:,} papers in total", f"peak {line.counts[peak]:,} in {month_name(line.months[peak])}"]
    last = len(line.counts) - 1
    if partial_month is not None and line.months[last] == partial_month:
        if last > 0:
            parts.append(f"last full month {month_name(line.months[last - 1])}: {line.counts[last - 1]:,}")
        parts.append(f"{month_name(line.months[last])} so far: {line.counts[last]:,}")
    else:
        parts.append(f"last month {month_name(line.months[last])}: {line.counts[last]:,}")
    return ", ".join(parts)


def alt_text(series: Sequence[Series], partial_month: str | None = None) -> str:
    """What the chart shows, in words and numbers: for each series its total, its peak month and
    its last full month."""
    if not series or not series[0].months:
        return "An empty chart."
    months = series[0].months
    span = f"{month_name(months[0])} to {month_name(months[-1])}"
    running = f" ({month_name(partial_month)} is still running)" if partial_month == months[-1] else ""
    return (f"Line chart of papers per month, {span}{running}. "
            + ". ".join(_describe(line, partial_month) for line in series) + ".")


def filename(series: Sequence[Series]) -> str:
    stem = "-".join("".join(ch if ch.isalnum() else "-" for ch in line.label.lower()).strip("-")[:30]
                    for line in series) or "trend"
    return f"trend-{'-'.join(part for part in stem.split('-') if part)}.png"


def title_of(series: Sequence[Series]) -> str:
    return "Papers per month: " + " vs ".join(f"“{line.label.replace(chr(34), '')}”" for line in series)


def build_chart(series: Sequence[Series], partial_month: str | None = None, top: Sequence[Scored] = (),
                note: str | None = None) -> Chart:
    """The Chart reply: the picture rendered from exactly these series, with its alt text."""
    title = title_of(series)
    image = Attachment(filename(series), render_png(title, series, partial_month), "image/png",
                       alt_text(series, partial_month))
    return Chart(title, image, tuple(series), partial_month, tuple(top), note)
