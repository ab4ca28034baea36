"""What reading lists ask of a store."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from paperboy.bot.models import Paper
from paperboy.bot.store import StoreThread


class ReadingStore(StoreThread, Protocol):
    """The papers each reader saved."""

    def save_paper(self, platform: str, workspace: str, owner: str, paper_key: str, now: str) -> bool:
        """Adds a stored paper to the owner's reading list; False when it is there already."""

    def saved_papers(self, platform: str, workspace: str, owner: str) -> list[tuple[Paper, str]]:
        """The owner's reading list, newest first: (paper, when it was saved). Only the owner's."""

    def unsave_papers(self, platform: str, workspace: str, owner: str, paper_keys: Iterable[str] | None = None) -> int:
        """Takes these papers (None: every paper) off the owner's list; returns how many went."""
