"""Sentence vectors of papers (the semantic extra), numbered in the order they are written."""
from __future__ import annotations

from paperboy.storage.sql.base import SQLBase, chunks, marks, write


class VectorSQL(SQLBase):
    """Vectors, as every engine stores and reads them."""

    def papers_without_vectors(self, after_rowid: int, limit: int) -> list[tuple[int, str, str | None]]:
        return [(r[0], r[1], r[2]) for r in self._all(
            "SELECT p.rowid, p.title, p.abstract FROM papers p WHERE p.rowid > ? AND NOT EXISTS "
            "(SELECT 1 FROM paper_vectors v WHERE v.paper_rowid = p.rowid) ORDER BY p.rowid LIMIT ?",
            [after_rowid, limit])]

    @write
    def save_vectors(self, rows: list[tuple[int, bytes]]) -> None:
        if not rows:
            return
        with self._transaction(lock="vectors") as tx:
            tx.executemany("INSERT INTO paper_vectors (paper_rowid, vec, written_seq) VALUES (?, ?, "
                           "(SELECT coalesce(max(written_seq), 0) + 1 FROM paper_vectors)) "
                           "ON CONFLICT (paper_rowid) DO UPDATE SET vec = excluded.vec, "
                           "written_seq = excluded.written_seq", rows)

    def vectors_written_after(self, seq: int, limit: int) -> list[tuple[int, int, bytes]]:
        return [(r[0], r[1], bytes(r[2])) for r in self._all(
            "SELECT written_seq, paper_rowid, vec FROM paper_vectors WHERE written_seq > ? "
            "ORDER BY written_seq LIMIT ?", [seq, limit])]

    def vectors_of(self, rowids: list[int]) -> dict[int, bytes]:
        found: dict[int, bytes] = {}
        for chunk in chunks(rowids):
            found.update((r[0], bytes(r[1])) for r in self._all(
                f"SELECT paper_rowid, vec FROM paper_vectors WHERE paper_rowid IN ({marks(chunk)})", chunk))
        return found

    def count_vectors(self) -> int:
        return self._one("SELECT count(*) FROM paper_vectors")[0]

    @write
    def clear_vectors(self) -> None:
        with self._transaction() as tx:
            tx.execute("DELETE FROM paper_vectors")
