"""What a lookup answers: a Match (the best paper, alternatives, how sure, how the paper sources took
part), and the small types around it that the matcher, the lookup workers and the commands share."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal, Protocol, runtime_checkable

from paperboy.bot.models import Paper
from paperboy.bot.replies import Scored

# How the paper sources took part in a lookup: None when they were not asked (no need, or none
# configured); "answered"; "unreachable" (an error: down, no network); "timeout"; "off" (switched off).
SourcesAsked = Literal["answered", "unreachable", "timeout", "off"]


@runtime_checkable
class NotReached(Protocol):
    """What a source's error says when its host could not be reached at all (the sources'
    SourceUnreachable; the matcher does not import the sources)."""
    reason: str  # "no network", "connection refused"
    asked: bool  # False: not asked, the host having failed a moment ago
    retry_in: float | None  # seconds until it is asked again


@dataclass(frozen=True)
class Unreached:
    """Why the paper sources were "unreachable", when their hosts could not be reached at all."""
    reason: str
    asked: bool = True
    retry_in: float | None = None


@dataclass(frozen=True)
class Match:
    query: str
    best: Scored | None
    alternatives: tuple[Scored, ...] = ()
    confident: bool = False
    via: str = "none"  # "id", "title", "keywords", "alias", "description" (dense retrieval), "remote" or "none"
    paper_id: str | None = None  # the arXiv id the query named, if it named one
    note: str | None = None  # why an answer is missing or thin (not found, a source timed out)
    sources: SourcesAsked | None = None
    withdrawn: bool = False  # the id named a paper arXiv withdrew
    unreached: Unreached | None = None  # with sources "unreachable": no network, a refused connection

    @property
    def sources_failed(self) -> bool:
        """The sources were wanted but gave no answer: what the user sees may be incomplete."""
        return self.sources in ("unreachable", "timeout", "off")

    @property
    def candidates(self) -> tuple[Scored, ...]:
        return ((self.best,) if self.best else ()) + self.alternatives


class LookupsBusy(Exception):
    """More lookups are waiting to be ranked than the matcher takes on (Matcher.max_pending)."""


class Ranker(Protocol):
    """Somewhere else to run rank() and suggest_titles(): worker processes (lookup_pool)."""

    async def rank(self, query: str, limit: int, *, describe: bool = True) -> Match: ...

    async def suggest_titles(self, partial: str, limit: int) -> list[Paper]: ...


_NOTES: dict[SourcesAsked | None, str] = {
    "unreachable": "the paper sources could not be reached",
    "timeout": "the paper sources did not answer in time",
    "off": "the paper sources are switched off",
}


def sources_note(asked: SourcesAsked, unreached: Unreached | None) -> str | None:
    if unreached is None:
        return _NOTES.get(asked)
    if not unreached.asked:
        return f"the paper sources were not asked: {unreached.reason}"
    return f"the paper sources could not be reached ({unreached.reason})"


def with_sources(match: Match, asked: SourcesAsked, unreached: Unreached | None = None) -> Match:
    return replace(match, sources=asked, unreached=unreached, note=sources_note(asked, unreached) or match.note)
