"""Replies rendered as Block Kit messages, inside Slack's limits, with a plain-text fallback.

Paper text (titles, abstracts, authors) only ever goes into plain_text objects and is escaped, so
a title such as "<!channel> *bold*" shows literally: it can neither ping anyone nor start formatting.
Links are buttons, never <url|label> markup built from paper text."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from paperboy.adapters.slack.text import chunks, escape, fit, one_line, safe_url
from paperboy.bot.commands.card_actions import CARD_ACTIONS, action_value
from paperboy.bot.models import Paper
from paperboy.bot.replies import Card, Chart, Document, Error, PaperList, Reply, Scored
from paperboy.bot.serialize import reply_text

MAX_BLOCKS = 50
MAX_HEADER = 150
MAX_SECTION = 3000
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_CONTEXT_ELEMENTS = 10
MAX_FALLBACK = 3000
CARD_SUMMARY = 700
LIST_ITEM_TEXT = 600
SHARE_ACTION = "paperboy_share"
CARD_ACTION = "paperboy_card_"  # + the action's name: paperboy_card_save, paperboy_card_bibtex, ...

Block = dict[str, Any]


@dataclass(frozen=True)
class SlackMessage:
    """What chat.postMessage, chat.postEphemeral, respond() and ack() take: text plus blocks."""
    text: str
    blocks: list[Block] = field(default_factory=list)

    def as_kwargs(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}


def _plain(text: str, limit: int = MAX_SECTION) -> dict[str, Any]:
    return {"type": "plain_text", "text": fit(text, limit) or " ", "emoji": False}


def _mrkdwn(text: str) -> dict[str, Any]:
    """Only for text paperboy writes itself, with anything from outside already escaped."""
    return {"type": "mrkdwn", "text": text}


def _header(text: str) -> Block:
    return {"type": "header", "text": _plain(one_line(text), MAX_HEADER)}


def _section(text: str) -> Block:
    return {"type": "section", "text": _plain(text, MAX_SECTION)}


def _context(*texts: str) -> Block:
    return {"type": "context",
            "elements": [_plain(t, MAX_SECTION) for t in texts if t][:MAX_CONTEXT_ELEMENTS]}


def _link_button(label: str, url: str, action_id: str) -> Block | None:
    url = safe_url(url)
    if url is None:
        return None
    return {"type": "button", "text": _plain(label, MAX_BUTTON_TEXT), "url": url, "action_id": action_id}


def _authors(paper: Paper, shown: int = 8) -> str:
    names = [one_line(a) for a in paper.authors if one_line(a)]
    if not names:
        return ""
    text = ", ".join(names[:shown])
    return text + (f" +{len(names) - shown} more" if len(names) > shown else "")


def _facts(paper: Paper, upvotes: int | None = None) -> str:
    parts = []
    if paper.published:
        parts.append(paper.published)
    if paper.arxiv_id:
        parts.append(f"arXiv:{paper.arxiv_id}")
    elif paper.venue:
        parts.append(one_line(paper.venue))
    votes = upvotes if upvotes is not None else paper.upvotes
    if votes:
        parts.append(f"▲ {votes} upvote{'s' if votes != 1 else ''}")
    if paper.github_stars:
        parts.append(f"★ {paper.github_stars} stars")
    return " · ".join(parts)


def share_value(paper: Paper) -> str:
    """What the "Post to channel" button carries: enough to find the paper again, nothing more."""
    return json.dumps({"key": paper.key}, ensure_ascii=False)[:MAX_BUTTON_VALUE]


def paper_key_from_share(value: str) -> str | None:
    try:
        key = json.loads(value).get("key")
    except (ValueError, AttributeError):
        return None
    return key if isinstance(key, str) and key else None


def card_blocks(card: Card, *, share: bool = False, shared_by: str | None = None,
                with_alternatives: bool = True) -> list[Block]:
    paper = card.paper
    blocks: list[Block] = []
    if card.note:
        blocks.append(_context(card.note))
    blocks.append(_header(paper.shown_title))
    summary = paper.summary(CARD_SUMMARY)
    if summary:
        blocks.append(_section(summary))
    meta = [text for text in (_authors(paper), _facts(paper)) if text]
    if meta:
        blocks.append(_context(*meta))
    buttons = [b for b in (_link_button(label, url, f"paperboy_link_{n}")
                           for n, (label, url) in enumerate(paper.links())) if b]
    if share:
        buttons.append({"type": "button", "text": _plain("Post to channel", MAX_BUTTON_TEXT),
                        "style": "primary", "action_id": SHARE_ACTION, "value": share_value(paper)})
    for action in CARD_ACTIONS:
        value = action_value(action, paper.key)
        if value is not None:
            buttons.append({"type": "button", "text": _plain(action.label, MAX_BUTTON_TEXT),
                            "action_id": CARD_ACTION + action.name, "value": value})
    if buttons:
        blocks.append({"type": "actions", "block_id": "paperboy_card_actions", "elements": buttons[:25]})
    if shared_by:
        blocks.append({"type": "context", "elements": [_mrkdwn(f"Shared by <@{escape(shared_by)}>")]})
    if with_alternatives and card.alternatives:
        lines = [f"{n}. {one_line(s.paper.shown_title)}" + (f" (arXiv:{s.paper.arxiv_id})" if s.paper.arxiv_id else "")
                 for n, s in enumerate(card.alternatives, 1)]
        blocks.append({"type": "divider"})
        blocks.append(_context("Also close:\n" + "\n".join(lines)))
    return blocks


def _list_item(number: int | None, item: Scored) -> Block:
    paper = item.paper
    lead = f"{number}. " if number is not None else "• "
    lines = [lead + one_line(paper.shown_title)]
    details = " · ".join(t for t in (_authors(paper, 3), _facts(paper)) if t)
    if details:
        lines.append(details)
    block: Block = {"type": "section", "text": _plain("\n".join(lines), LIST_ITEM_TEXT)}
    url = safe_url(paper.url)
    if url:
        block["accessory"] = {"type": "button", "text": _plain("Open", MAX_BUTTON_TEXT), "url": url,
                              "action_id": f"paperboy_open_{number or 0}"}
    return block


def list_blocks(reply: PaperList) -> list[Block]:
    blocks: list[Block] = [_header(reply.title)]
    if reply.note:
        blocks.append(_context(reply.note))
    room = MAX_BLOCKS - len(blocks) - 1  # one left for "and N more"
    items = list(reply.items)
    for number, item in enumerate(items[:room], 1):
        blocks.append(_list_item(number if reply.numbered else None, item))
    if len(items) > room:
        blocks.append(_context(f"…and {len(items) - room} more."))
    return blocks


def text_blocks(text: str, *, warning: bool = False) -> list[Block]:
    pieces = chunks(text, MAX_SECTION - 4) or [" "]
    if warning:
        pieces[0] = "⚠️ " + pieces[0]
    blocks = [{"type": "section", "text": {"type": "plain_text", "text": piece, "emoji": True}}
              for piece in pieces[:MAX_BLOCKS]]
    return blocks


def chart_blocks(chart: Chart) -> list[Block]:
    """What goes with the uploaded picture: the numbers and the most upvoted matching papers."""
    blocks: list[Block] = [_header(chart.title)]
    if chart.note:
        blocks.append(_context(chart.note))
    if chart.top:
        blocks.append(_context("Most upvoted:"))
        blocks += [_list_item(n, item) for n, item in enumerate(chart.top, 1)]
    return blocks


def document_fits(document: Document) -> bool:
    return "```" not in document.text and len(escape(document.text)) <= MAX_SECTION - 10


def document_blocks(document: Document) -> list[Block]:
    """A short document in a code block (escaped, so it formats and pings nothing), else a pointer
    to the file it is sent as."""
    if document_fits(document):
        return [_context(document.title), {"type": "section", "text": _mrkdwn(f"```{escape(document.text)}```")}]
    return text_blocks(f"{document.title}: sent to you as the file {document.filename} in your direct messages "
                       "with paperboy.")


def fallback_text(reply: Reply) -> str:
    """The notification text: escaped, so it pings no one, and short enough for any client."""
    return fit(reply_text(reply), MAX_FALLBACK) or "paperboy"


def render(reply: Reply, *, share: bool = False, shared_by: str | None = None) -> SlackMessage:
    """A reply as a Slack message. `share` adds the "Post to channel" button to a card."""
    if isinstance(reply, Card):
        blocks = card_blocks(reply, share=share, shared_by=shared_by)
    elif isinstance(reply, PaperList):
        blocks = list_blocks(reply)
    elif isinstance(reply, Chart):
        blocks = chart_blocks(reply)
    elif isinstance(reply, Document):
        blocks = document_blocks(reply)
    elif isinstance(reply, Error):
        blocks = text_blocks(reply.text, warning=True)
    else:
        blocks = text_blocks(reply.text)
    return SlackMessage(fallback_text(reply), blocks[:MAX_BLOCKS])


def unfurl_blocks(card: Card) -> list[Block]:
    """A card for chat.unfurl: the same, without alternatives (the link named one paper)."""
    return card_blocks(card, with_alternatives=False)
