"""Turning what the sources send into Papers: checks and tidying shared by every source."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from paperboy.bot.ids import parse_paper_id
from paperboy.bot.text import collapse_whitespace, readable_math

_PLAIN_NEW_ID = re.compile(r"\d{4}\.\d{4,5}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Skipped:
    """A record left out of a batch: where it was (1-based line or item number) and why."""
    position: int
    reason: str
    unit: str = "item"  # "line" in JSON Lines files

    def __str__(self) -> str:
        return f"{self.unit} {self.position}: {self.reason}"


@dataclass(frozen=True)
class Noted:
    """A record stored without one of its fields (of the wrong type, or one paperboy does not know)."""
    position: int
    field: str
    problem: str  # e.g. 'is "yesterday", not a date (YYYY-MM-DD): left out'
    unit: str = "item"

    @property
    def about_the_field(self) -> bool:
        """Said of the field wherever it appears (unknown, read as another), not of one value."""
        return self.problem == UNKNOWN_FIELD or self.problem.startswith("read as ")

    def __str__(self) -> str:
        return f"{self.unit} {self.position}: {self.field} {self.problem}"


UNKNOWN_FIELD = "is not a field paperboy knows: ignored"


class BadRecord(ValueError):
    """A record that cannot become a Paper; the message is the reason shown to the user."""


def arxiv_id_of(value: Any) -> str | None:
    """The bare arXiv id (no version) of a source's id field, or None when it is not one."""
    if not isinstance(value, str) or not value:
        return None
    if len(value) in (9, 10) and _PLAIN_NEW_ID.fullmatch(value):
        # Already bare, as in bulk files: the checks of bot.ids without its parsing.
        yymm = value[:4]
        digits = 4 if yymm < "1501" else 5
        return value if yymm >= "0704" and "01" <= yymm[2:] <= "12" and len(value) == 5 + digits else None
    return parse_paper_id(value)


def tidy(value: Any) -> str | None:
    """Whitespace-collapsed text, or None for anything that is not non-blank text."""
    if not isinstance(value, str) or not value:
        return None
    # Most text arrives tidy already; scanning for the few messy characters is much cheaper
    # than running the collapsing regex over every abstract of a large import.
    # (isprintable is False for newlines, tabs and every non-ASCII space.)
    if value[0].isspace() or value[-1].isspace() or "  " in value or not value.isprintable():
        value = collapse_whitespace(value)
    return value or None


def title_of(value: Any) -> str:
    title = tidy(value)
    if title is None:
        raise BadRecord("missing title" if value is None or isinstance(value, str) else "title is not text")
    return title


def _clean_as_is(values: list) -> bool:
    """True when every entry is non-empty text without stray whitespace, checked in one pass over
    all entries joined: far cheaper than tidying them one by one, and true nearly always."""
    try:
        joined = "|".join(values)
    except TypeError:  # something other than text in the list
        return False
    return bool(joined) and joined.isprintable() and "  " not in joined and "| " not in joined \
        and " |" not in joined and "||" not in joined and joined[0] not in " |" and joined[-1] not in " |"


def names(values: Any) -> tuple[str, ...]:
    """Author names in order: text entries tidied, empty and non-text entries dropped."""
    if not isinstance(values, list) or not values:
        return ()
    if _clean_as_is(values):
        return tuple(values)
    out = []
    for value in values:
        name = tidy(value)
        if name is not None:
            out.append(name)
    return tuple(out)


_NAME_SEPARATORS = re.compile(r"\s*;\s*|\s*,\s*(?:and\s+|&\s*)?|\s+and\s+|\s+&\s+")


_AFFILIATIONS = re.compile(r"\s*\((?:[^()]|\([^()]*\))*\)")


def names_in_text(text: str) -> tuple[str, ...]:
    """Author names from one string: "Alice, Bob and Carol", "Alice; Bob", "Alice & Bob"; arXiv's
    LaTeX accents read as letters ("Bal\\'azs" is "Balázs") and affiliations in brackets left out
    ("A. Author (1), B. Author (2) ((1) MIT, (2) ETH)")."""
    if "(" in text:
        text = _AFFILIATIONS.sub("", text)
    return names(_NAME_SEPARATORS.split(readable_math(text).strip()))


def codes(values: Any) -> tuple[str, ...]:
    """Category codes or keywords: text entries, in order, without repeats."""
    if not isinstance(values, list) or not values:
        return ()
    if _clean_as_is(values) and len(set(values)) == len(values):
        return tuple(values)
    out: list[str] = []
    for value in values:
        text = tidy(value)
        if text is not None and text not in out:
            out.append(text)
    return tuple(out)


def day_of(value: Any) -> str | None:
    """YYYY-MM-DD from a date or an ISO timestamp; None for anything else."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    day = value[:10]
    return day if _DATE.fullmatch(day) else None


def count_of(value: Any) -> int | None:
    """A non-negative count (upvotes, stars); None for anything else, booleans included."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def web_link(value: Any) -> str | None:
    """An http(s) URL, or None: a source's link fields must never smuggle other schemes into cards."""
    text = tidy(value)
    if text is None or " " in text or not text.lower().startswith(("https://", "http://")):
        return None
    return text
