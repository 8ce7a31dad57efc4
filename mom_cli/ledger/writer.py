"""Ledger rows written off the event loop, many per transaction (group commit).

The gateway records a row per upstream call. Written inline, each row was a SQLite (or
PostgreSQL) commit on the event loop thread: the biggest single cost of a pass-through
request once the upstream call itself was cheap, and a stall for every other request
while the disk or the database answered. Here one thread drains a queue and writes
whatever has piled up in one transaction, then releases the budget reservations of those
rows (after the commit, so a crash can only count money twice, never zero times), then
resolves each row's future on its event loop. The gateway awaits a request's futures
before it sends the response's last byte, so "completed" keeps its meaning: a client
that received a whole answer has its rows committed.

Rows reach the thread once per event-loop iteration, not once per row: each hand-off to a
waiting thread wakes it and takes the GIL from the loop, and a burst of answers (32 clients
whose upstream replies arrive together) cost 32 hand-offs where one does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable

from mom_cli.ledger.backend import LedgerStore, Reservations
from mom_cli.ledger.store import LedgerEntry

log = logging.getLogger("mom.ledger")
_Job = tuple[LedgerEntry, int, "asyncio.Future[int] | None"]
BATCH_ROWS = 512  # at most this many rows per transaction


class LedgerWriter:
    """One writer thread per process for `store` (and the reservations it releases)."""

    def __init__(self, store: LedgerStore, reservations: Reservations) -> None:
        self.store = store
        self.reservations = reservations
        self._queue: queue.SimpleQueue[list[_Job] | None] = queue.SimpleQueue()
        # rows submitted on each loop during its current iteration, handed over by _flush
        self._pending: dict[asyncio.AbstractEventLoop, list[_Job]] = {}
        self._pending_lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="mom-ledger-writer", daemon=True)
        self._closed = False
        self._thread.start()

    def submit(self, entry: LedgerEntry, reservation: int = 0) -> asyncio.Future[int] | None:
        """Queue a row; its future (on the running loop) gets the row id once committed.
        Without a running loop, or after close(), the row is written here and now."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is not None:
            future: asyncio.Future[int] = loop.create_future()
            with self._pending_lock:  # close() flips _closed under it: no row is stranded
                if not self._closed:
                    rows = self._pending.get(loop)
                    if rows is None:
                        rows = self._pending[loop] = []
                        loop.call_soon(self._flush, loop)
                    rows.append((entry, reservation, future))
                    return future
        self._write([(entry, reservation, None)])
        return None

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        """Hand this loop's rows of the last iteration to the thread, in one put."""
        with self._pending_lock:
            rows = self._pending.pop(loop, None)
        if rows:
            self._queue.put(rows)

    def close(self) -> None:
        """Write everything submitted (flushed or not), then stop the thread."""
        with self._pending_lock:
            if self._closed:
                return
            self._closed = True
            left, self._pending = list(self._pending.values()), {}
        for rows in left:  # a loop that closed before its flush ran still has its rows
            self._queue.put(rows)
        self._queue.put(None)
        self._thread.join(timeout=30)

    # -- the thread ------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            first = self._queue.get()
            batch: list[_Job] = [] if first is None else list(first)
            stop = first is None
            while not stop and len(batch) < BATCH_ROWS:
                try:
                    rows = self._queue.get_nowait()
                except queue.Empty:
                    break
                if rows is None:
                    stop = True
                else:
                    batch.extend(rows)
            if batch:
                self._write(batch)
            if stop:
                return

    def _write(self, batch: list[_Job]) -> None:
        entries = [entry for entry, _, _ in batch]
        try:
            many = getattr(self.store, "record_many", None)
            ids = many(entries) if many else [self.store.record(e) for e in entries]
            for _, reservation, _ in batch:
                if reservation:
                    self.reservations.release(reservation)
        except Exception as exc:  # the futures carry it to the requests that wait
            log.error("ledger write of %d row(s) failed: %s", len(batch), exc)
            failure = exc
            _settle(batch, lambda f, _i: f.set_exception(failure))
            if all(f is None for _, _, f in batch):
                raise
            return
        _settle(batch, lambda f, i: f.set_result(ids[i]))


def _settle(batch: list[_Job], act: Callable[[asyncio.Future[int], int], None]) -> None:
    """Resolve the batch's futures: one wake-up per event loop, not one per row."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[int], int]]] = {}
    for index, (_, _, future) in enumerate(batch):
        if future is not None:
            by_loop.setdefault(future.get_loop(), []).append((future, index))

    def resolve(items: list[tuple[asyncio.Future[int], int]]) -> None:
        for future, index in items:
            if not future.done():
                act(future, index)

    for loop, items in by_loop.items():
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
            loop.call_soon_threadsafe(resolve, items)
