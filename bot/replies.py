"""What handlers return: plain data that each adapter renders its own way."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from paperboy.bot.models import Paper


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


@dataclass(frozen=True)
class Notice:
    text: str
    ephemeral: bool = False


@dataclass(frozen=True)
class Error:
    text: str


Reply = Card | PaperList | Notice | Error


ReplyKind = Literal["card", "list", "notice", "error"]  # a reply's "kind" in JSON (serialize, --json)


def reply_kind(reply: Reply) -> ReplyKind:
    return {Card: "card", PaperList: "list", Notice: "notice", Error: "error"}[type(reply)]
