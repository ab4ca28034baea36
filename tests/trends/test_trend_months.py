"""The months a chart covers."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from paperboy.bot.trends.months import choose_months

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def test_default_is_the_last_24_months_ending_at_the_running_month_which_is_partial():
    window = choose_months(NOW, "2026-11-23")
    assert len(window.months) == 24 and window.first == "2024-12" and window.last == "2026-11"
    assert window.partial_month == "2026-11" and window.note is None


def test_a_store_without_recent_papers_ends_at_its_newest_month_and_says_so():
    window = choose_months(NOW, "2026-08-20")
    assert window.first == "2024-09" and window.last == "2026-08" and len(window.months) == 24
    assert window.partial_month is None
    assert "2026-08" in window.note


def test_since_runs_to_the_running_month_and_until_ends_earlier_without_a_partial_month():
    assert choose_months(NOW, "2026-11-20", since="2023-01").months[:2] == ("2023-01", "2023-02")
    assert choose_months(NOW, "2026-11-20", since="2023-01").last == "2026-11"
    window = choose_months(NOW, "2026-11-20", since="2023-01", until="2023-12")
    assert window.months == tuple(f"2023-{m:02d}" for m in range(1, 13)) and window.partial_month is None


def test_until_alone_gives_the_24_months_before_it():
    window = choose_months(NOW, "2026-11-20", until="2025-06")
    assert window.first == "2023-07" and window.last == "2025-06"


def test_since_after_every_month_that_can_have_papers_is_refused():
    with pytest.raises(ValueError, match="since=2027-01 is after"):
        choose_months(NOW, "2026-11-20", since="2027-01")
