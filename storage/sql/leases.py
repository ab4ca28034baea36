"""Named leases (the leader's) and the pacing every process shares (arXiv's one request every 3 s)."""
from __future__ import annotations

from paperboy.storage.sql.base import SQLBase, write


class LeaseSQL(SQLBase):
    """Leases and pacing, as every engine keeps them. A lease's end and whether it has run out are
    the database's time (DB_LATER, DB_NOW), whatever the caller's clock says."""

    @write
    def take_lease(self, name: str, owner: str, seconds: float) -> bool:
        with self._transaction(lock="write") as tx:
            tx.execute(f"INSERT INTO leases (name, owner, until) VALUES (?, ?, {self.DB_LATER}) "
                       "ON CONFLICT(name) DO UPDATE SET owner = excluded.owner, until = excluded.until "
                       f"WHERE leases.owner = excluded.owner OR leases.until <= {self.DB_NOW}", [name, owner, seconds])
            holder = tx.execute("SELECT owner FROM leases WHERE name = ?", [name]).fetchone()
        return holder is not None and holder[0] == owner

    @write
    def release_lease(self, name: str, owner: str) -> None:
        with self._transaction() as tx:
            tx.execute("DELETE FROM leases WHERE name = ? AND owner = ?", [name, owner])

    def lease_holder(self, name: str) -> str | None:
        row = self._one(f"SELECT owner FROM leases WHERE name = ? AND until > {self.DB_NOW}", [name])
        return row[0] if row else None

    def database_now(self) -> str:
        return self._one(f"SELECT {self.DB_NOW}")[0]

    @write
    def reserve_slot(self, name: str, now: float, interval: float) -> float:
        # One UPDATE reads and moves the next free moment, so two processes never get the same slot.
        with self._transaction(lock="write") as tx:
            tx.execute("INSERT INTO pacing (name, next_free) VALUES (?, ?) ON CONFLICT(name) DO NOTHING", [name, now])
            row = tx.execute("UPDATE pacing SET next_free = (CASE WHEN next_free > ? THEN next_free ELSE ? END) + ? "
                             "WHERE name = ? RETURNING next_free", [now, now, interval, name]).fetchone()
        return row[0] - interval
