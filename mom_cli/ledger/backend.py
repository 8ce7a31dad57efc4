"""Which ledger a process writes to: SQLite by default, PostgreSQL when given a URL.

`LedgerStore` is the read/write surface of `store.Ledger` that the pool, the budget guard
and `mom cost` use; `postgres.PostgresLedger` implements the same surface, so a team's
`mom serve` instances can share one ledger. `Reservations` holds spend reserved before a
paid call and released after it is recorded, so concurrent processes cannot together
pass a budget by more than what is in flight.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from mom_cli.errors import UsageError
from mom_cli.ledger.store import Ledger, LedgerEntry, LedgerRow


@runtime_checkable
class LedgerStore(Protocol):
    @property
    def schema_version(self) -> int: ...
    def record(self, entry: LedgerEntry) -> int: ...
    def set_outcome(self, row_id: int, outcome: str, detail: str = "") -> None: ...
    def spent_since(self, since_ts: float) -> float: ...
    def spent_today(self) -> float: ...
    def requests_today(self, provider: str) -> int: ...
    def rows(self, since_ts: float | None = None, run_id: str | None = None) -> list[LedgerRow]: ...
    def outcomes(self, since_ts: float | None = None) -> list[tuple[str, str, bool]]: ...
    def close(self) -> None: ...


@runtime_checkable
class Reservations(Protocol):
    def reserve(
        self,
        amount_usd: float,
        *,
        client: str,
        client_limit_usd: float,
        global_limit_usd: float,
        ttl_seconds: float,
    ) -> int:
        """Atomically check today's spent + reserved + amount against the global limit and
        the client's (client limit 0 = none) and hold `amount_usd`; return the reservation
        id or raise BudgetExceededError."""
        ...

    def release(self, reservation_id: int) -> None: ...
    def reserved_usd(self, client: str | None = None) -> float: ...


def is_postgres_url(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


def describe(url: str) -> str:
    """The URL without its password, for messages and logs."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in creds else f"{scheme}://{user}@{host}"


def open_ledger(url: str | None = None) -> tuple[LedgerStore, Reservations]:
    """The ledger and reservation book at `url`: None or a path = SQLite (the default
    user ledger when None), `postgresql://…` = a shared PostgreSQL database."""
    if url and is_postgres_url(url):
        from mom_cli.ledger.postgres import PostgresLedger

        pg = PostgresLedger(url)
        return pg, pg
    if url and "://" in url and not url.startswith("sqlite:///"):
        raise UsageError(f"--ledger {describe(url)}: expected a file path or postgresql://…")
    from mom_cli.ledger.reservations import SqliteReservations

    path = Path(url.removeprefix("sqlite:///")) if url else None
    ledger = Ledger(path)
    return ledger, SqliteReservations(ledger.path)
