"""Spend reservations in the SQLite ledger file (table created by the ledger's migration 3).

`BEGIN IMMEDIATE` takes SQLite's write lock before reading the sums, so two processes on
one machine cannot both see room for the same dollars. A reservation that is never
released (its process was killed) stops counting when it expires.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from mom_cli.errors import BudgetExceededError
from mom_cli.ledger.store import start_of_today

SPENT = "SELECT COALESCE(SUM(cost_usd), 0) FROM calls WHERE ts >= ?"
HELD = "SELECT COALESCE(SUM(amount_usd), 0) FROM reservations WHERE expires > ?"


def budget_error(scope: str, spent: float, held: float, amount: float, limit: float) -> str:
    return (
        f"budget: {scope} spent ${spent:.4f} today with ${held:.4f} reserved by calls in "
        f"flight; this call's estimate ${amount:.4f} would pass ${limit:.2f}; no paid call "
        "was made"
    )


class SqliteReservations:
    def __init__(self, path: Path) -> None:
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(
            path, check_same_thread=False, timeout=30, isolation_level=None
        )

    def reserve(
        self,
        amount_usd: float,
        *,
        client: str,
        client_limit_usd: float,
        global_limit_usd: float,
        ttl_seconds: float,
    ) -> int:
        now = time.time()
        today = start_of_today()
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                checks: list[tuple[str, str, str, tuple[str, ...], float]] = [
                    ("all clients", SPENT, HELD, (), global_limit_usd)
                ]
                if client_limit_usd > 0:
                    checks.append(
                        (
                            f"client {client!r}",
                            SPENT + " AND client = ?",
                            HELD + " AND client = ?",
                            (client,),
                            client_limit_usd,
                        )
                    )
                for scope, spent_sql, held_sql, extra, limit in checks:
                    spent = float(conn.execute(spent_sql, (today, *extra)).fetchone()[0])
                    held = float(conn.execute(held_sql, (now, *extra)).fetchone()[0])
                    if spent + held + amount_usd > limit:
                        raise BudgetExceededError(
                            budget_error(scope, spent, held, amount_usd, limit)
                        )
                cursor = conn.execute(
                    "INSERT INTO reservations (client, amount_usd, ts, expires) "
                    "VALUES (?, ?, ?, ?)",
                    (client, amount_usd, now, now + ttl_seconds),
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return int(cursor.lastrowid or 0)

    def release(self, reservation_id: int) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM reservations WHERE id = ?", (reservation_id,))
            # expired leftovers of killed processes go too
            self._conn.execute("DELETE FROM reservations WHERE expires < ?", (time.time(),))

    def reserved_usd(self, client: str | None = None) -> float:
        sql, params = HELD, [time.time()]
        if client is not None:
            sql += " AND client = ?"
            params.append(client)  # type: ignore[arg-type]
        with self._lock:
            return float(self._conn.execute(sql, params).fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()
