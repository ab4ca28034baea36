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


Reply = Card | PaperList | Notice | Error


ReplyKind = Literal["card", "list", "notice", "error"]  # a reply's "kind" in JSON (serialize, --json)


def reply_kind(reply: Reply) -> ReplyKind:
    return {Card: "card", PaperList: "list", Notice: "notice", Error: "error"}[type(reply)]


def found_something(reply: Reply) -> bool:
    """An answer, as opposed to "no match" or an error: what `paperboy ask` exits 0 for."""
    return not isinstance(reply, Error) and not (isinstance(reply, Notice) and reply.no_match)
