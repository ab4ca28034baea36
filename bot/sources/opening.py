"""Opening a file of papers whatever its compression (none, gzip, xz, or a zip of one file),
recognised by its first bytes: its decompressed bytes, read in pieces so that damage costs only what
follows it, and how far into the file reading is. A file that cannot be read is an UnreadableFile
saying, in one line, which file and what is wrong with it."""
from __future__ import annotations

import errno
import gzip
import lzma
import os
import stat
import struct
import zipfile
import zlib
from pathlib import Path
from typing import BinaryIO

_GZIP_MAGIC = b"\x1f\x8b"
_XZ_MAGIC = b"\xfd7zXZ\x00"
_ZIP_MAGIC = b"PK\x03\x04"
# A damaged file loses what the decompressor made of the read that met the damage: at most this much.
DECOMPRESSED_PIECE = 64 * 1024


class UnreadableFile(ValueError):
    """The file cannot be read: missing, a folder, not permitted, or it is a FileFormatError. The
    message is one line for the user, naming the file."""


class FileFormatError(UnreadableFile):
    """The file's content cannot be read: neither JSON Lines nor a JSON array, or damaged compression."""


# What the decompressors raise on data that is not what they expect. OSError is among them: gzip's
# BadGzipFile, bz2's "Invalid data stream" in a zip, and a seek that a zip's damaged offsets ask for.
_DECOMPRESSION_ERRORS = (zlib.error, lzma.LZMAError, zipfile.BadZipFile, EOFError, OSError)


class ReadPosition:
    """How far through a file reading is, in the file's own (compressed) bytes: what a progress bar
    and its time estimate go by, since the number of records is not known before the end."""

    def __init__(self) -> None:
        self.done = 0
        self.total = 0


def open_binary(path: str | Path, position: ReadPosition | None = None) -> BinaryIO:
    """The file's decompressed bytes, whatever its compression (none, gzip, xz or a zip of one file).
    Opening and reading raise UnreadableFile; a read that meets damage first returns what came before it."""
    raw = _open_raw(path)
    try:
        head = raw.read(6)
        raw.seek(0)
        if position is not None:
            position.total = os.fstat(raw.fileno()).st_size
        if head.startswith(_GZIP_MAGIC):
            return _Counted(gzip.GzipFile(fileobj=raw, mode="rb"), raw, position, path, "gzip")  # type: ignore[return-value]
        if head.startswith(_XZ_MAGIC):
            return _Counted(lzma.LZMAFile(raw, "rb"), raw, position, path, "xz")  # type: ignore[return-value]
        if head.startswith(_ZIP_MAGIC):  # arXiv's snapshot as distributed: one file in a zip
            return _Counted(_zip_member(raw, path), raw, position, path, "zip")  # type: ignore[return-value]
        return _Counted(raw, raw, position, path, None)  # type: ignore[return-value]
    except OSError as exc:  # of reading the file's first bytes
        raw.close()
        raise _unreadable(path, None, exc) from None
    except BaseException:
        raw.close()
        raise


def check_readable(path: str | Path) -> None:
    """Raises UnreadableFile when the file cannot be opened for reading (missing, a folder, not permitted)."""
    _open_raw(path).close()


def _open_raw(path: str | Path) -> BinaryIO:
    try:
        # Looked at before opening: opening a pipe would wait for a writer.
        mode = os.stat(path).st_mode
        if stat.S_ISDIR(mode):
            raise UnreadableFile(f"{path} is a folder, not a file")
        if not stat.S_ISREG(mode):
            raise UnreadableFile(f"{path} is not a regular file (a pipe or a device?)")
        return open(path, "rb")
    except FileNotFoundError:
        raise UnreadableFile(f"no such file: {path}") from None
    except PermissionError:
        raise UnreadableFile(f"no permission to read {path}") from None
    except OSError as exc:
        raise UnreadableFile(f"cannot read {path}: {exc.strerror or exc}") from None


def _zip_member(raw: BinaryIO, path: str | Path) -> BinaryIO:
    try:
        try:
            archive = zipfile.ZipFile(raw)
        except (*_DECOMPRESSION_ERRORS, ValueError, struct.error) as exc:  # all it reads is the file's end
            if _is_read_failure(exc):
                raise _unreadable(path, None, exc) from None
            raise FileFormatError(f"{path} is damaged or cut short: the zip's table of contents (at its end) "
                                  "cannot be read") from None
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) != 1:
            raise FileFormatError(f"{path} holds {len(members)} files; paperboy imports a zip of one")
        if members[0].flag_bits & 0x1:
            raise FileFormatError(f"{path} is encrypted")
        try:
            return archive.open(members[0])  # type: ignore[return-value]
        except _DECOMPRESSION_ERRORS as exc:
            raise _unreadable(path, "zip", exc) from None
    except NotImplementedError:  # a compression method or zip version that zipfile does not know
        raise FileFormatError(f"{path} uses a kind of zip paperboy cannot read") from None


def _is_read_failure(exc: BaseException) -> bool:
    """An error of the disk or the system, as opposed to one about the data (a damaged zip asking for
    a seek before the file's start is EINVAL; the decompressors' own OSErrors have no errno)."""
    return isinstance(exc, OSError) and exc.errno not in (None, errno.EINVAL)


def _unreadable(path: str | Path, kind: str | None, exc: BaseException) -> UnreadableFile:
    """What a decompressor's (`kind`: gzip, xz, zip) or the file's own error means for the user."""
    if _is_read_failure(exc) or kind is None:
        return UnreadableFile(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}")
    if isinstance(exc, EOFError):
        return FileFormatError(f"{path} is cut short: the {kind} data ends early")
    return FileFormatError(f"{path} is damaged: the {kind} data is corrupt")


class _Counted:
    """A stream that notes, at each read, how far into the underlying file it has got. Reading and
    iterating raise UnreadableFile; a read that meets damage returns the bytes before it, and the
    next read raises."""

    def __init__(self, stream, raw, position: ReadPosition | None, path: str | Path, kind: str | None):
        self._stream, self._raw, self._position = stream, raw, position
        self._path, self._kind = path, kind
        self._damage: UnreadableFile | None = None

    def read(self, size: int = -1) -> bytes:
        if self._damage is not None:
            raise self._damage
        parts = []
        left = size if size >= 0 else None
        try:
            # A piece at a time: a read that meets damage loses all it had decompressed.
            while left is None or left > 0:
                part = self._stream.read1(DECOMPRESSED_PIECE if left is None else min(left, DECOMPRESSED_PIECE))
                if not part:
                    break
                parts.append(part)
                if left is not None:
                    left -= len(part)
        except _DECOMPRESSION_ERRORS as exc:
            self._damage = _unreadable(self._path, self._kind, exc)
            if not parts:
                raise self._damage from None
        if self._position is not None:
            self._position.done = self._raw.tell()
        return b"".join(parts)

    def __iter__(self):
        try:
            yield from self._stream
        except _DECOMPRESSION_ERRORS as exc:
            raise _unreadable(self._path, self._kind, exc) from None

    def __getattr__(self, name: str):
        return getattr(self._stream, name)

    def __enter__(self) -> _Counted:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        try:
            self._stream.close()
        finally:
            self._raw.close()
