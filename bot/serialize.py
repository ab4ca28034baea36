"""Replies to and from JSON: the outbox stores them, `paperboy ask --json` prints them."""
from __future__ import annotations

import base64
import dataclasses
from typing import Any

from paperboy.bot.models import Paper
from paperboy.bot.replies import (
    Attachment,
    Card,
    Chart,
    Document,
    Error,
    Notice,
    PaperList,
    Reply,
    Scored,
    Series,
    found_something,
    reply_kind,
)


def paper_to_dict(paper: Paper) -> dict[str, Any]:
    data = dataclasses.asdict(paper)
    data["authors"] = list(paper.authors)
    data["categories"] = list(paper.categories)
    data["ai_keywords"] = list(paper.ai_keywords)
    return data


def paper_from_dict(data: dict[str, Any]) -> Paper:
    fields = {f.name for f in dataclasses.fields(Paper)}
    values = {k: v for k, v in data.items() if k in fields}
    for name in ("authors", "categories", "ai_keywords"):
        values[name] = tuple(values.get(name) or ())
    return Paper(**values)


def _scored(items) -> list[dict[str, Any]]:
    return [{"paper": paper_to_dict(s.paper), "score": s.score} for s in items]


def _unscored(items) -> tuple[Scored, ...]:
    return tuple(Scored(paper_from_dict(i["paper"]), i["score"]) for i in items)


def reply_to_dict(reply: Reply) -> dict[str, Any]:
    kind = reply_kind(reply)
    if isinstance(reply, Card):
        data = {"kind": kind, "paper": paper_to_dict(reply.paper), "score": reply.score,
                "alternatives": _scored(reply.alternatives), "note": reply.note}
    elif isinstance(reply, PaperList):
        data = {"kind": kind, "title": reply.title, "items": _scored(reply.items),
                "note": reply.note, "numbered": reply.numbered}
    elif isinstance(reply, Chart):
        image = reply.image
        data = {"kind": kind, "title": reply.title,
                "image": {"filename": image.filename, "mime": image.mime, "alt": image.alt,
                          "data": base64.b64encode(image.data).decode("ascii")},
                "series": [{"label": s.label, "months": list(s.months), "counts": list(s.counts)}
                           for s in reply.series],
                "partial_month": reply.partial_month, "top": _scored(reply.top), "note": reply.note}
    elif isinstance(reply, Document):
        data = {"kind": kind, "title": reply.title, "text": reply.text, "filename": reply.filename,
                "mime": reply.mime, "ephemeral": reply.ephemeral}
    elif isinstance(reply, Notice):
        data = {"kind": kind, "text": reply.text, "ephemeral": reply.ephemeral}
        if reply.no_match:
            data["no_match"] = True
    else:
        data = {"kind": kind, "text": reply.text}
    if getattr(reply, "sources", None):
        data["sources"] = reply.sources  # type: ignore[union-attr]
    return data


def reply_from_dict(data: dict[str, Any]) -> Reply:
    kind = data["kind"]
    sources = data.get("sources")
    if kind == "card":
        return Card(paper_from_dict(data["paper"]), data.get("score"),
                    _unscored(data.get("alternatives", ())), data.get("note"))
    if kind == "list":
        return PaperList(data["title"], _unscored(data.get("items", ())), data.get("note"),
                         data.get("numbered", True), sources)
    if kind == "chart":
        image = data["image"]
        return Chart(data["title"],
                     Attachment(image["filename"], base64.b64decode(image["data"]), image["mime"], image.get("alt", "")),
                     tuple(Series(s["label"], tuple(s["months"]), tuple(s["counts"])) for s in data.get("series", ())),
                     data.get("partial_month"), _unscored(data.get("top", ())), data.get("note"))
    if kind == "document":
        return Document(data["title"], data["text"], data["filename"], data.get("mime", "text/plain"),
                        data.get("ephemeral", True))
    if kind == "notice":
        return Notice(data["text"], data.get("ephemeral", False), data.get("no_match", False), sources)
    return Error(data["text"], sources)


def reply_text(reply: Reply) -> str:
    """A plain-text rendering: notification fallbacks, logs, --json's "text"."""
    if isinstance(reply, Card):
        p = reply.paper
        lines = [p.shown_title]
        if p.authors:
            lines.append(", ".join(p.authors[:5]) + (f" +{len(p.authors) - 5} more" if len(p.authors) > 5 else ""))
        if reply.note:
            lines.insert(0, reply.note)
        if p.url:
            lines.append(p.url)
        return "\n".join(lines)
    if isinstance(reply, PaperList):
        lines = [reply.title] + ([reply.note] if reply.note else [])
        for n, item in enumerate(reply.items, 1):
            prefix = f"{n}. " if reply.numbered else "- "
            url = f" {item.paper.url}" if item.paper.url else ""
            lines.append(f"{prefix}{item.paper.shown_title}{url}")
        return "\n".join(lines)
    if isinstance(reply, Chart):
        lines = [reply.title] + ([reply.note] if reply.note else [])
        for line in reply.series:
            counts = ", ".join(f"{month} {count}{' (partial)' if month == reply.partial_month else ''}"
                               for month, count in zip(line.months, line.counts, strict=True))
            lines.append(f"{line.label} ({sum(line.counts)} in total): {counts}")
        if reply.top:
            lines.append("Most upvoted:")
            for n, item in enumerate(reply.top, 1):
                url = f" {item.paper.url}" if item.paper.url else ""
                lines.append(f"{n}. {item.paper.shown_title}{url}")
        return "\n".join(lines)
    if isinstance(reply, Document):
        return f"{reply.title}\n{reply.text}"
    return reply.text


def reply_to_json_result(reply: Reply) -> dict[str, Any]:
    """The shape `paperboy ask --json` prints: kind, found, text, results best first, and "sources"
    ("unreachable" or "off") when the paper sources could not be asked."""
    if isinstance(reply, Card):
        scored = [Scored(reply.paper, reply.score if reply.score is not None else 1.0), *reply.alternatives]
    elif isinstance(reply, PaperList):
        scored = list(reply.items)
    elif isinstance(reply, Chart):
        scored = list(reply.top)
    else:
        scored = []
    result = {
        "kind": reply_kind(reply),
        "found": found_something(reply),
        "text": reply_text(reply),
        "results": [
            {"id": s.paper.arxiv_id or s.paper.key, "title": s.paper.title,
             "score": round(s.score, 4) if s.score is not None else None, "url": s.paper.url}
            for s in scored
        ],
    }
    if getattr(reply, "sources", None):
        result["sources"] = reply.sources  # type: ignore[union-attr]
    return result
