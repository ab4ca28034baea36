"""Plain data shared by the core, the store and the adapters: papers, where things go, and the
records the store keeps (channels, subscriptions, deliveries)."""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, replace
from typing import Any, Literal
from urllib.parse import quote

from paperboy.bot.text import collapse_whitespace, readable_math, trim_at_word, words

# How a delivery reaches its place:
#   "channel"  posted in the channel;
#   "threads"  posted in the channel, then one discussion thread opened per paper of a list
#              (Discord; platforms without threads post as "channel");
#   "dm"       sent to the user privately;
#   "mention"  posted in the channel with the user mentioned.
TargetMode = Literal["channel", "threads", "dm", "mention"]
Notify = Literal["dm", "channel"]  # where a subscription's alerts go: a DM, or a mention in its channel
KindName = str  # a delivery kind's name, as its producer registered it (paperboy.bot.kinds)
DeliveryStatus = Literal["pending", "sending", "sent", "failed", "skipped", "cancelled"]

def normalize_title(title: str) -> str:
    """The form titles are compared in: their words (paperboy.bot.text), one space apart."""
    return " ".join(words(title))


def key_for_unnumbered(title: str, venue: str | None) -> str:
    """Stable key for a paper with no arXiv id (conference-only records).

    A key is an identity: alerts and daily lists name papers by it, so it is made by the rule it
    was first made by and never follows changes to how titles are compared (normalize_title)."""
    text = unicodedata.normalize("NFKD", title or "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    frozen_title = " ".join(re.sub(r"[^\w]+", " ", text).replace("_", " ").split())
    digest = hashlib.sha1(f"{frozen_title}|{(venue or '').lower()}".encode()).hexdigest()
    return "p:" + digest[:16]


@dataclass(frozen=True)
class Paper:
    key: str
    title: str
    abstract: str | None = None
    authors: tuple[str, ...] = ()
    published: str | None = None  # YYYY-MM-DD
    categories: tuple[str, ...] = ()
    upvotes: int | None = None
    arxiv_id: str | None = None
    venue: str | None = None
    hf_url: str | None = None
    code_url: str | None = None
    project_url: str | None = None
    github_stars: int | None = None
    ai_summary: str | None = None
    ai_keywords: tuple[str, ...] = ()
    source: str | None = None
    doi: str | None = None
    journal_ref: str | None = None  # where it was published, as arXiv's authors give it
    comments: str | None = None  # arXiv's comments field: pages, figures, "accepted at ..."
    updated: str | None = None  # YYYY-MM-DD of the latest version
    withdrawn: bool = False  # arXiv deleted the record: kept, never offered as an answer
    first_seen: str | None = None
    last_seen: str | None = None

    @property
    def abs_url(self) -> str | None:
        return f"https://arxiv.org/abs/{self.arxiv_id}" if self.arxiv_id else None

    @property
    def pdf_url(self) -> str | None:
        return f"https://arxiv.org/pdf/{self.arxiv_id}" if self.arxiv_id else None

    @property
    def url(self) -> str | None:
        """The one link that best stands for the paper."""
        return self.abs_url or self.hf_url or self.project_url or self.code_url

    def links(self) -> list[tuple[str, str]]:
        """(label, url) pairs in the order cards show them."""
        found = [
            ("arXiv", self.abs_url),
            ("PDF", self.pdf_url),
            ("Hugging Face", self.hf_url or (f"https://huggingface.co/papers/{self.arxiv_id}" if self.arxiv_id else None)),
            ("Code", self.code_url),
            ("Project", self.project_url),
            ("DOI", self.doi_url),
        ]
        return [(label, url) for label, url in found if url]

    @property
    def doi_url(self) -> str | None:
        """The published version, through doi.org. A DOI may hold any character: all but the plain
        ones are percent-encoded, so none can end a link early in a chat's markup."""
        doi = (self.doi or "").strip()
        return f"https://doi.org/{quote(doi, safe='/:;._-')}" if doi.startswith("10.") else None

    @property
    def shown_title(self) -> str:
        """The title as cards and lists show it: its LaTeX as text ("$\\Gamma$" is "Γ")."""
        return readable_math(self.title)

    def summary(self, limit: int = 300) -> str:
        """ai_summary when there is one, else the abstract cut at a word boundary; LaTeX as text."""
        return trim_at_word(readable_math(collapse_whitespace(self.ai_summary or self.abstract or "")), limit)

    def with_changes(self, **changes) -> Paper:
        return replace(self, **changes)


@dataclass(frozen=True)
class Target:
    """Where a delivery goes: a channel, or a user by DM, or a user mentioned in a channel
    (TargetMode says how each is posted)."""
    platform: str
    workspace: str = ""
    channel: str = ""
    user: str | None = None
    mode: TargetMode = "channel"


# ---- what the store keeps ---------------------------------------------------------------------

class StoreUnavailable(Exception):
    """The database cannot be reached now (a lost connection that retries did not bring back): the
    caller answers "try again in a minute"; nothing was half written."""


@dataclass(frozen=True)
class UpsertResult:
    new_keys: tuple[str, ...]
    changed: int  # rows inserted or updated


@dataclass(frozen=True)
class ChannelConfig:
    id: int
    platform: str
    workspace: str
    channel: str
    daily_time: str
    tz: str
    top_n: int
    min_upvotes: int
    filter: str | None
    sources: str  # "hf" or comma-separated arXiv categories, e.g. "cs.LG,cs.CL"
    thread_per_paper: bool
    enabled: bool
    paused: str | None = None  # why its daily post stopped by itself (it kept failing for good)
    every: str = "day"  # which posts it gets: "day", "week", "month", or several joined by commas
    week_day: str = "mon"  # the weekday of the weekly post
    lag_days: int = 0  # 1: the daily post is yesterday's list, ranked on what its upvotes became


@dataclass(frozen=True)
class Subscription:
    id: int
    platform: str
    workspace: str
    owner: str
    channel: str
    notify: Notify
    query: str
    created: str


@dataclass(frozen=True)
class Delivery:
    id: int
    dedupe_key: str
    kind: KindName
    target: Target
    payload: dict[str, Any]
    status: DeliveryStatus
    attempts: int
    next_attempt_at: str
    last_error: str | None
    external_id: str | None
    note: str | None
    lease_owner: str | None = None  # the process sending it, while status is 'sending'
    lease_until: str | None = None  # after this, any process may take it over
    created: str | None = None  # when it was enqueued
    bundle: str | None = None  # the key of the message it went out in with others (bundled alerts)


@dataclass(frozen=True)
class Named:
    """A paper holding a name (paperboy.bot.search.aliases), as the store returns it: `users` is how many papers define the name
    with the same expansion, `total` how many papers hold the name at all."""
    paper_rowid: int
    kind: str
    expansion: str
    dated: str | None
    users: int
    total: int


@dataclass(frozen=True)
class NameSource:
    """What a paper's names are mined from (paperboy.bot.search.naming): its text, and what dates
    the name (the introducer of a name is the first to use it)."""
    paper_rowid: int
    title: str
    abstract: str | None
    published: str | None
    venue: str | None
    arxiv_id: str | None
    withdrawn: bool


# ---- which papers: a query in a form every store can run ---------------------------------------

@dataclass(frozen=True)
class WordsMatch:
    """Folded words (paperboy.bot.text) next to each other, in order, in one field: the title or
    abstract ("text"), or the authors. `initial`: the first word is an initial, so any word starting
    with it matches ("j smith" finds "John Smith"). `surname`: the last word must end an author's
    name, or the first half of a hyphenated one. `contains`: lower-case text the title or abstract
    must hold as well (a stemming index also joins words the query keeps apart)."""
    field: Literal["text", "authors"]
    words: tuple[str, ...]
    initial: bool = False
    surname: bool = False
    contains: str | None = None


@dataclass(frozen=True)
class CategoryMatch:
    """An arXiv category, lower case ("cs.lg"); `archive`: every category of that archive ("cs")."""
    category: str
    archive: bool = False


FilterItem = WordsMatch | CategoryMatch


@dataclass(frozen=True)
class PaperFilter:
    """Papers matching every clause (each an OR of items) and none of the excluded items. Made from
    a /subscribe query by paperboy.bot.subscriptions.paper_filter; a store turns it into its own
    full-text and SQL conditions."""
    clauses: tuple[tuple[FilterItem, ...], ...]
    excluded: tuple[FilterItem, ...] = ()
