"""What the core asks of a store: the one interface every backend implements.

The core holds a `Store` and never knows which backend it is; `paperboy.storage` has the
implementations (SQLite, the embedded default, and PostgreSQL, shared by processes on many
machines) and is the only place that speaks SQL. Times are ISO UTC text as `paperboy.bot.clock.iso`
writes them. Any call may raise paperboy.bot.models.StoreUnavailable when the database cannot be
reached for a while (nothing was half written); callers answer or retry, never crash.

The methods are plain calls. Async code never makes them on the event loop: it hands the work to
`run`, which does it on the store's own thread, so a write waiting for another process's lock,
or a search over many rows, never holds up the loop (and every interaction waiting on it).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar

T = TypeVar("T")

from paperboy.bot.models import (
    ChannelConfig,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Named,
    Notify,
    Paper,
    PaperFilter,
    Subscription,
    Target,
    UpsertResult,
)


class Store(Protocol):
    async def run(self, work: Callable[..., T], *args: Any) -> T:
        """`work(*args)`, sync code that uses this store, done on the store's own thread."""

    # ---- papers -----------------------------------------------------------------------------

    def upsert_papers(self, papers: Iterable[Paper], seen_at: str, *, news: bool = False) -> UpsertResult:
        """Insert or refresh papers in one transaction; reports which keys are new. An incoming
        empty value never erases a stored one, so a thin record (an arXiv listing) keeps what a
        richer one (Hugging Face) stored. New papers that are `news` (an ingest's) wait for
        subscription matching (unmatched_papers); others (a lookup's, a file's) never alert."""

    def bulk_rows(self, papers: list[Paper], seen_at: str) -> list[tuple]:
        """Papers as the rows bulk_upsert_rows takes. Separate so a caller can build the next
        batch's rows on one thread while another thread stores the previous batch."""

    def bulk_upsert_rows(self, rows: list[tuple]) -> UpsertResult:
        """upsert_papers for large batches (file import), from bulk_rows: the same rules and result.
        What it stores is catalogue, never news."""

    def unmatched_papers(self, limit: int = 2000) -> list[Paper]:
        """News not yet matched against the subscriptions, oldest first."""

    def mark_withdrawn(self, arxiv_ids: Iterable[str]) -> int:
        """Papers arXiv deleted: kept, never offered as an answer, listed or alerted again. Returns
        how many were newly marked."""

    def record_matches(self, paper_keys: Iterable[str], alerts: Iterable[tuple[str, DeliveryKind, Target, dict[str, Any]]],
                       now: str) -> int:
        """In one transaction: the alerts enqueued (as enqueue_deliveries) and the papers marked
        matched. Returns how many alerts were added."""

    def get_paper(self, key: str) -> Paper | None: ...

    def get_papers(self, keys: list[str]) -> dict[str, Paper]: ...

    def get_papers_by_rowid(self, rowids: list[int]) -> dict[int, Paper]: ...

    def fts_search(self, match_expression: str, limit: int = 50,
                   weights: tuple[float, float, float] = (10.0, 1.0, 2.0)) -> list[tuple[int, float]]:
        """(rowid, bm25) best first over title, abstract and authors, weighted in that order. The
        expression must already be safe full-text syntax: callers build it with
        paperboy.bot.search.fts, never from raw user text."""

    def fts_newest(self, match_expression: str, limit: int) -> list[int]:
        """The rowids of the `limit` papers stored last that match, unranked: a sample of how a
        word is used now, cheap however many papers hold it."""

    def fts_count(self, match_expression: str, up_to: int) -> int:
        """How many papers the expression matches, counted up to `up_to` (nothing is ranked, so
        this is cheap however many match)."""

    def fts_counts(self, match_expressions: list[str], up_to: int) -> list[int]:
        """fts_count of each expression, in one call (one statement per hundred): how many papers
        hold each of a paper's words, the rarity its distinctive terms are weighed by."""

    def iter_titles(self) -> Iterator[tuple[int, str]]:
        """(rowid, normalized title) for every paper, in rowid order: what in-memory title indexes
        are built from."""

    def titles_since(self, rowid: int) -> list[tuple[int, str]]:
        """iter_titles for the papers stored after `rowid`."""

    def titles_of(self, rowids: list[int]) -> dict[int, str]:
        """rowid -> normalized title, for those of `rowids` that are stored."""

    def side_file(self, suffix: str) -> Path | None:
        """Where a file derived from this database may be kept beside it (a saved index), or None
        for a database without a place on disk."""

    def title_changes_since(self, seq: int) -> tuple[int, list[tuple[int, str]]]:
        """Papers whose title changed after change number `seq`, as (rowid, normalized title) in the
        order they changed, with the number of the last change; seq 0 gives every change so far."""

    def papers_named(self, alias: str, limit: int = 50) -> list[Named]:
        """The papers holding a name (paperboy.bot.search.aliases: `alias` as alias_key makes it),
        strongest kind first, then earliest, at most `limit`; each row also counts the papers
        defining the name the same way and holding it at all. One indexed query."""

    def backfill_aliases(self, batch: int = 2000) -> int:
        """Mines the names of up to `batch` papers stored before names were kept (papers stored
        since get theirs as they are stored); returns how many papers it covered, 0 once none are left."""

    def aliases_backfill_left(self) -> int:
        """How many papers backfill_aliases has still to cover."""

    def count_papers(self) -> int: ...

    def max_rowid(self) -> int: ...

    # ---- sentence embeddings (the semantic extra) ------------------------------------------

    def papers_without_vectors(self, after_rowid: int, limit: int) -> list[tuple[int, str, str | None]]:
        """Up to `limit` papers after `after_rowid` with no stored vector yet, as (rowid, title,
        abstract), in rowid order."""

    def save_vectors(self, rows: list[tuple[int, bytes]]) -> None:
        """Stores (paper rowid, encoded vector) rows in one transaction, replacing older ones."""

    def vectors_written_after(self, seq: int, limit: int) -> list[tuple[int, int, bytes]]:
        """Up to `limit` stored vectors written after the one numbered `seq`, as (seq, paper rowid,
        vector) in the order written: a paper embedded again comes again, with a new number."""

    def vectors_of(self, rowids: list[int]) -> dict[int, bytes]:
        """The stored vectors of these papers, by rowid (those that have one)."""

    def count_vectors(self) -> int: ...

    def clear_vectors(self) -> None:
        """Forgets every stored vector (another model's vectors cannot be compared with this one's)."""

    # ---- daily lists ------------------------------------------------------------------------

    def record_daily_list(self, date: str, source: str, entries: list[tuple[str, int | None]]) -> None:
        """Replace the list for (date, source) with entries [(paper_key, upvotes)], best first."""

    def daily_list(self, date: str, source: str) -> list[tuple[Paper, int | None]]:
        """The papers of a recorded list in its order, each with the upvotes the list gave it
        (withdrawn papers left out)."""

    def daily_lists_between(self, source: str, first: str, last: str) -> list[tuple[Paper, int | None, str]]:
        """(paper, its upvotes on the list, list date) for every list dated first..last, oldest first."""

    def latest_daily_date(self, source: str, on_or_before: str) -> str | None: ...

    def papers_in_categories(self, categories: list[str], published_from: str, published_to: str,
                             limit: int = 200) -> list[Paper]:
        """Papers whose categories include any of these, published in [from, to], newest and most
        upvoted first; withdrawn ones left out."""

    def monthly_counts(self, paper_filter: PaperFilter, since_month: str, until_month: str) -> dict[str, int]:
        """How many papers match the filter, by month published ("YYYY-MM" -> count), from
        since_month to until_month inclusive; months without one are left out; withdrawn papers are
        not counted. One query, counted by the engine."""

    def most_upvoted(self, paper_filters: Sequence[PaperFilter], since_month: str, until_month: str,
                     limit: int = 3) -> list[Paper]:
        """The papers matching any of the filters published in those months, most upvoted first
        (then newest: papers without upvotes come last, newest first). One query."""

    def latest_published(self, on_or_before: str) -> str | None:
        """The newest publication date ("YYYY-MM-DD") not after `on_or_before`; None when no paper
        has one."""

    # ---- channels ---------------------------------------------------------------------------

    def configure_channel(self, platform: str, workspace: str, channel: str, now: str,
                          **settings: Any) -> ChannelConfig:
        """Creates the channel's settings on first use and changes the given ones (daily_time, tz,
        top_n, min_upvotes, filter, sources, thread_per_paper, enabled); ValueError for others."""

    def get_channel(self, platform: str, workspace: str, channel: str) -> ChannelConfig | None: ...

    def enabled_channels(self, platform: str | None = None) -> list[ChannelConfig]:
        """Channels with a daily post on and not paused."""

    def pause_channel(self, channel_id: int, reason: str) -> bool:
        """Stops a channel's daily post until it is configured again; False when already paused."""

    def channel_configured_at(self, channel_id: int) -> str | None:
        """When the channel's settings last changed: a daily post due before that moment belongs
        to the old settings, so the scheduler does not count it as missed."""

    # ---- subscriptions ----------------------------------------------------------------------

    def add_subscription(self, platform: str, workspace: str, owner: str, channel: str, notify: Notify,
                         query: str, now: str) -> Subscription:
        """A new subscription; ids are never reused, so an old alert never points at a new one."""

    def get_subscription(self, sub_id: int) -> Subscription | None: ...

    def remove_subscription(self, platform: str, workspace: str, owner: str, sub_id: int) -> bool:
        """Removes only the owner's own subscription; False when there is none with that id."""

    def subscriptions_of(self, platform: str, workspace: str, owner: str) -> list[Subscription]: ...

    def all_subscriptions(self) -> list[Subscription]: ...

    # ---- reading lists ----------------------------------------------------------------------

    def save_paper(self, platform: str, workspace: str, owner: str, paper_key: str, now: str) -> bool:
        """Adds a stored paper to the owner's reading list; False when it is there already."""

    def saved_papers(self, platform: str, workspace: str, owner: str) -> list[tuple[Paper, str]]:
        """The owner's reading list, newest first: (paper, when it was saved). Only the owner's."""

    def unsave_papers(self, platform: str, workspace: str, owner: str, paper_keys: Iterable[str] | None = None) -> int:
        """Takes these papers (None: every paper) off the owner's list; returns how many went."""

    # ---- deliveries (the outbox) ------------------------------------------------------------

    def enqueue_delivery(self, dedupe_key: str, kind: DeliveryKind, target: Target, payload: dict[str, Any],
                         now: str) -> bool:
        """Adds a pending delivery unless one with this key exists. True when added."""

    def enqueue_deliveries(self, rows: Iterable[tuple[str, DeliveryKind, Target, dict[str, Any]]],
                           now: str) -> int:
        """Many enqueue_delivery calls in one transaction: (dedupe_key, kind, target, payload) rows.
        Keys already present are left alone. Returns how many were added."""

    def record_skipped(self, dedupe_key: str, kind: DeliveryKind, target: Target, note: str, now: str) -> bool:
        """Marks a delivery key as settled with nothing to send (an empty day). True when added."""

    def has_delivery(self, dedupe_key: str) -> bool: ...

    def get_delivery(self, dedupe_key: str) -> Delivery | None: ...

    def claim_due_deliveries(self, now: str, platforms: Iterable[str], limit: int = 50, *, owner: str = "",
                             lease_seconds: float = 60) -> list[Delivery]:
        """Takes deliveries for these platforms, oldest due first: pending ones due by `now`, and
        ones whose lease expired (a process died or stalled while sending them; their note says so).
        Each is marked 'sending', leased to `owner` for `lease_seconds`, in one atomic step: two
        processes claiming at once never both get a delivery."""

    def renew_leases(self, delivery_ids: Iterable[int], owner: str, now: str, lease_seconds: float = 60) -> int:
        """Extends the leases `owner` still holds; returns how many it still held."""

    def release_leases(self, delivery_ids: Iterable[int], owner: str, now: str) -> int:
        """Hands back deliveries `owner` holds, unsent, as pending and due at once (a stop cut their
        sends off): any process may send them without waiting for the lease to run out."""

    def mark_bundled(self, delivery_ids: Iterable[int], bundle: str, *, owner: str) -> int:
        """Records, before they are sent, that these deliveries go out as one message under the key
        `bundle`, if `owner` still holds them all; returns how many it holds."""

    def mark_delivered(self, delivery_ids: int | Iterable[int], now: str, external_id: str | None = None,
                       note: str | None = None, *, owner: str | None = None) -> int:
        """One delivery, or several sent as one message (bundled alerts), marked in one transaction.
        With `owner`, only deliveries still leased to it change. Returns how many changed."""

    def mark_retry(self, delivery_ids: int | Iterable[int], error: str, retry_at: str, *,
                   owner: str | None = None) -> int:
        """Back to pending, due at `retry_at`, with the error kept."""

    def mark_failed(self, delivery_ids: int | Iterable[int], error: str, now: str, *,
                    owner: str | None = None) -> int:
        """Permanent failure (the target no longer exists): kept for the record, never retried."""

    def latest_outcomes(self, key_prefix: str, limit: int) -> list[str]:
        """'sent' or 'failed' for the newest settled deliveries whose key starts with key_prefix,
        newest first, at most `limit`."""

    def cancel_deliveries(self, key_prefix: str, now: str, reason: str) -> int:
        """Deliveries whose key starts with `key_prefix` that nobody is sending (pending, or left by
        a dead process) become 'cancelled' with the reason, kept for the record; returns how many."""

    def deliveries(self, status: DeliveryStatus | None = None, kind: DeliveryKind | None = None) -> list[Delivery]:
        ...

    def latest_delivery(self, key_prefix: str,
                        statuses: Iterable[DeliveryStatus] = ("pending", "sending", "sent")) -> Delivery | None:
        """The most recently enqueued delivery whose key starts with `key_prefix` and whose status
        is one of `statuses`: e.g. the last daily list queued for a channel ("daily:7:")."""

    # ---- leases and shared pacing -----------------------------------------------------------

    def take_lease(self, name: str, owner: str, now: str, seconds: float) -> bool:
        """Takes or renews the lease `name` for `owner` until `seconds` after `now`, unless another
        owner holds it unexpired; says whether `owner` holds it now."""

    def release_lease(self, name: str, owner: str) -> None:
        """Gives the lease up, if `owner` holds it, so another process need not wait for it to expire."""

    def lease_holder(self, name: str, now: str) -> str | None: ...

    def reserve_slot(self, name: str, now: float, interval: float) -> float:
        """The next moment (epoch seconds, not before `now`) at which the holder may act, each
        reservation `interval` after the previous one, across every process on this store."""

    # ---- small state (last ingest, cursors) -------------------------------------------------

    def get_state(self, name: str) -> str | None: ...

    def set_state(self, name: str, value: str) -> None: ...

    def papers_by_source(self) -> dict[str, int]:
        """How many papers each source brought (hf, arxiv, file, ...), most first."""

    def states_with_prefix(self, prefix: str) -> dict[str, str]:
        """Every state whose name begins with `prefix`, by name."""

    def delete_state(self, name: str) -> None: ...

    def forget_payloads(self, settled_before: str) -> int:
        """Settled deliveries (sent, failed, cancelled) older than `settled_before` drop their payload
        (a daily post keeps which list it was); the row and its key stay, so a duplicate is still
        refused. Returns how many were emptied."""

    def stats(self, now: str | None = None) -> dict[str, Any]:
        """What the database holds, by name: papers (and news not yet matched), daily lists,
        channels (and paused ones), subscriptions, deliveries pending, sending (and the oldest
        lease), sent, failed (and failed in the day before `now`)."""

    def close(self) -> None: ...
