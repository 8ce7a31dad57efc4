"""Validated-outcome store: (model, category, passed) per step attempt, in SQLite.

The shared ledger records one row per *call*, written by the provider pool, which cannot
know whether the answer later passed validation or which category the step was. This
small table holds exactly that learning signal, under the user home next to the ledger,
without adding synthetic rows to the ledger (which would distort call and quota counts).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from mom_cli.paths import user_home

FILE_NAME = "routing_outcomes.sqlite3"


class OutcomeStore:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or user_home() / FILE_NAME
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        with self._conn:
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS outcomes ("
                " ts REAL NOT NULL, model TEXT NOT NULL, category TEXT NOT NULL,"
                " passed INTEGER NOT NULL, tier TEXT NOT NULL DEFAULT '',"
                " run_id TEXT NOT NULL DEFAULT '')"
            )

    def record(
        self, model: str, category: str, passed: bool, *, tier: str = "", run_id: str = ""
    ) -> None:
        with self._lock, self._conn:
            self._conn.execute(
                "INSERT INTO outcomes VALUES (?, ?, ?, ?, ?, ?)",
                (time.time(), model, category, int(passed), tier, run_id),
            )

    def outcomes(self, since_ts: float | None = None) -> list[tuple[str, str, bool]]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT model, category, passed FROM outcomes WHERE ts >= ? ORDER BY rowid",
                (since_ts or 0.0,),
            ).fetchall()
        return [(m, c, bool(p)) for m, c, p in rows]

    def close(self) -> None:
        with self._lock:
            self._conn.close()
