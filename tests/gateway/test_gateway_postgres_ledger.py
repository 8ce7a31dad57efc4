"""The PostgreSQL ledger backend against a real server: same surface, same migrations."""

from __future__ import annotations

import threading
from dataclasses import fields

import pytest

from mom_cli.errors import BudgetExceededError
from mom_cli.ledger.backend import LedgerStore, Reservations, describe, open_ledger
from mom_cli.ledger.migrations import POSTGRES_MIGRATIONS
from mom_cli.ledger.report import build_report
from mom_cli.ledger.store import MIGRATIONS, Ledger, LedgerEntry, LedgerRow


def entry(cost: float, client: str = "", outcome: str = "ok") -> LedgerEntry:
    return LedgerEntry(
        provider="p",
        model="m",
        model_id="m-1",
        tier="t",
        endpoint="e",
        input_tokens=10,
        output_tokens=20,
        cost_usd=cost,
        latency_ms=1.5,
        outcome=outcome,
        category="code",
        client=client,
    )


def test_postgres_ledger_matches_sqlite(pg_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    pg, book = open_ledger(pg_url)
    lite = Ledger(tmp_path / "l.sqlite3")
    assert isinstance(pg, LedgerStore) and isinstance(book, Reservations)
    assert pg.schema_version == lite.schema_version == len(MIGRATIONS) == len(POSTGRES_MIGRATIONS)
    for store in (pg, lite):
        first = store.record(entry(0.25, "alice"))
        store.record(entry(0.5, "bob", "RateLimitedError"))
        store.set_outcome(first, "validated", "checks passed")
    pg_rows, lite_rows = pg.rows(), lite.rows()
    strip = [f.name for f in fields(LedgerRow) if f.name not in ("id", "ts")]
    assert [[getattr(r, n) for n in strip] for r in pg_rows] == [
        [getattr(r, n) for n in strip] for r in lite_rows
    ]
    assert pg.spent_today() == lite.spent_today() == 0.75
    assert pg.requests_today("p") == 2
    assert sorted(pg.outcomes()) == sorted(lite.outcomes())
    assert build_report(pg_rows, _config()).cost_usd == 0.75
    pg.close()
    again, _ = open_ledger(pg_url)  # reopening migrates nothing and keeps the rows
    assert again.schema_version == len(MIGRATIONS) and len(again.rows()) == 2
    again.close()


def _config():  # type: ignore[no-untyped-def]
    from mom_cli.config import load_config

    return load_config().config


def test_reservations_hold_back_concurrent_spenders(pg_url: str) -> None:
    stores = [open_ledger(pg_url) for _ in range(4)]
    granted: list[int] = []
    refused: list[str] = []
    lock = threading.Lock()

    def spend(book: Reservations) -> None:
        for _ in range(10):
            try:
                rid = book.reserve(
                    0.1, client="team", client_limit_usd=1.0, global_limit_usd=100.0, ttl_seconds=60
                )
            except BudgetExceededError as exc:
                with lock:
                    refused.append(str(exc))
            else:
                with lock:
                    granted.append(rid)

    threads = [threading.Thread(target=spend, args=(book,)) for _, book in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(granted) == 10 and len(refused) == 30  # exactly $1.00 of $0.10 holds
    assert "client 'team'" in refused[0]
    book = stores[0][1]
    assert book.reserved_usd("team") == pytest.approx(1.0)
    for rid in granted:
        book.release(rid)
    assert book.reserved_usd() == 0
    for store, _ in stores:
        store.close()


def test_bad_url_is_a_clear_config_error() -> None:
    from mom_cli.errors import ConfigError

    with pytest.raises(ConfigError, match=r"cannot connect") as info:
        open_ledger("postgresql://mom:hunter2@127.0.0.1:1/nope")
    assert "hunter2" not in str(info.value)
    assert describe("postgresql://mom:hunter2@h/db") == "postgresql://mom:***@h/db"
