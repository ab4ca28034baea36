"""Reading the trend text: series split at | outside quotes, since=/until=, and clear errors."""
from __future__ import annotations

import pytest

from paperboy.bot.subscriptions.query import parse
from paperboy.bot.trends.request import MAX_SERIES, TrendError, parse_trend


def test_one_query_is_one_series_parsed_by_the_subscription_parser():
    request = parse_trend("diffusion models -video")
    assert [s.label for s in request.series] == ["diffusion models -video"]
    assert request.series[0].query == parse("diffusion models -video")
    assert request.since is None and request.until is None


def test_bars_outside_quotes_separate_series():
    request = parse_trend('"state space models" | mamba | transformer')
    assert [s.label for s in request.series] == ['"state space models"', "mamba", "transformer"]
    assert request.series[0].query == parse('"state space models"')


def test_a_bar_inside_quotes_stays_in_its_phrase_and_or_joins_alternatives_in_a_series():
    request = parse_trend('"a|b" OR mamba | author:"Yann LeCun" cat:cs')
    assert len(request.series) == 2
    assert request.series[0].query == parse('"a|b" OR mamba')
    assert request.series[1].query == parse('author:"Yann LeCun" cat:cs')


def test_typographic_quotes_count_as_quotes():
    request = parse_trend("“state space | models” | mamba")
    assert [s.label for s in request.series] == ['"state space | models"', "mamba"]


def test_since_and_until_are_taken_out_wherever_they_are():
    request = parse_trend("since=2023-01 mamba | transformer until=2024-6")
    assert request.since == "2023-01" and request.until == "2024-06"
    assert [s.label for s in request.series] == ["mamba", "transformer"]


def test_since_inside_quotes_is_part_of_the_phrase():
    request = parse_trend('"since=2023-01 mamba"')
    assert request.since is None


@pytest.mark.parametrize("text, fragment", [
    ("", "give a query"),
    ("since=2023-01", "besides since="),
    ("a | b | c | d", f"at most {MAX_SERIES} queries"),
    ('"state space models | mamba', "unclosed quote"),
    ("mamba since=2023", "since= needs a month written YYYY-MM"),
    ("mamba since=2023-13", "since= needs a month"),
    ("mamba since=last-year", "since= needs a month"),
    ("mamba until=2024-01 until=2024-02", "given twice"),
    ("mamba since=2024-05 until=2024-01", "is after until="),
    ("mamba | | transformer", "query 2 of 3 is empty"),
    ("mamba |", "query 2 of 2 is empty"),
    ("mamba | -video", "query 2 of 2 (-video): nothing to match"),
    ("(mamba)", "parentheses"),
    ("x" * 10_000, "too long (10,000 characters"),
])
def test_bad_text_gets_a_clear_error(text, fragment):
    with pytest.raises(TrendError) as caught:
        parse_trend(text)
    assert fragment in str(caught.value)
