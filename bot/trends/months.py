"""The months a trend chart covers: by default the last 24 ending at the running month; or from
since= (to until=, or the running month). A store whose newest paper is older than the running
month ends the chart at that paper's month instead (a chart of empty months would show a collapse
that did not happen), and the note says so. Only the running month is partial."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

DEFAULT_MONTHS = 24
MAX_MONTHS = 240


@dataclass(frozen=True)
class MonthRange:
    months: tuple[str, ...]  # "YYYY-MM", oldest first
    partial_month: str | None  # the last month, when it is still running
    note: str | None = None  # why the range is not what was asked

    @property
    def first(self) -> str:
        return self.months[0]

    @property
    def last(self) -> str:
        return self.months[-1]


def _index(month: str) -> int:
    return int(month[:4]) * 12 + int(month[5:7]) - 1


def _month(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_of(moment: datetime) -> str:
    return f"{moment.year:04d}-{moment.month:02d}"


def choose_months(now: datetime, latest_published: str, since: str | None = None,
                  until: str | None = None) -> MonthRange:
    """The range for a chart asked at `now` of a store whose newest paper was published on
    `latest_published` ("YYYY-MM-DD"). ValueError when the asked range holds no month to show."""
    running = month_of(now)
    note = None
    if until is not None:
        last = min(until, running)
    else:
        last = running
        newest = latest_published[:7]
        if newest < running and (since is None or newest >= since):
            last = newest
            note = f"no papers stored after {newest}, so the chart ends there"
    first = since if since is not None else _month(_index(last) - DEFAULT_MONTHS + 1)
    if first > last:
        raise ValueError(f"since={first} is after the last month there can be papers for ({last})")
    if _index(last) - _index(first) + 1 > MAX_MONTHS:
        raise ValueError(f"that is more than {MAX_MONTHS} months: give a later since=")
    months = tuple(_month(i) for i in range(_index(first), _index(last) + 1))
    return MonthRange(months, last if last == running else None, note)
