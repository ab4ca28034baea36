"""Replies as Discord messages: plain payload data (content, embed dicts, link buttons).

Every piece of outside text goes through `escape` (or `plain` where Discord shows no
markdown), is shortened before it is escaped, and is packed in whole lines, so nothing is
cut mid-word, mid-link or mid-markdown and every message keeps inside Discord's limits."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from paperboy.adapters.discord import limits
from paperboy.adapters.discord.text import escape, escaped_within, masked_link, one_line, plain, safe_url, trim_words
from paperboy.bot.commands.card_actions import card_buttons
from paperboy.bot.models import Paper
from paperboy.bot.replies import Attachment, Card, Chart, Document, Error, PaperList, Reply, Scored
from paperboy.bot.text import readable_math

COLOR = 0xF5A623
SUMMARY_CHARS = 420
AUTHORS_SHOWN = 5
LIST_TITLE_CHARS = 180  # one paper's title inside a list line
ALTERNATIVES_SHOWN = 4
# Room kept free under the hard limits: a continuation embed's header, rounding in counts.
_DESCRIPTION_BUDGET = limits.EMBED_DESCRIPTION - 96
_MESSAGE_EMBED_BUDGET = limits.EMBED_TOTAL - 200
# Room for a leading "<@id> " when an alert mentions its subscriber.
_CONTENT_BUDGET = limits.MESSAGE_CHARS - 40


@dataclass(frozen=True)
class Outgoing:
    """One Discord message: content, embeds (API dicts), link buttons (label, url), action buttons
    (label, custom_id) and attached files."""
    content: str = ""
    embeds: tuple[dict[str, Any], ...] = ()
    buttons: tuple[tuple[str, str], ...] = ()
    actions: tuple[tuple[str, str], ...] = ()
    files: tuple[Attachment, ...] = ()

    def problems(self) -> list[str]:
        return limits.problems(self.content, list(self.embeds), list(self.buttons), list(self.actions))


def render(reply: Reply) -> list[Outgoing]:
    """A reply as one or more messages, in the order they are to be sent."""
    if isinstance(reply, Card):
        return [render_card(reply)]
    if isinstance(reply, PaperList):
        return render_list(reply)
    if isinstance(reply, Chart):
        return [render_chart(reply)]
    if isinstance(reply, Document):
        return render_document(reply)
    if isinstance(reply, Error):
        return render_text("⚠️ " + reply.text)
    return render_text(reply.text)


# ---- a paper card ----------------------------------------------------------------------------

def render_card(card: Card) -> Outgoing:
    paper = card.paper
    embed: dict[str, Any] = {"type": "rich", "color": COLOR,
                             "title": escaped_within(paper.shown_title, limits.EMBED_TITLE) or "Untitled"}
    url = safe_url(paper.url, 2048)
    if url:
        embed["url"] = url
    summary = escaped_within(readable_math(paper.ai_summary or paper.abstract or ""), SUMMARY_CHARS)
    if summary:
        embed["description"] = summary
    fields = []
    if paper.authors:
        fields.append({"name": "Authors", "value": authors_line(paper.authors, limits.FIELD_VALUE), "inline": False})
    if paper.published:
        fields.append({"name": "Published", "value": escape(paper.published[:10]), "inline": True})
    if paper.upvotes is not None:
        fields.append({"name": "Upvotes", "value": f"▲ {paper.upvotes:,}", "inline": True})
    if card.alternatives:
        lines = [_list_line(n, s, with_authors=False) for n, s in enumerate(card.alternatives[:ALTERNATIVES_SHOWN], 1)]
        value = _join_within(lines, limits.FIELD_VALUE)
        if value:
            fields.append({"name": "Also close", "value": value, "inline": False})
    if fields:
        embed["fields"] = fields
    footer = _footer(paper)
    if footer:
        embed["footer"] = {"text": footer}
    content = escaped_within(card.note, _CONTENT_BUDGET) if card.note else ""
    return Outgoing(content=content, embeds=(embed,), buttons=link_buttons(paper),
                    actions=tuple(card_buttons(paper.key)))


def authors_line(authors: tuple[str, ...], limit: int) -> str:
    """'A, B, C, D, E +12 more', escaped, at most `limit` characters."""
    names = [escape(one_line(a)) for a in authors if one_line(a)]
    shown: list[str] = []
    for name in names[:AUTHORS_SHOWN]:
        rest = len(names) - len(shown) - 1
        suffix = f" +{rest} more" if rest else ""
        if len(", ".join([*shown, name])) + len(suffix) > limit:
            break
        shown.append(name)
    if not shown and names:
        shown.append(escaped_within(authors[0], limit - 16))
    more = len(names) - len(shown)
    return ", ".join(shown) + (f" +{more} more" if more else "")


def link_buttons(paper: Paper) -> tuple[tuple[str, str], ...]:
    buttons = []
    for label, url in paper.links():
        safe = safe_url(url, limits.BUTTON_URL)
        if safe:
            buttons.append((label[: limits.BUTTON_LABEL], safe))
    return tuple(buttons[: limits.BUTTONS_PER_ROW])


def _footer(paper: Paper) -> str:
    parts = []
    if paper.arxiv_id:
        parts.append(f"arXiv:{paper.arxiv_id}")
    elif paper.venue:
        parts.append(paper.venue)
    if paper.categories:
        parts.append(", ".join(paper.categories[:4]))
    return plain(trim_words(one_line(" · ".join(parts)), 200))


# ---- a list of papers ------------------------------------------------------------------------

def render_list(paper_list: PaperList) -> list[Outgoing]:
    """The numbered list in as few messages as the limits allow, never splitting a line."""
    title = escaped_within(paper_list.title, limits.EMBED_TITLE)
    footer = plain(trim_words(one_line(paper_list.note), 1000)) if paper_list.note else ""
    lines = [_list_line(n if paper_list.numbered else None, item) for n, item in enumerate(paper_list.items, 1)]
    if not lines:
        lines = ["Nothing to show."]
    descriptions = _pack(lines, _DESCRIPTION_BUDGET)
    embeds = []
    for index, description in enumerate(descriptions):
        embed: dict[str, Any] = {"type": "rich", "color": COLOR, "description": description}
        if index == 0 and title:
            embed["title"] = title
        embeds.append(embed)
    if footer:
        embeds[-1]["footer"] = {"text": footer}
    return _messages_of(embeds)


def _list_line(number: int | None, item: Scored, *, with_authors: bool = True) -> str:
    paper = item.paper
    head = f"**{number}.**" if number is not None else "•"
    line = f"{head} {masked_link(escaped_within(paper.shown_title, LIST_TITLE_CHARS) or 'Untitled', paper.url)}"
    if paper.upvotes is not None:
        line += f" · ▲ {paper.upvotes:,}"
    if with_authors and paper.authors:
        first = escaped_within(paper.authors[0], 40)
        line += f" · {first}{' et al.' if len(paper.authors) > 1 else ''}"
    return line


def _pack(lines: list[str], budget: int) -> list[str]:
    """Whole lines into chunks of at most `budget` characters."""
    chunks: list[list[str]] = [[]]
    size = 0
    for line in lines:
        added = len(line) + (1 if chunks[-1] else 0)
        if chunks[-1] and size + added > budget:
            chunks.append([])
            size, added = 0, len(line)
        chunks[-1].append(line)
        size += added
    return ["\n".join(chunk) for chunk in chunks if chunk]


def _join_within(lines: list[str], limit: int) -> str:
    kept: list[str] = []
    for line in lines:
        if len("\n".join([*kept, line])) > limit:
            break
        kept.append(line)
    return "\n".join(kept)


def _messages_of(embeds: list[dict[str, Any]]) -> list[Outgoing]:
    messages: list[list[dict[str, Any]]] = [[]]
    total = 0
    for embed in embeds:
        size = limits.embed_chars(embed)
        full = len(messages[-1]) >= limits.EMBEDS_PER_MESSAGE or total + size > _MESSAGE_EMBED_BUDGET
        if messages[-1] and full:
            messages.append([])
            total = 0
        messages[-1].append(embed)
        total += size
    return [Outgoing(embeds=tuple(group)) for group in messages if group]


# ---- a chart and a document -------------------------------------------------------------------

def render_chart(chart: Chart) -> Outgoing:
    """The picture inside an embed, the most upvoted matching papers under it."""
    embed: dict[str, Any] = {"type": "rich", "color": COLOR, "title": escaped_within(chart.title, limits.EMBED_TITLE),
                             "image": {"url": f"attachment://{chart.image.filename}"}}
    lines = [_list_line(n, item) for n, item in enumerate(chart.top, 1)]
    if lines:
        embed["description"] = _join_within(["**Most upvoted**", *lines], _DESCRIPTION_BUDGET)
    if chart.note:
        embed["footer"] = {"text": plain(trim_words(one_line(chart.note), limits.FOOTER_TEXT))}
    return Outgoing(embeds=(embed,), files=(chart.image,))


def render_document(document: Document) -> list[Outgoing]:
    """In a code block when it fits in one message, else attached as a file."""
    title = escaped_within(document.title, 200)
    block = f"{title}\n```\n{document.text.rstrip()}\n```"
    if "```" not in document.text and len(block) <= _CONTENT_BUDGET:
        return [Outgoing(content=block)]
    attached = Attachment(document.filename, document.text.encode(), document.mime, alt=document.title)
    return [Outgoing(content=f"{title} (attached: {plain(document.filename)})", files=(attached,))]


# ---- plain text (notices and errors) ----------------------------------------------------------

def render_text(text: str) -> list[Outgoing]:
    lines = [escaped_within(line, _CONTENT_BUDGET) if len(escape(line)) > _CONTENT_BUDGET
             else escape(line) for line in (text or "").splitlines()] or [""]
    chunks = _pack(lines, _CONTENT_BUDGET)
    return [Outgoing(content=chunk or "\u200b") for chunk in chunks] or [Outgoing(content="\u200b")]


def thread_name(number: int, paper: Paper) -> str:
    """A thread's name: plain text, at most 100 characters, cut at a word."""
    prefix = f"{number}. "
    budget = limits.THREAD_NAME - len(prefix)
    while True:
        name = plain(prefix + trim_words(one_line(paper.shown_title) or "Untitled", budget))
        if len(name) <= limits.THREAD_NAME:
            return name
        budget -= len(name) - limits.THREAD_NAME
