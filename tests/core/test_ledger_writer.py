"""LedgerWriter: rows from an event loop are committed off it, in batches, and only then are
their reservations released; close() drains the queue; without a loop it writes inline."""

from __future__ import annotations

import asyncio
from pathlib import Path

from mom_cli.ledger.backend import open_ledger
from mom_cli.ledger.store import Ledger, LedgerEntry
from mom_cli.ledger.writer import LedgerWriter


def _entry(i: int, cost: float = 0.0) -> LedgerEntry:
    return LedgerEntry("p", f"m{i}", "mid", "t", "e", 1, 2, cost, 1.0, "ok", client="c")


def test_rows_are_committed_before_their_futures_resolve(tmp_path: Path) -> None:
    store, reservations = open_ledger(str(tmp_path / "l.sqlite3"))
    writer = LedgerWriter(store, reservations)
    held = [
        reservations.reserve(
            0.5, client="c", client_limit_usd=0, global_limit_usd=100, ttl_seconds=60
        )  # fmt: skip
        for _ in range(3)
    ]
    assert reservations.reserved_usd() == 1.5

    async def go() -> list[int]:
        futures = [writer.submit(_entry(i, 0.5), held[i] if i < 3 else 0) for i in range(40)]
        ids = []
        for future in futures:
            assert future is not None
            ids.append(await future)
            # once a row's future resolves, its row is readable from another connection
            assert len(Ledger(tmp_path / "l.sqlite3").rows()) >= len(ids)
        return ids

    ids = asyncio.run(go())
    assert len(set(ids)) == 40 and all(i > 0 for i in ids)
    assert reservations.reserved_usd() == 0.0  # released after the commit
    writer.close()
    assert [r.model for r in store.rows()] == [f"m{i}" for i in range(40)]
    store.close()


def test_close_drains_and_later_rows_are_written_inline(tmp_path: Path) -> None:
    store, reservations = open_ledger(str(tmp_path / "l.sqlite3"))
    writer = LedgerWriter(store, reservations)

    async def submit_and_leave() -> None:
        for i in range(25):
            writer.submit(_entry(i))  # nobody awaits: close() must still write them

    asyncio.run(submit_and_leave())
    writer.close()
    assert len(store.rows()) == 25
    assert writer.submit(_entry(99)) is None  # no loop (and closed): written now
    assert len(store.rows()) == 26
    store.close()


class _BatchCountingLedger(Ledger):
    """A SQLite ledger that remembers how many rows each transaction wrote."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.batches: list[int] = []

    def record_many(self, entries: list[LedgerEntry]) -> list[int]:
        self.batches.append(len(entries))
        return super().record_many(entries)


def test_rows_of_one_loop_iteration_reach_the_thread_together(tmp_path: Path) -> None:
    """A burst of answers (rows submitted without the loop yielding in between) is one
    hand-off to the thread and one transaction, not one wake-up per row."""
    _, reservations = open_ledger(str(tmp_path / "l.sqlite3"))
    store = _BatchCountingLedger(tmp_path / "l.sqlite3")
    writer = LedgerWriter(store, reservations)

    async def burst() -> list[int]:
        futures = [writer.submit(_entry(i)) for i in range(40)]
        return [await f for f in futures if f is not None]

    ids = asyncio.run(burst())
    writer.close()
    assert len(ids) == 40 and store.batches == [40]
    store.close()


def test_close_writes_rows_whose_hand_off_has_not_run_yet(tmp_path: Path) -> None:
    store, reservations = open_ledger(str(tmp_path / "l.sqlite3"))
    writer = LedgerWriter(store, reservations)

    async def submit_then_close() -> None:
        for i in range(5):
            writer.submit(_entry(i))
        writer.close()  # same iteration: the loop has not handed the rows over yet

    asyncio.run(submit_then_close())
    assert [r.model for r in store.rows()] == [f"m{i}" for i in range(5)]
    store.close()
