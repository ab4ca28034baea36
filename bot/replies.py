"""What handlers return: plain data that each adapter renders its own way."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from paperboy.bot.models import Paper

# Whether the paper sources were part of an answer: "unreachable" (asked, no answer: down, offline,
# too slow) or "off" (switched off here, PAPERBOY_OFFLINE=1); None when they were not needed or answered.
SourcesState = Literal["unreachable", "off"]


@dataclass(frozen=True)
class Scored:
    paper: Paper
    score: float


@dataclass(frozen=True)
class Card:
    """One paper, shown in full; alternatives are close runners-up."""
    paper: Paper
    score: float | None = None
    alternatives: tuple[Scored, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class PaperList:
    """Several papers, best first: a digest, a "did you mean", search results."""
    title: str
    items: tuple[Scored, ...] = ()
    note: str | None = None
    numbered: bool = True
    sources: SourcesState | None = None


@dataclass(frozen=True)
class Notice:
    text: str
    ephemeral: bool = False
    no_match: bool = False  # the answer is that nothing was found (exit code 1 on the command line)
    sources: SourcesState | None = None


@dataclass(frozen=True)
class Error:
    text: str
    sources: SourcesState | None = None


@dataclass(frozen=True)
class Attachment:
    """A file that goes with a reply: a chart's PNG, a BibTeX export."""
    filename: str
    data: bytes
    mime: str
    alt: str = ""  # what the file shows, in words: an image's alt text


@dataclass(frozen=True)
class Series:
    """One line of a chart: papers per month matching one query."""
    label: str
    months: tuple[str, ...]  # "YYYY-MM", oldest first
    counts: tuple[int, ...]


@dataclass(frozen=True)
class Chart:
    """A picture with the numbers behind it: adapters show the image, or the numbers where they can't."""
    title: str
    image: Attachment
    series: tuple[Series, ...]
    partial_month: str | None = None  # the last month, still running ("YYYY-MM")
    top: tuple[Scored, ...] = ()  # the most upvoted matching papers
    note: str | None = None


@dataclass(frozen=True)
class Document:
    """Text to hand over as it is (a BibTeX export): in the message when short, else as a file."""
    title: str  # one line saying what it is, e.g. "BibTeX for your 3 saved papers"
    text: str
    filename: str
    mime: str = "text/plain"
    ephemeral: bool = True


Reply = Card | PaperList | Notice | Error | Chart | Document


# A reply's "kind" in JSON (serialize, --json)
ReplyKind = Literal["card", "list", "notice", "error", "chart", "document"]


def reply_kind(reply: Reply) -> ReplyKind:
    return {Card: "card", PaperList: "list", Notice: "notice", Error: "error", Chart: "chart",
            Document: "document"}[type(reply)]


def found_something(reply: Reply) -> bool:
    """An answer, as opposed to "no match" or an error: what `paperboy ask` exits 0 for."""
    return not isinstance(reply, Error) and not (isinstance(reply, Notice) and reply.no_match)
