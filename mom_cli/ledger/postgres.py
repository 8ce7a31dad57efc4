"""The ledger and spend reservations in PostgreSQL, shared by every `mom serve` instance.

Same surface as store.Ledger (backend.LedgerStore) plus backend.Reservations. One
connection per process, autocommit, guarded by a lock: the pool records from async code
and a loopback INSERT takes well under a millisecond. Reservations run under one
transaction-scoped advisory lock, so the check-then-hold step is atomic across instances.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, fields
from typing import Any

from mom_cli.errors import BudgetExceededError, ConfigError
from mom_cli.ledger.backend import describe
from mom_cli.ledger.migrations import migrate_postgres
from mom_cli.ledger.reservations import budget_error
from mom_cli.ledger.store import OK_OUTCOMES, LedgerEntry, LedgerRow, start_of_today

RESERVE_LOCK = 0x6D6F6D02


class PostgresLedger:
    def __init__(self, url: str) -> None:
        try:
            import psycopg
        except ImportError:
            raise ConfigError(
                "--ledger postgresql://…: the PostgreSQL driver is not installed; "
                "run: pip install 'mom-cli[serve]'"
            ) from None
        self.url = url
        self.path = describe(url)  # what `mom cost` prints as the ledger's location
        try:
            self._conn: Any = psycopg.connect(url, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ConfigError(f"--ledger {self.path}: cannot connect: {first}") from None
        self._lock = threading.Lock()
        with self._lock:
            self._version = migrate_postgres(self._conn)

    @property
    def schema_version(self) -> int:
        return self._version

    def _one(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        with self._lock:
            row = self._conn.execute(sql, params).fetchone()
        return row[0] if row else None

    def record(self, entry: LedgerEntry) -> int:
        data = asdict(entry)
        columns = ", ".join(data)
        marks = ", ".join("%s" for _ in data)
        sql = f"INSERT INTO calls ({columns}) VALUES ({marks}) RETURNING id"
        return int(self._one(sql, tuple(data.values())))

    def record_many(self, entries: list[LedgerEntry]) -> list[int]:
        """Several rows in one transaction (the gateway's writer thread batches them)."""
        ids: list[int] = []
        with self._lock, self._conn.transaction():
            for entry in entries:
                data = asdict(entry)
                sql = (
                    f"INSERT INTO calls ({', '.join(data)}) VALUES "
                    f"({', '.join('%s' for _ in data)}) RETURNING id"
                )
                ids.append(int(self._conn.execute(sql, tuple(data.values())).fetchone()[0]))
        return ids

    def set_outcome(self, row_id: int, outcome: str, detail: str = "") -> None:
        if row_id <= 0:
            return
        with self._lock:
            self._conn.execute(
                "UPDATE calls SET outcome = %s, detail = CASE WHEN %s = '' THEN detail "
                "ELSE %s END WHERE id = %s",
                (outcome, detail, detail[:300], row_id),
            )

    def spent_since(self, since_ts: float) -> float:
        return float(
            self._one("SELECT COALESCE(SUM(cost_usd), 0) FROM calls WHERE ts >= %s", (since_ts,))
        )

    def spent_today(self) -> float:
        return self.spent_since(start_of_today())

    def requests_today(self, provider: str) -> int:
        sql = "SELECT COUNT(*) FROM calls WHERE provider = %s AND ts >= %s"
        return int(self._one(sql, (provider, start_of_today())))

    def rows(self, since_ts: float | None = None, run_id: str | None = None) -> list[LedgerRow]:
        names = [f.name for f in fields(LedgerRow)]
        sql = f"SELECT {', '.join(names)} FROM calls WHERE ts >= %s"
        params: list[object] = [since_ts or 0.0]
        if run_id is not None:
            sql += " AND run_id = %s"
            params.append(run_id)
        with self._lock:
            found = self._conn.execute(sql + " ORDER BY id", tuple(params)).fetchall()
        return [LedgerRow(**dict(zip(names, row, strict=True))) for row in found]

    def outcomes(self, since_ts: float | None = None) -> list[tuple[str, str, bool]]:
        sql = (
            "SELECT model, category, outcome FROM calls WHERE category != '' AND ts >= %s "
            "ORDER BY id"
        )
        with self._lock:
            found = self._conn.execute(sql, (since_ts or 0.0,)).fetchall()
        return [(m, cat, out in OK_OUTCOMES) for m, cat, out in found]

    # -- backend.Reservations ------------------------------------------------------------
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
        spent_sql = "SELECT COALESCE(SUM(cost_usd), 0) FROM calls WHERE ts >= %s"
        held_sql = "SELECT COALESCE(SUM(amount_usd), 0) FROM reservations WHERE expires > %s"
        checks: list[tuple[str, str, str, tuple[Any, ...], float]] = [
            ("all clients", spent_sql, held_sql, (), global_limit_usd)
        ]
        if client_limit_usd > 0:
            checks.append(
                (
                    f"client {client!r}",
                    spent_sql + " AND client = %s",
                    held_sql + " AND client = %s",
                    (client,),
                    client_limit_usd,
                )
            )
        with self._lock, self._conn.transaction():
            conn = self._conn
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (RESERVE_LOCK,))
            for scope, s_sql, h_sql, extra, limit in checks:
                spent = float(conn.execute(s_sql, (today, *extra)).fetchone()[0])
                held = float(conn.execute(h_sql, (now, *extra)).fetchone()[0])
                if spent + held + amount_usd > limit:
                    raise BudgetExceededError(budget_error(scope, spent, held, amount_usd, limit))
            row = conn.execute(
                "INSERT INTO reservations (client, amount_usd, ts, expires) "
                "VALUES (%s, %s, %s, %s) RETURNING id",
                (client, amount_usd, now, now + ttl_seconds),
            ).fetchone()
        return int(row[0])

    def release(self, reservation_id: int) -> None:
        with self._lock:
            self._conn.execute(
                "DELETE FROM reservations WHERE id = %s OR expires < %s",
                (reservation_id, time.time()),
            )

    def reserved_usd(self, client: str | None = None) -> float:
        sql = "SELECT COALESCE(SUM(amount_usd), 0) FROM reservations WHERE expires > %s"
        params: tuple[Any, ...] = (time.time(),)
        if client is not None:
            sql += " AND client = %s"
            params += (client,)
        return float(self._one(sql, params))

    def close(self) -> None:
        with self._lock:
            self._conn.close()
