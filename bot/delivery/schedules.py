"""A channel's posting schedules: which digest posts are due on a local day, what each covers, and
the delivery key that settles it.

- day: every day at the channel's time, the newest list on or before today (`lag_days=1`: on or
  before yesterday, ranked on the upvotes it has gathered since). Key `daily:<channel>:<date>`.
- week: on the chosen weekday, the seven days before it. Key `weekly:<channel>:<post date>`.
- month: on the 1st, the month before. Key `monthly:<channel>:<YYYY-MM covered>`.

A weekly or monthly post missed on its day (paperboy was down) is still made later in the same
week or month: its key names the period, so it goes out once, late rather than never.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from paperboy.bot.kinds import delivery_key, scope_prefix

Every = Literal["day", "week", "month"]
EVERY: tuple[Every, ...] = ("day", "week", "month")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_EVERY_WORDS: dict[str, Every] = {"day": "day", "daily": "day", "week": "week", "weekly": "week",
                                  "month": "month", "monthly": "month"}
# The delivery kind of each schedule's posts (the scheduler registers them with the outbox).
KIND_OF: dict[Every, str] = {"day": "daily", "week": "weekly", "month": "monthly"}


@dataclass(frozen=True)
class Period:
    """The days a post covers, as ISO dates; a daily post covers the newest list on or before `last`."""
    every: Every
    first: str
    last: str


@dataclass(frozen=True)
class DuePost:
    every: Every
    key: str
    period: Period
    post_date: date  # the local day the post belongs to (its due moment is on that day)


def read_every(text: str) -> tuple[Every, ...] | None:
    """"week" or "day,week" (also daily/weekly/monthly) as schedules in a fixed order; None if unknown."""
    words = [w.strip().lower() for w in text.replace("+", ",").replace(" ", ",").split(",") if w.strip()]
    found = {_EVERY_WORDS.get(w) for w in words}
    if not words or None in found:
        return None
    return tuple(e for e in EVERY if e in found)


def schedules_of(every: str | None) -> tuple[Every, ...]:
    return read_every(every or "") or ("day",)


def read_weekday(text: str) -> str | None:
    low = text.strip().lower()[:3]
    return low if low in WEEKDAYS and len(text.strip()) >= 3 else None


def weekday_name(week_day: str) -> str:
    return WEEKDAY_NAMES[WEEKDAYS.index(week_day)] if week_day in WEEKDAYS else week_day


def posts_of(channel_id: int, every: Every = "day") -> str:
    """The key prefix of every post of one schedule of one channel."""
    return scope_prefix(KIND_OF[every], channel_id)


def due_posts(channel_id: int, every: str, week_day: str, lag_days: int, local_now: datetime,
              at: time) -> list[DuePost]:
    """The posts of a channel whose moment has come by `local_now` (local wall-clock time)."""
    today = local_now.date()
    reached_today = local_now.time() >= at
    due = []
    for schedule in schedules_of(every):
        post_date = _post_date(schedule, today, week_day)
        if post_date is None or (post_date == today and not reached_today):
            continue
        period = covered(schedule, post_date, lag_days)
        tag = period.first[:7] if schedule == "month" else post_date.isoformat()
        due.append(DuePost(schedule, delivery_key(KIND_OF[schedule], channel_id, tag), period, post_date))
    return due


def _post_date(schedule: Every, today: date, week_day: str) -> date | None:
    if schedule == "day":
        return today
    if schedule == "week":
        target = WEEKDAYS.index(week_day) if week_day in WEEKDAYS else 0
        return today - timedelta(days=(today.weekday() - target) % 7)
    return today.replace(day=1)


def covered(schedule: Every, post_date: date, lag_days: int = 0) -> Period:
    if schedule == "day":
        day = (post_date - timedelta(days=max(0, lag_days))).isoformat()
        return Period("day", day, day)
    if schedule == "week":
        return Period("week", (post_date - timedelta(days=7)).isoformat(), (post_date - timedelta(days=1)).isoformat())
    last = post_date.replace(day=1) - timedelta(days=1)
    return Period("month", last.replace(day=1).isoformat(), last.isoformat())


def next_post_date(schedule: Every, today: date, week_day: str, passed_today: bool) -> date:
    """The local day of a schedule's next post: today, if its moment has not passed yet."""
    day = today + timedelta(days=1) if passed_today else today
    while _post_date(schedule, day, week_day) != day:
        day += timedelta(days=1)
    return day
