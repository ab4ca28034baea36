"""Papers from files: JSON Lines (plain, .gz or .xz) or a saved Hugging Face daily_papers response.

A bad line never stops a file: it comes out as a Skipped with its line number and the reason.
Compression is recognised from the file's first bytes, so the name does not have to say it.
"""
from __future__ import annotations

import gzip
import json
import lzma
import queue
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from paperboy.bot.models import Paper, key_for_unnumbered
from paperboy.bot.sources.hf import paper_from_hf
from paperboy.bot.sources.records import BadRecord, Skipped, arxiv_id_of, codes, count_of, day_of, names, tidy, title_of

FileItem = Paper | Skipped
SOURCE = "file"
_GZIP_MAGIC = b"\x1f\x8b"
_XZ_MAGIC = b"\xfd7zXZ\x00"
_BLOCK = 1 << 20
_END = object()


class FileFormatError(ValueError):
    """The file as a whole is unreadable: not JSON Lines nor a JSON array, or broken compression."""


def open_binary(path: str | Path) -> BinaryIO:
    """The file's decompressed bytes, whatever its compression (none, gzip or xz)."""
    with open(path, "rb") as probe:
        head = probe.read(6)
    if head.startswith(_GZIP_MAGIC):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    if head.startswith(_XZ_MAGIC):
        return lzma.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def _unquoted(title: str) -> str:
    # Conference lists exported through CSV keep the quotes that protected commas: '"A, B and C"'.
    if len(title) > 2 and title[0] == '"' and title[-1] == '"' and '"' not in title[1:-1]:
        return title[1:-1].strip() or title
    return title


def paper_from_record(record: Any) -> Paper:
    """One JSON Lines record as a Paper. Corpus-style fields (id, title, abstract, authors, published,
    categories, upvotes, venue, first_author, source); a Hugging Face item or paper object also works."""
    if not isinstance(record, dict):
        raise BadRecord(f"expected an object, got {type(record).__name__}")
    if "paper" in record or "summary" in record or "publishedAt" in record:
        return paper_from_hf(record)
    raw_id = record.get("id")
    if raw_id is None or raw_id == "":
        arxiv_id = None
    else:
        arxiv_id = arxiv_id_of(raw_id)
        if arxiv_id is None:
            raise BadRecord(f"not an arXiv id: {str(raw_id)[:40]!r}")
    title = title_of(record.get("title"))
    venue = tidy(record.get("venue"))
    if arxiv_id is None:
        title = _unquoted(title)
    authors = names(record.get("authors"))
    if not authors:
        first = tidy(record.get("first_author"))
        authors = (first,) if first else ()
    return Paper(
        key=arxiv_id or key_for_unnumbered(title, venue),
        title=title,
        abstract=tidy(record.get("abstract")),
        authors=authors,
        published=day_of(record.get("published")),
        categories=codes(record.get("categories")),
        upvotes=count_of(record.get("upvotes")),
        arxiv_id=arxiv_id,
        venue=venue,
        source=tidy(record.get("source")) or SOURCE,
    )


def _item(record: Any, position: int, unit: str = "item") -> FileItem:
    try:
        return paper_from_record(record)
    except BadRecord as exc:
        return Skipped(position, str(exc), unit)


_decode_json = json.JSONDecoder().decode


def _line(raw: str | bytes, number: int) -> FileItem | None:
    try:
        record = _decode_json(raw) if isinstance(raw, str) else json.loads(raw)
    except ValueError as exc:  # UnicodeDecodeError included
        if not raw.strip():
            return None
        if isinstance(exc, json.JSONDecodeError):
            problem = exc.msg.removesuffix(" starting at").removesuffix(" at")  # json's phrasing expects a position
            return Skipped(number, f"invalid JSON at column {exc.colno}: {problem}", "line")
        return Skipped(number, f"invalid JSON: {_first_line(exc)}", "line")
    return _item(record, number, "line")


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


def _blocks(path: str | Path, stop: threading.Event, out: queue.Queue) -> None:
    """Runs in a thread: decompression releases the GIL, so it overlaps parsing in the caller."""
    try:
        with open_binary(path) as stream:
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


def _read_ahead(path: str | Path) -> Iterator[bytes]:
    """The decompressed file in blocks, read by a background thread a few blocks ahead."""
    blocks: queue.Queue = queue.Queue(maxsize=8)
    stop = threading.Event()
    reader = threading.Thread(target=_blocks, args=(path, stop, blocks), name="paperboy-file-reader", daemon=True)
    reader.start()
    try:
        while True:
            block = blocks.get()
            if block is _END:
                return
            if isinstance(block, BaseException):
                if isinstance(block, (OSError, EOFError, lzma.LZMAError)):
                    raise FileFormatError(f"cannot read {Path(path).name}: {_first_line(block)}") from block
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


def iter_file_batches(path: str | Path, batch_size: int = 5000) -> Iterator[list[FileItem]]:
    """Papers and Skipped records of a file, in file order, a batch at a time."""
    blocks = _read_ahead(path)
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
            yield from _array_batches(first + b"".join(blocks), batch_size)
        elif start == b"{":
            yield from _line_batches(first, blocks, batch_size)
        else:
            raise FileFormatError("expected JSON Lines (one object per line) or a JSON array")
    finally:
        blocks.close()


def _array_batches(data: bytes, batch_size: int) -> Iterator[list[FileItem]]:
    try:
        items = json.loads(data)
    except ValueError as exc:
        raise FileFormatError(f"the JSON array cannot be read: {_first_line(exc)}") from None
    for start in range(0, len(items), batch_size):
        yield [_item(record, position) for position, record in enumerate(items[start:start + batch_size], start + 1)]


def _line_batches(first: bytes, blocks: Iterator[bytes], batch_size: int) -> Iterator[list[FileItem]]:
    batch: list[FileItem] = []
    number = 0
    pending = first
    for block in blocks:
        data = pending + block
        cut = data.rfind(b"\n")
        if cut < 0:
            pending = data
            continue
        pending = data[cut + 1:]
        for raw in _lines(data[:cut]):
            number += 1
            item = _line(raw, number)
            if item is not None:
                batch.append(item)
        if len(batch) >= batch_size:
            yield batch
            batch = []
    for raw in _lines(pending):
        number += 1
        item = _line(raw, number)
        if item is not None:
            batch.append(item)
    if batch:
        yield batch


def iter_file(path: str | Path) -> Iterator[FileItem]:
    """Every record of a file as a Paper, or as a Skipped with its line number and reason."""
    for batch in iter_file_batches(path):
        yield from batch
