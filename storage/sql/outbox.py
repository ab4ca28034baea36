"""The outbox: deliveries, each under a unique key, claimed under a lease, settled once."""
from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from paperboy.bot.models import Delivery, Target
from paperboy.storage.sql.base import SQLBase, Transaction, ids, key_range, marks, write

_ENQUEUE_SQL = (
    'INSERT INTO deliveries (dedupe_key, kind, platform, workspace, channel, "user", mode, payload, '
    "status, next_attempt_at, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?) "
    "ON CONFLICT(dedupe_key) DO NOTHING")

# Due: pending and its time come by the claimant's clock (a scheduling time), or sending under a
# lease that has run out by the database's clock (DB_NOW).
_DUE = "((status = 'pending' AND next_attempt_at <= ?) OR (status = 'sending' AND lease_until <= {now}))"


def delivery_of(row: Any) -> Delivery:
    return Delivery(
        id=row["id"], dedupe_key=row["dedupe_key"], kind=row["kind"],
        target=Target(row["platform"], row["workspace"], row["channel"], row["user"], row["mode"]),
        payload=json.loads(row["payload"]), status=row["status"], attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"], last_error=row["last_error"],
        external_id=row["external_id"], note=row["note"], lease_owner=row["lease_owner"],
        lease_until=row["lease_until"], created=row["created"], bundle=row["bundle"])


class OutboxSQL(SQLBase):
    """The outbox, as every engine keeps it."""

    @write
    def enqueue_delivery(self, dedupe_key: str, kind: str, target: Target, payload: dict[str, Any],
                         now: str) -> bool:
        with self._transaction() as tx:
            return self._enqueue(tx, [(dedupe_key, kind, target, payload)], now) > 0

    @write
    def enqueue_deliveries(self, rows: Iterable[tuple[str, str, Target, dict[str, Any]]], now: str) -> int:
        with self._transaction() as tx:
            return self._enqueue(tx, rows, now)

    @staticmethod
    def _enqueue(tx: Transaction, rows: Iterable[tuple[str, str, Target, dict[str, Any]]], now: str) -> int:
        """Inside the caller's transaction: pending deliveries, keys already present left alone."""
        values = [(key, kind, t.platform, t.workspace, t.channel, t.user, t.mode,
                   json.dumps(payload, ensure_ascii=False), now, now) for key, kind, t, payload in rows]
        return tx.executemany(_ENQUEUE_SQL, values) if values else 0

    @write
    def record_skipped(self, dedupe_key: str, kind: str, target: Target, note: str, now: str) -> bool:
        with self._transaction() as tx:
            return tx.execute(
                'INSERT INTO deliveries (dedupe_key, kind, platform, workspace, channel, "user", mode, payload, '
                "status, next_attempt_at, created, settled_at, note) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, '{}', 'skipped', ?, ?, ?, ?) ON CONFLICT(dedupe_key) DO NOTHING",
                [dedupe_key, kind, target.platform, target.workspace, target.channel, target.user, target.mode,
                 now, now, now, note]).rowcount > 0

    def has_delivery(self, dedupe_key: str) -> bool:
        return self._one("SELECT 1 FROM deliveries WHERE dedupe_key = ?", [dedupe_key]) is not None

    def get_delivery(self, dedupe_key: str) -> Delivery | None:
        row = self._one("SELECT * FROM deliveries WHERE dedupe_key = ?", [dedupe_key])
        return delivery_of(row) if row else None

    @write
    def claim_due_deliveries(self, now: str, platforms: Iterable[str], limit: int = 50, *, owner: str = "",
                             lease_seconds: float = 60) -> list[Delivery]:
        names = list(platforms)
        if not names:
            return []
        # One statement: the rows chosen are the rows taken. SQLite runs it under the write lock,
        # so a second process claiming at the same moment waits, then finds them taken; PostgreSQL
        # locks the chosen rows and a second claim skips them and takes the next ones.
        due = _DUE.format(now=self.DB_NOW)
        with self._transaction(lock="write") as tx:
            # The choice is made once (MATERIALIZED): as a plain subquery PostgreSQL may run it again
            # for each row it updates, and each run would find the next row still due. Alerts that
            # went out together once (a bundle) are taken together, all of them: sent again in
            # parts, each part would carry the bundle's key, and the platform would take the second
            # part for a repeat of the first.
            rows = tx.execute(
                f"WITH chosen AS MATERIALIZED (SELECT id, bundle FROM deliveries WHERE {due} "
                f"AND platform IN ({marks(names)}){self.WHOLE_BUNDLES} "
                f"ORDER BY next_attempt_at, id LIMIT ?{self.SKIP_LOCKED}) "
                f"UPDATE deliveries SET status = 'sending', attempts = attempts + 1, lease_owner = ?, "
                f"lease_until = {self.DB_LATER}, "
                "note = CASE WHEN status = 'sending' THEN 'interrupted while sending' ELSE note END "
                "WHERE (id IN (SELECT id FROM chosen) OR bundle IN (SELECT bundle FROM chosen WHERE bundle IS NOT NULL)) "
                f"AND {due} RETURNING *",
                [now, *names, limit, owner, lease_seconds, now]).fetchall()
        return sorted((delivery_of(r) for r in rows), key=lambda d: (d.next_attempt_at, d.id))

    @write
    def renew_leases(self, delivery_ids: Iterable[int], owner: str, lease_seconds: float = 60) -> int:
        ids = list(delivery_ids)
        if not ids:
            return 0
        with self._transaction() as tx:
            return tx.execute(f"UPDATE deliveries SET lease_until = {self.DB_LATER} WHERE status = 'sending' "
                              f"AND lease_owner = ? AND id IN ({marks(ids)})", [lease_seconds, owner, *ids]).rowcount

    @write
    def release_leases(self, delivery_ids: Iterable[int], owner: str) -> int:
        ids = list(delivery_ids)
        if not ids:
            return 0
        # next_attempt_at stays what it was when the delivery was claimed, a time already come:
        # due at once again, and no process's clock moves it.
        with self._transaction() as tx:
            return tx.execute(
                "UPDATE deliveries SET status = 'pending', lease_owner = NULL, lease_until = NULL, "
                f"note = 'released at a stop' WHERE status = 'sending' AND lease_owner = ? AND id IN ({marks(ids)})",
                [owner, *ids]).rowcount

    @write
    def mark_bundled(self, delivery_ids: Iterable[int], bundle: str, *, owner: str) -> int:
        ids = list(delivery_ids)
        with self._transaction() as tx:
            return tx.execute(f"UPDATE deliveries SET bundle = ? WHERE status = 'sending' AND lease_owner = ? "
                              f"AND id IN ({marks(ids)})", [bundle, owner, *ids]).rowcount

    def mark_delivered(self, delivery_ids: int | Iterable[int], now: str, external_id: str | None = None,
                       note: str | None = None, *, owner: str | None = None) -> int:
        return self._settle(
            "status = 'sent', sent_at = ?, settled_at = ?, external_id = ?, note = coalesce(?, note), "
            "last_error = NULL", [now, now, external_id, note], delivery_ids, owner)

    def mark_retry(self, delivery_ids: int | Iterable[int], error: str, retry_at: str, *,
                   owner: str | None = None) -> int:
        return self._settle("status = 'pending', last_error = ?, next_attempt_at = ?", [error[:1000], retry_at],
                            delivery_ids, owner)

    def mark_failed(self, delivery_ids: int | Iterable[int], error: str, now: str, *,
                    owner: str | None = None) -> int:
        return self._settle("status = 'failed', settled_at = ?, last_error = ?", [now, error[:1000]],
                            delivery_ids, owner)

    @write
    def _settle(self, assignments: str, values: list[Any], delivery_ids: int | Iterable[int],
                owner: str | None) -> int:
        """Ends claims (the lease goes with them); with `owner`, only claims that owner still holds.
        Counted only once the commit returns: a connection lost before then raises instead."""
        where = "id = ?" if owner is None else "id = ? AND status = 'sending' AND lease_owner = ?"
        rows = [(*values, i) if owner is None else (*values, i, owner) for i in ids(delivery_ids)]
        with self._transaction() as tx:
            return tx.executemany(
                f"UPDATE deliveries SET {assignments}, lease_owner = NULL, lease_until = NULL WHERE {where}", rows)

    def latest_outcomes(self, key_prefix: str, limit: int) -> list[str]:
        rows = self._all("SELECT status FROM deliveries WHERE dedupe_key >= ? AND dedupe_key < ? "
                         "AND status IN ('sent', 'failed') ORDER BY id DESC LIMIT ?", [*key_range(key_prefix), limit])
        return [r[0] for r in rows]

    @write
    def cancel_deliveries(self, key_prefix: str, now: str, reason: str) -> int:
        with self._transaction() as tx:
            return tx.execute(
                "UPDATE deliveries SET status = 'cancelled', settled_at = ?, note = ?, lease_owner = NULL, "
                "lease_until = NULL WHERE dedupe_key >= ? AND dedupe_key < ? "
                f"AND (status = 'pending' OR (status = 'sending' AND lease_until <= {self.DB_NOW}))",
                [now, reason[:1000], *key_range(key_prefix)]).rowcount

    def deliveries(self, status: str | None = None, kind: str | None = None) -> list[Delivery]:
        clauses, params = [], []
        if status:
            clauses.append("status = ?")
            params.append(status)
        if kind:
            clauses.append("kind = ?")
            params.append(kind)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        return [delivery_of(r) for r in self._all(f"SELECT * FROM deliveries {where} ORDER BY id", params)]

    def latest_delivery(self, key_prefix: str, statuses: Iterable[str] = ("pending", "sending", "sent")
                        ) -> Delivery | None:
        names = list(statuses)
        row = self._one(f"SELECT * FROM deliveries WHERE dedupe_key >= ? AND dedupe_key < ? "
                        f"AND status IN ({marks(names)}) ORDER BY id DESC LIMIT 1", [*key_range(key_prefix), *names])
        return delivery_of(row) if row else None
