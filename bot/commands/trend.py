"""`/paper trend <query>`: papers per month matching up to three /subscribe queries, as a chart.

The store counts each series in one query and picks the most upvoted matching papers in one more;
the picture is drawn off the event loop (paperboy.bot.trends.chart)."""
from __future__ import annotations

import asyncio

from paperboy.bot.commands.invocation import Invocation
from paperboy.bot.commands.spec import Context
from paperboy.bot.replies import Error, Notice, Reply, Scored
from paperboy.bot.subscriptions.paper_filter import paper_filter
from paperboy.bot.trends.chart import build_chart, month_name, series_of
from paperboy.bot.trends.months import choose_months
from paperboy.bot.trends.request import TrendError, parse_trend

TOP_PAPERS = 3


def _note(range_text: str, totals: list[tuple[str, int]], extra: str | None) -> str:
    counted = "; ".join(f"{label}: {total:,} paper{'s' if total != 1 else ''}" for label, total in totals)
    return f"{range_text}. {counted}." + (f" ({extra[0].upper()}{extra[1:]}.)" if extra else "")


async def trend(ctx: Context, inv: Invocation, text: str) -> Reply:
    """A Chart of papers per month for the query (or queries, separated by |) in `text`; an Error
    saying what is wrong with the text; a no-match Notice when nothing is stored or nothing matches."""
    try:
        request = parse_trend(text)
    except TrendError as exc:
        return Error(f"Can't chart that: {exc}.")
    now = ctx.clock.now()
    latest = await ctx.trends.run(ctx.trends.latest_published, now.date().isoformat())
    if latest is None:
        return Notice("No papers with a publication date are stored yet, so there is nothing to chart.",
                      no_match=True)
    try:
        window = choose_months(now, latest, request.since, request.until)
    except ValueError as exc:
        return Error(f"Can't chart that: {exc}.")
    filters = [paper_filter(line.query) for line in request.series]
    series = []
    for line, each in zip(request.series, filters, strict=True):
        counts = await ctx.trends.run(ctx.trends.monthly_counts, each, window.first, window.last)
        series.append(series_of(line.label, window.months, counts))
    range_text = (f"{len(window.months)} month{'s' if len(window.months) != 1 else ''}, "
                  f"{month_name(window.first)} to {month_name(window.last)}")
    if window.partial_month:
        range_text += f" ({month_name(window.partial_month)} still running)"
    if not any(sum(line.counts) for line in series):
        asked = " or ".join(line.label for line in request.series)
        return Notice(f"No stored papers match {asked} in {range_text}.", no_match=True)
    top = await ctx.trends.run(ctx.trends.most_upvoted, filters, window.first, window.last, TOP_PAPERS)
    scored = tuple(Scored(paper, float(paper.upvotes or 0)) for paper in top)
    note = _note(range_text, [(line.label, sum(line.counts)) for line in series], window.note)
    return await asyncio.to_thread(build_chart, series, window.partial_month, scored, note)
