"""The SQLite ledger: one row per model call (and per rule attempt), with migrations.

Every figure mom prints about tokens and dollars is computed from these rows.
API keys never reach this module: entries carry provider and endpoint names only.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from pathlib import Path

from mom_cli.paths import ledger_path

# Each migration moves the schema from version i to i+1. Never edit one that shipped.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE calls (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ts REAL NOT NULL,
        run_id TEXT NOT NULL DEFAULT '',
        task_id TEXT NOT NULL DEFAULT '',
        provider TEXT NOT NULL,
        model TEXT NOT NULL,
        model_id TEXT NOT NULL DEFAULT '',
        tier TEXT NOT NULL,
        endpoint TEXT NOT NULL DEFAULT '',
        input_tokens INTEGER NOT NULL DEFAULT 0,
        output_tokens INTEGER NOT NULL DEFAULT 0,
        cost_usd REAL NOT NULL DEFAULT 0,
        latency_ms REAL NOT NULL DEFAULT 0,
        outcome TEXT NOT NULL
    );
    CREATE INDEX calls_ts ON calls(ts);
    """,
    """
    ALTER TABLE calls ADD COLUMN category TEXT NOT NULL DEFAULT '';
    ALTER TABLE calls ADD COLUMN detail TEXT NOT NULL DEFAULT '';
    CREATE INDEX calls_provider_ts ON calls(provider, ts);
    """,
    # 3: the gateway's client id per call, and spend reserved before paid calls
    # (ledger/migrations.py holds the PostgreSQL text of every step, in lockstep).
    """
    ALTER TABLE calls ADD COLUMN client TEXT NOT NULL DEFAULT '';
    CREATE INDEX calls_client_ts ON calls(client, ts);
    CREATE TABLE reservations (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        client TEXT NOT NULL DEFAULT '',
        amount_usd REAL NOT NULL,
        ts REAL NOT NULL,
        expires REAL NOT NULL
    );
    """,
)

OK_OUTCOMES = frozenset({"ok", "validated"})


@dataclass(frozen=True)
class LedgerEntry:
    """One call. `outcome` is "ok", "validated", "failed_validation" or an error class name."""

    provider: str
    model: str
    model_id: str
    tier: str
    endpoint: str
    input_tokens: int
    output_tokens: int
    cost_usd: float
    latency_ms: float
    outcome: str
    run_id: str = ""
    task_id: str = ""
    category: str = ""
    detail: str = ""
    ts: float = field(default_factory=time.time)
    client: str = ""  # the gateway client's id (never its token); "" outside `mom serve`


# The columns of a row, and its INSERT (asdict's deep copy costs more than the insert).
_COLUMNS = tuple(f.name for f in fields(LedgerEntry))
_INSERT = f"INSERT INTO calls ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' for _ in _COLUMNS)})"


@dataclass(frozen=True)
class LedgerRow(LedgerEntry):
    id: int = 0


def start_of_today() -> float:
    now = datetime.now()
    return now.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


class Ledger:
    """Thread-safe append-mostly store. Opening it applies pending migrations."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or ledger_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        self._conn.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL stays consistent on power loss and skips an fsync per row (4 ms → 0.1 ms).
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._migrate()

    def _migrate(self) -> None:
        with self._lock, self._conn:
            version = self._conn.execute("PRAGMA user_version").fetchone()[0]
            for index in range(version, len(MIGRATIONS)):
                self._conn.executescript(
                    "BEGIN;" + MIGRATIONS[index] + f"PRAGMA user_version = {index + 1};COMMIT;"
                )

    @property
    def schema_version(self) -> int:
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def record(self, entry: LedgerEntry) -> int:
        data = asdict(entry)
        columns = ", ".join(data)
        marks = ", ".join("?" for _ in data)
        with self._lock, self._conn:
            cursor = self._conn.execute(
                f"INSERT INTO calls ({columns}) VALUES ({marks})", tuple(data.values())
            )
        return int(cursor.lastrowid or 0)

    def record_many(self, entries: list[LedgerEntry]) -> list[int]:
        """Several rows in one transaction (the gateway's writer thread batches them)."""
        ids: list[int] = []
        with self._lock, self._conn:
            for entry in entries:
                cursor = self._conn.execute(
                    _INSERT, tuple(getattr(entry, name) for name in _COLUMNS)
                )
                ids.append(int(cursor.lastrowid or 0))
        return ids

    def set_outcome(self, row_id: int, outcome: str, detail: str = "") -> None:
        """Record what became of a call after it returned ("validated", "failed_validation"):
        the call itself succeeded, but only validation says whether its answer was good."""
        if row_id <= 0:
            return
        with self._lock, self._conn:
            self._conn.execute(
                "UPDATE calls SET outcome = ?, detail = CASE WHEN ? = '' THEN detail ELSE ? END "
                "WHERE id = ?",
                (outcome, detail, detail[:300], row_id),
            )

    @contextmanager
    def _query(self, sql: str, params: tuple[object, ...] = ()) -> Iterator[sqlite3.Cursor]:
        with self._lock:
            yield self._conn.execute(sql, params)

    def spent_since(self, since_ts: float) -> float:
        with self._query(
            "SELECT COALESCE(SUM(cost_usd), 0) FROM calls WHERE ts >= ?", (since_ts,)
        ) as c:
            return float(c.fetchone()[0])

    def spent_today(self) -> float:
        return self.spent_since(start_of_today())

    def requests_today(self, provider: str) -> int:
        sql = "SELECT COUNT(*) FROM calls WHERE provider = ? AND ts >= ?"
        with self._query(sql, (provider, start_of_today())) as c:
            return int(c.fetchone()[0])

    def rows(self, since_ts: float | None = None, run_id: str | None = None) -> list[LedgerRow]:
        names = [f.name for f in fields(LedgerRow)]
        sql = f"SELECT {', '.join(names)} FROM calls WHERE ts >= ?"
        params: list[object] = [since_ts or 0.0]
        if run_id is not None:
            sql += " AND run_id = ?"
            params.append(run_id)
        with self._query(sql + " ORDER BY id", tuple(params)) as c:
            return [LedgerRow(**dict(zip(names, row, strict=True))) for row in c.fetchall()]

    def outcomes(self, since_ts: float | None = None) -> list[tuple[str, str, bool]]:
        """(model, category, succeeded) for every categorised call: the learning signal."""
        sql = "SELECT model, category, outcome FROM calls WHERE category != '' AND ts >= ?"
        with self._query(sql, (since_ts or 0.0,)) as c:
            return [(m, cat, out in OK_OUTCOMES) for m, cat, out in c.fetchall()]

    def verdicts(self, category: str) -> dict[str, tuple[int, int]]:
        """model → (validated, failed_validation) calls of `category`, all runs: whether a
        model has ever produced an edit of this kind that passed the project's checks."""
        sql = (
            "SELECT model, SUM(outcome = 'validated'), SUM(outcome = 'failed_validation') "
            "FROM calls WHERE category = ? GROUP BY model"
        )
        with self._query(sql, (category,)) as c:
            return {m: (int(v or 0), int(f or 0)) for m, v, f in c.fetchall()}

    def close(self) -> None:
        with self._lock:
            self._conn.close()
