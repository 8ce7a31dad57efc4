"""Per-request accounting that the provider pool cannot see: whose call it is.

The pool records ledger rows and checks the budget with no notion of a client. The
gateway wraps both: `ScopedLedger` stamps each row with the client id of the request
running in the current asyncio task (a ContextVar) and releases the reservation made for
that call; `ReservingBudget` turns the pool's budget check into an atomic reservation
against the global and the client's daily limits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field, replace

from mom_cli.config import CostSection
from mom_cli.events import EventSink, null_sink
from mom_cli.ledger.backend import LedgerStore, Reservations
from mom_cli.ledger.budget import BudgetGuard
from mom_cli.ledger.store import LedgerEntry, LedgerRow
from mom_cli.ledger.writer import LedgerWriter


@dataclass
class RequestScope:
    client: str
    client_budget_usd: float = 0.0
    open_reservations: set[int] = field(default_factory=set)
    calls: list[LedgerEntry] = field(default_factory=list)
    unwritten: list[asyncio.Future[int]] = field(default_factory=list)  # rows in the writer

    @property
    def cost_usd(self) -> float:
        return sum(c.cost_usd for c in self.calls)

    @property
    def tokens(self) -> tuple[int, int]:
        return sum(c.input_tokens for c in self.calls), sum(c.output_tokens for c in self.calls)


current_scope: ContextVar[RequestScope | None] = ContextVar("mom_gateway_scope", default=None)
# The reservation of the call in flight in this task (pool: check → adapter → record).
pending_reservation: ContextVar[int] = ContextVar("mom_gateway_reservation", default=0)


class ScopedLedger:
    """A LedgerStore that adds the client id, settles reservations and feeds metrics."""

    def __init__(
        self,
        inner: LedgerStore,
        reservations: Reservations,
        on_record: Callable[[LedgerEntry], None] = lambda _e: None,
        writer: LedgerWriter | None = None,
    ) -> None:
        self.inner = inner
        self.reservations = reservations
        self.on_record = on_record
        self.writer = writer

    @property
    def path(self) -> object:
        return getattr(self.inner, "path", "")

    @property
    def schema_version(self) -> int:
        return self.inner.schema_version

    def record(self, entry: LedgerEntry) -> int:
        scope = current_scope.get()
        return self.record_in(scope, entry, pending_reservation.get())

    def record_in(self, scope: RequestScope | None, entry: LedgerEntry, reservation: int) -> int:
        """Write the row first, then release its reservation: in between the money counts
        twice (never zero times), so a crash can only make the budget stricter. With a
        writer both happen on its thread (the row id is then 0: the gateway needs none)
        and `settle(scope)` waits for them."""
        if scope is not None:
            entry = replace(entry, client=scope.client)
        row = 0
        if self.writer is not None:
            future = self.writer.submit(entry, reservation)
            if future is not None and scope is not None:
                scope.unwritten.append(future)
        else:
            row = self.inner.record(entry)
            if reservation:
                self.reservations.release(reservation)
        if reservation:
            if reservation == pending_reservation.get():
                pending_reservation.set(0)
            if scope is not None:
                scope.open_reservations.discard(reservation)
        if scope is not None:
            scope.calls.append(entry)
        self.on_record(entry)
        return row

    async def settle(self, scope: RequestScope) -> None:
        """Wait until the scope's rows are committed (before a response's last byte)."""
        pending, scope.unwritten = scope.unwritten, []
        for future in pending:
            await future

    def release_open(self, scope: RequestScope) -> None:
        """Reservations of calls that never recorded (cancelled): free them now."""
        for reservation in list(scope.open_reservations):
            self.reservations.release(reservation)
        scope.open_reservations.clear()

    def set_outcome(self, row_id: int, outcome: str, detail: str = "") -> None:
        self.inner.set_outcome(row_id, outcome, detail)

    def spent_since(self, since_ts: float) -> float:
        return self.inner.spent_since(since_ts)

    def spent_today(self) -> float:
        return self.inner.spent_today()

    def requests_today(self, provider: str) -> int:
        return self.inner.requests_today(provider)

    def rows(self, since_ts: float | None = None, run_id: str | None = None) -> list[LedgerRow]:
        return self.inner.rows(since_ts, run_id)

    def outcomes(self, since_ts: float | None = None) -> list[tuple[str, str, bool]]:
        return self.inner.outcomes(since_ts)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()  # drain the queue first: no completed call loses its row
        self.inner.close()
        close = getattr(self.reservations, "close", None)
        if close is not None and self.reservations is not self.inner:
            close()


class ReservingBudget(BudgetGuard):
    """The pool's pre-call budget check, as an atomic reservation shared by all instances."""

    def __init__(
        self,
        cost: CostSection,
        ledger: ScopedLedger,
        reservations: Reservations,
        ttl_seconds: float,
        sink: EventSink = null_sink,
    ) -> None:
        super().__init__(cost, ledger, sink)
        self.reservations = reservations
        self.ttl_seconds = ttl_seconds

    def check(self, *, paid: bool, estimated_usd: float = 0.0) -> None:
        if not paid:
            return
        scope = current_scope.get()
        reservation = self.reservations.reserve(
            max(estimated_usd, 0.0),
            client=scope.client if scope else "",
            client_limit_usd=scope.client_budget_usd if scope else 0.0,
            global_limit_usd=self.cost.stop_threshold_usd,
            ttl_seconds=self.ttl_seconds,
        )
        pending_reservation.set(reservation)
        if scope is not None:
            scope.open_reservations.add(reservation)
