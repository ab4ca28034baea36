"""The platform-neutral dispatcher: an Invocation in, a Reply out, by the command's spec."""
from __future__ import annotations

import logging
import zoneinfo
from functools import lru_cache

from paperboy.bot.clock import Clock, SystemClock
from paperboy.bot.commands.admission import BUSY, IN_PROGRESS, Admission, pending_limit
from paperboy.bot.commands.invocation import Invocation
from paperboy.bot.commands.spec import CommandSpec, CommandStore, Context
from paperboy.bot.commands.table import build_specs
from paperboy.bot.delivery.registry import delivery_kinds
from paperboy.bot.kinds import DeliveryKinds
from paperboy.bot.models import Paper, StoreUnavailable
from paperboy.bot.replies import Error, Reply
from paperboy.bot.search.match import LookupsBusy, Ranker
from paperboy.bot.search.matcher import Matcher
from paperboy.bot.search.semantic import SemanticSearch
from paperboy.bot.sources import Sources
from paperboy.bot.syntax import MAX_ARGUMENT_CHARS

log = logging.getLogger(__name__)


class Core:
    def __init__(self, context: Context, admission: Admission | None = None):
        self.context = context
        self.admission = admission or Admission(IN_PROGRESS)
        self._by_name: dict[str, CommandSpec] = {}
        for spec in context.commands:
            self._by_name[spec.name] = spec
            if spec.short_name:
                self._by_name[spec.short_name] = spec

    @property
    def specs(self) -> tuple[CommandSpec, ...]:
        return self.context.commands

    async def paper_with_key(self, key: str) -> Paper | None:
        """The stored paper a card's button names by its key (None when it is gone)."""
        papers = self.context.papers
        return await papers.run(papers.get_paper, key)

    @property
    def clock(self) -> Clock:
        return self.context.clock

    @property
    def matcher(self) -> Matcher:
        return self.context.matcher

    def spec(self, name: str) -> CommandSpec | None:
        return self._by_name.get(name.lstrip("/").lower())

    async def dispatch(self, inv: Invocation) -> Reply:
        """The command's reply; BUSY at once when the core already works on as much as it takes."""
        with self.admission.slot() as admitted:
            return await self._dispatch(inv) if admitted else BUSY

    async def _dispatch(self, inv: Invocation) -> Reply:
        spec = self.spec(inv.command)
        if spec is None:
            return Error(f"Unknown command “{inv.command[:40]}”. Try {inv.syntax.say('help')}.")
        longest = max([len(inv.args), *(len(str(v)) for v in inv.options.values())])
        if longest > MAX_ARGUMENT_CHARS:
            return Error(f"That is {longest:,} characters; {inv.syntax.say(spec.name)} takes at most "
                         f"{MAX_ARGUMENT_CHARS}.")
        runs = spec.subcommand_for(inv) or spec
        if runs.needs_configure and not inv.can_configure:
            asked = f"{spec.name} {runs.name}" if runs is not spec else spec.name
            return Error(f"Only people who can manage this channel can use {inv.syntax.say(asked)}.")
        try:
            return await runs.handler(self.context, inv)
        except LookupsBusy:
            return BUSY
        except StoreUnavailable as exc:
            log.warning("command /%s: %s", spec.name, exc)
            return Error("The database is unavailable right now; try again in a minute.")
        except Exception:  # the bot keeps running whatever one command does
            log.exception("command /%s failed", spec.name)
            return Error("Something went wrong on paperboy's side while answering that. "
                         "It has been logged; please try again in a moment.")

    async def autocomplete(self, kind: str, partial: str, inv: Invocation) -> list[tuple[str, str]]:
        """(label, value) suggestions while the user types; at most 25. None when the core is busy:
        a suggestion cannot wait, and an answer of none is better than a late one."""
        with self.admission.slot() as admitted:
            return await self._autocomplete(kind, partial[:MAX_ARGUMENT_CHARS], inv) if admitted else []

    async def _autocomplete(self, kind: str, partial: str, inv: Invocation) -> list[tuple[str, str]]:
        try:
            if kind == "titles":
                papers = await self.matcher.suggest(partial, 25) if partial.strip() else []
                return [(_label(p.title, p.arxiv_id), p.arxiv_id or p.title[:100]) for p in papers][:25]
            if kind == "subscriptions":
                subs = await self.context.subscriptions.run(self.context.subscriptions.subscriptions_of, inv.place.platform, inv.place.workspace,
                                            inv.user)
                found = [s for s in subs if partial.lower().lstrip("#") in f"{s.id} {s.query}".lower()]
                return [(_label(f"#{s.id} {s.query}", None), str(s.id)) for s in found][:25]
            if kind == "timezones":
                needle = partial.lower().replace(" ", "_")
                zones = [z for z in _time_zones() if needle in z.lower()]
                return [(z, z) for z in zones][:25]
        except LookupsBusy:
            pass  # a suggestion cannot wait: none
        except Exception:
            log.exception("autocomplete %s failed", kind)
        return []


def _label(text: str, arxiv_id: str | None) -> str:
    """Discord and Slack cap choice labels at 100 characters."""
    suffix = f" ({arxiv_id})" if arxiv_id else ""
    room = 100 - len(suffix)
    if len(text) > room:
        text = text[: room - 1].rstrip() + "…"
    return text + suffix


@lru_cache(maxsize=1)
def _time_zones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def build_core(store: CommandStore, *, clock: Clock | None = None, sources: Sources | None = None,
               semantic: SemanticSearch | None = None, admission: Admission | None = None,
               kinds: DeliveryKinds | None = None, ranker: Ranker | None = None, lookup_workers: int = 0) -> Core:
    """A Core built whole from what it needs (nothing is set on it afterwards): `sources` lets
    lookups reach the paper sources; `semantic` (the semantic extra, see semantic.open_semantic)
    lets descriptions find their paper; `admission` bounds the interactions taken on at once
    (default: IN_PROGRESS, no lag bound); `kinds`: the outbox's kinds of posts (default: every
    producer's); `ranker` ranks lookups elsewhere (the lookup worker processes, `lookup_workers`
    of them), and the lookups waiting to be ranked are bounded by pending_limit(lookup_workers)."""
    matcher = Matcher(
        store,
        fetch_by_id=sources.fetch_by_id if sources is not None else None,
        search_remote=sources.search if sources is not None else None,
        sources_off=sources is not None and sources.offline,
        semantic=semantic,
        ranker=ranker,
        max_pending=pending_limit(lookup_workers),
    )
    context = Context.over(store, clock or SystemClock(), matcher, build_specs(), kinds=kinds or delivery_kinds())
    return Core(context, admission)
