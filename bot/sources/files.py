"""Papers from files: JSON Lines (plain, .gz, .xz or a .zip of one file), arXiv's metadata snapshot, or a saved Hugging
Face daily_papers response (whose daily list comes out too).

A bad line never stops a file: it comes out as a Skipped with its line number and the reason.
Compression is recognised from the file's first bytes, so the name does not have to say it.
A file that cannot be read is an UnreadableFile saying, in one line, which file and what is wrong with
it; a damaged or cut-short file gives its records up to the damage first.
"""
from __future__ import annotations

import json
import queue
import threading
from collections import Counter
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from paperboy.bot.models import Paper, key_for_unnumbered
from paperboy.bot.sources.hf import DailyBatch, daily_batch, paper_from_hf
from paperboy.bot.sources.opening import FileFormatError, ReadPosition, UnreadableFile, open_binary
from paperboy.bot.sources.records import (
    UNKNOWN_FIELD,
    BadRecord,
    Noted,
    Skipped,
    arxiv_id_of,
    codes,
    count_of,
    day_of,
    names,
    names_in_text,
    tidy,
    title_of,
)

FileItem = Paper | Skipped | Noted | DailyBatch
SOURCE = "file"
_BLOCK = 1 << 20  # bytes read ahead at a time
_END = object()


def _unquoted(title: str) -> str:
    # Conference lists exported through CSV keep the quotes that protected commas: '"A, B and C"'.
    if len(title) > 2 and title[0] == '"' and title[-1] == '"' and '"' not in title[1:-1]:
        return title[1:-1].strip() or title
    return title


# The fields of a JSON Lines record (the import format, README "Importing papers").
FIELDS = frozenset({"id", "title", "abstract", "authors", "published", "categories", "upvotes", "venue",
                    "first_author", "source", "date_kind"})
# arXiv's metadata snapshot (arxiv-metadata-oai-snapshot.json): read where useful, the rest ignored quietly.
SNAPSHOT_FIELDS = frozenset({"submitter", "comments", "journal-ref", "doi", "report-no", "license", "versions",
                             "update_date", "authors_parsed"})
ALIASES = {"arxiv_id": "id"}  # obvious names for a field, read as that field (and said so)


def paper_from_record(record: Any, notes: list[tuple[str, str]] | None = None) -> Paper:
    """One JSON Lines record as a Paper: the import format's fields, arXiv's metadata snapshot, or a
    Hugging Face item or paper object. Raises BadRecord when the record cannot be a paper; fields that
    are left out (wrong type, unknown) are added to `notes` as (field, problem)."""
    if not isinstance(record, dict):
        raise BadRecord(f"expected an object, got {type(record).__name__}")
    if "paper" in record or "summary" in record or "publishedAt" in record:
        return paper_from_hf(record)
    notes = [] if notes is None else notes
    if not record.keys() <= FIELDS:
        record = _known_fields(record, notes)
    raw_id = record.get("id")
    if raw_id is None or raw_id == "":
        arxiv_id = None
    else:
        arxiv_id = arxiv_id_of(raw_id)
        if arxiv_id is None:
            raise BadRecord(f"not an arXiv id: {str(raw_id)[:40]!r}")
    title = title_of(record.get("title"))
    venue = _text(record, "venue", notes)
    if arxiv_id is None:
        title = _unquoted(title)
    authors = _authors(record, notes)
    if not authors:
        first = _text(record, "first_author", notes)
        authors = (first,) if first else ()
    snapshot = "versions" in record
    return Paper(
        key=arxiv_id or key_for_unnumbered(title, venue),
        title=title,
        abstract=_text(record, "abstract", notes),
        doi=tidy(record.get("doi")) if snapshot else None,
        journal_ref=tidy(record.get("journal-ref")) if snapshot else None,
        comments=tidy(record.get("comments")) if snapshot else None,
        updated=day_of(record.get("update_date")) if snapshot else None,
        authors=authors,
        published=_published(record, notes),
        categories=_categories(record, notes),
        upvotes=_upvotes(record, notes),
        arxiv_id=arxiv_id,
        venue=venue,
        source=_text(record, "source", notes) or SOURCE,
    )


def _known_fields(record: dict, notes: list[tuple[str, str]]) -> dict:
    known = {}
    snapshot = "versions" in record or "authors_parsed" in record
    for name, value in record.items():
        if name in FIELDS or (snapshot and name in SNAPSHOT_FIELDS):
            known[name] = value
        elif name in ALIASES and ALIASES[name] not in record:
            known[ALIASES[name]] = value
            notes.append((name, f"read as {ALIASES[name]}"))
        else:
            notes.append((name, UNKNOWN_FIELD))
    return known


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:39] + "…"


def _left_out(notes: list[tuple[str, str]], name: str, value: Any, wanted: str) -> None:
    notes.append((name, f"is {_shown(value)}, not {wanted}: left out"))


def _text(record: dict, name: str, notes: list[tuple[str, str]]) -> str | None:
    value = record.get(name)
    if value is not None and not isinstance(value, str):
        _left_out(notes, name, value, "text")
    return tidy(value)


def _authors(record: dict, notes: list[tuple[str, str]]) -> tuple[str, ...]:
    value = record.get("authors")
    if isinstance(value, list):
        return names(value)
    if isinstance(value, str):  # the snapshot's form too ("A. Bal\\'azs, B. Berger and C. Yuan")
        return names_in_text(value)
    if value is not None:
        _left_out(notes, "authors", value, "a list of names or one string of them")
    return ()


def _published(record: dict, notes: list[tuple[str, str]]) -> str | None:
    value = record.get("published")
    day = day_of(value)
    if day is None and value is not None:
        _left_out(notes, "published", value, "a date (YYYY-MM-DD)")
    if day is None and "versions" in record:
        day = _first_version_day(record.get("versions")) or day_of(record.get("update_date"))
    return day


def _first_version_day(versions: Any) -> str | None:
    """The snapshot's date of v1: "Mon, 2 Apr 2007 19:18:42 GMT"."""
    if not isinstance(versions, list) or not versions or not isinstance(versions[0], dict):
        return None
    try:
        return parsedate_to_datetime(str(versions[0].get("created"))).date().isoformat()
    except (TypeError, ValueError):
        return None


def _categories(record: dict, notes: list[tuple[str, str]]) -> tuple[str, ...]:
    value = record.get("categories")
    if isinstance(value, str):
        return codes(value.replace(",", " ").split())
    if value is not None and not isinstance(value, list):
        _left_out(notes, "categories", value, "a list of arXiv categories")
    return codes(value)


def _upvotes(record: dict, notes: list[tuple[str, str]]) -> int | None:
    value = record.get("upvotes")
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    count = count_of(value)
    if count is None and value is not None:
        _left_out(notes, "upvotes", value, "a count (a whole number, 0 or more)")
    return count


def _add(batch: list[FileItem], record: Any, position: int, unit: str = "item") -> None:
    """Appends the record's paper and what was noted about it, or why it was skipped."""
    notes: list[tuple[str, str]] = []
    try:
        batch.append(paper_from_record(record, notes))
    except BadRecord as exc:
        batch.append(Skipped(position, str(exc), unit))
        return
    if notes:
        batch.extend(Noted(position, name, problem, unit) for name, problem in notes)


_decode_json = json.JSONDecoder().decode


def _add_line(batch: list[FileItem], raw: str | bytes, number: int) -> None:
    try:
        record = _decode_json(raw) if isinstance(raw, str) else json.loads(raw)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError included
        if not raw.strip():
            return
        column = f" at column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        batch.append(Skipped(number, f"invalid JSON{column}: {_json_problem(exc)}", "line"))
        return
    _add(batch, record, number, "line")


def _json_problem(exc: ValueError | RecursionError) -> str:
    """What json found wrong, without its position (the caller says where, in the user's terms)."""
    if isinstance(exc, json.JSONDecodeError):
        return exc.msg.removesuffix(" starting at").removesuffix(" at")  # json's phrasing expects a position
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return _first_line(exc)


def _lines(chunk: bytes) -> list[str] | list[bytes]:
    """Lines of a chunk of whole lines; decoded in one go unless some line is not UTF-8, in which
    case each line is decoded on its own (and the broken one is skipped with its reason)."""
    try:
        return chunk.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        return chunk.split(b"\n")


def _first_line(exc: Exception, limit: int = 120) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:limit]


def _blocks(path: str | Path, stop: threading.Event, out: queue.Queue, position: ReadPosition | None) -> None:
    """Runs in a thread: decompression releases the GIL, so it overlaps parsing in the caller."""
    try:
        with open_binary(path, position) as stream:
            while not stop.is_set():
                block = stream.read(_BLOCK)
                if not block:
                    break
                while not stop.is_set():
                    try:
                        out.put(block, timeout=0.2)
                        break
                    except queue.Full:
                        continue
        out.put(_END)
    except BaseException as exc:  # handed to the consumer, which raises it
        out.put(exc)


def _read_ahead(path: str | Path, position: ReadPosition | None) -> Iterator[bytes]:
    """The decompressed file in blocks, read by a background thread a few blocks ahead."""
    blocks: queue.Queue = queue.Queue(maxsize=8)
    stop = threading.Event()
    reader = threading.Thread(target=_blocks, args=(path, stop, blocks, position), name="paperboy-file-reader", daemon=True)
    reader.start()
    try:
        while True:
            block = blocks.get()
            if block is _END:
                return
            if isinstance(block, BaseException):
                raise block
            yield block
    finally:
        stop.set()
        while reader.is_alive():
            try:
                blocks.get(timeout=0.05)
            except queue.Empty:
                pass
        reader.join()


def iter_file_batches(path: str | Path, batch_size: int = 5000,
                      position: ReadPosition | None = None) -> Iterator[list[FileItem]]:
    """What iter_file gives, a batch at a time; `position` follows how far reading has got."""
    blocks = _read_ahead(path, position)
    try:
        first = b""
        for block in blocks:
            first += block
            if first.lstrip(b"\xef\xbb\xbf \t\r\n"):
                break
        if first.startswith(b"\xef\xbb\xbf"):
            first = first[3:]
        start = first.lstrip(b" \t\r\n")[:1]
        if not start:
            return
        if start == b"[":
            yield from _array_batches(path, first + b"".join(blocks), batch_size)
        elif start == b"{":
            yield from _line_batches(first, blocks, batch_size)
        else:
            raise FileFormatError(f"{path} is neither JSON Lines (one object per line) nor a JSON array")
    finally:
        blocks.close()


def _array_batches(path: str | Path, data: bytes, batch_size: int) -> Iterator[list[FileItem]]:
    try:
        items = json.loads(data)
    except (ValueError, RecursionError) as exc:
        where = f" at line {exc.lineno:,}, column {exc.colno:,}" if isinstance(exc, json.JSONDecodeError) else ""
        raise FileFormatError(f"the JSON array in {path} cannot be read: {_json_problem(exc)}{where}") from None
    if not isinstance(items, list):
        raise FileFormatError(f"expected a JSON array in {path}, got {type(items).__name__}")
    for start in range(0, len(items), batch_size):
        batch: list[FileItem] = []
        for position, record in enumerate(items[start:start + batch_size], start + 1):
            _add(batch, record, position)
        yield batch
    listed = daily_list_in(items)
    if listed is not None:
        yield [listed]


def _line_batches(first: bytes, blocks: Iterator[bytes], batch_size: int) -> Iterator[list[FileItem]]:
    batch: list[FileItem] = []
    number = 0
    pending = first
    damage = None
    try:
        for block in blocks:
            data = pending + block
            cut = data.rfind(b"\n")
            if cut < 0:
                pending = data
                continue
            pending = data[cut + 1:]
            for raw in _lines(data[:cut]):
                number += 1
                _add_line(batch, raw, number)
            if len(batch) >= batch_size:
                yield batch
                batch = []
    except UnreadableFile as exc:  # damaged or cut short: the lines before the damage are given first
        damage = exc
    for raw in _lines(pending):
        number += 1
        _add_line(batch, raw, number)
    if batch:
        yield batch
    if damage is not None:
        raise damage


def daily_list_in(items: list[Any]) -> DailyBatch | None:
    """A saved daily_papers response's list, dated by the day its papers were submitted to Daily
    Papers (the most common day, for a list saved across midnight); None for other arrays."""
    days = Counter()
    for item in items:
        paper = item.get("paper") if isinstance(item, dict) else None
        day = day_of(paper.get("submittedOnDailyAt")) if isinstance(paper, dict) else None
        if day is None:
            return None
        days[day] += 1
    if not days:
        return None
    return daily_batch(days.most_common(1)[0][0], items)


def iter_file(path: str | Path) -> Iterator[FileItem]:
    """Every record of a file as a Paper, a Noted (a field left out) or a Skipped, with its line
    number and reason; and, after the papers of a saved daily_papers response, its DailyBatch."""
    for batch in iter_file_batches(path):
        yield from batch
