"""Paper files damaged in known ways, for the tests of reading them: where the damage starts is known,
and so is what a reader can get out of the file before it."""
from __future__ import annotations

import gzip
import io
import json
import lzma
import random
import zipfile
import zlib


def paper_lines(count: int, seed: int = 21) -> list[bytes]:
    """`count` JSON Lines of papers 2401.00001, 2401.00002, ..., each ending in a newline. Their words are
    drawn at random, so that they compress about as much as real abstracts do."""
    draw = random.Random(seed)
    words = ["".join(draw.choices("abcdefghijklmnopqrstuvwxyz", k=draw.randint(3, 9))) for _ in range(3000)]
    return [(json.dumps({"id": f"2401.{n:05d}", "title": " ".join(draw.choices(words, k=7)),
                         "abstract": " ".join(draw.choices(words, k=30))}) + "\n").encode()
            for n in range(1, count + 1)]


def ids_of(lines: list[bytes]) -> list[str]:
    return [json.loads(line)["id"] for line in lines]


def gzip_corrupt_after(lines: list[bytes], sound: int) -> bytes:
    """A gzip file whose first `sound` lines are intact and whose next deflate block is one no decoder
    accepts (block type 3, reserved), followed by the rest as gzip wrote it: damage in the middle."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)  # 31: with gzip's header
    # A full flush ends the intact part on a byte boundary, with nothing left pending, so the
    # damage starts exactly after it.
    intact = compressor.compress(b"".join(lines[:sound])) + compressor.flush(zlib.Z_FULL_FLUSH)
    rest = compressor.compress(b"".join(lines[sound:])) + compressor.flush()
    return intact + b"\xff" * 16 + rest


def corrupted_in_the_middle(data: bytes) -> bytes:
    """`data` with 64 bytes in its middle inverted."""
    middle = len(data) // 2
    return data[:middle] + bytes(b ^ 0xFF for b in data[middle:middle + 64]) + data[middle + 64:]


def complete_lines_of_truncated(data: bytes, kind: str) -> list[bytes]:
    """The whole lines in what the standard decoder makes of a truncated gzip or xz file."""
    decoder = zlib.decompressobj(31) if kind == "gzip" else lzma.LZMADecompressor()
    text = decoder.decompress(data)
    return text.splitlines(keepends=True)[:text.count(b"\n")]


def zip_of(name: str, data: bytes, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        archive.writestr(name, data)
    return out.getvalue()


def compressed(kind: str, data: bytes) -> bytes:
    if kind == "gzip":
        return gzip.compress(data, mtime=0)
    if kind == "xz":
        return lzma.compress(data)
    return zip_of("papers.jsonl", data)
