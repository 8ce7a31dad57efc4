"""The SQLite ledger, budget guard and `mom cost` report."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mom_cli.cli.app import app
from mom_cli.config import load_config
from mom_cli.errors import BudgetExceededError
from mom_cli.events import Event, Notice
from mom_cli.ledger.budget import BudgetGuard
from mom_cli.ledger.report import build_report
from mom_cli.ledger.store import MIGRATIONS, Ledger, LedgerEntry

runner = CliRunner()


def entry(
    tier: str, model: str, cost: float, tokens: int = 1000, outcome: str = "ok"
) -> LedgerEntry:
    return LedgerEntry(
        provider=tier,
        model=model,
        model_id=model,
        tier=tier,
        endpoint="http://x",
        input_tokens=tokens,
        output_tokens=tokens // 2,
        cost_usd=cost,
        latency_ms=5.0,
        outcome=outcome,
        category="code",
    )


def test_migrations_upgrade_an_old_ledger(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0] + "PRAGMA user_version = 1;")
    conn.execute(
        "INSERT INTO calls (ts, provider, model, tier, outcome) VALUES (1, 'p', 'm', 't', 'ok')"
    )
    conn.commit()
    conn.close()
    ledger = Ledger(path)
    assert ledger.schema_version == len(MIGRATIONS)
    assert ledger.rows()[0].category == ""


def test_record_and_query(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "l.sqlite3")
    ledger.record(entry("local", "smollm2", 0.0))
    ledger.record(entry("groq", "groq-llama", 0.01, outcome="RateLimitedError"))
    assert ledger.spent_today() == pytest.approx(0.01)
    assert ledger.requests_today("groq") == 1
    assert ledger.outcomes() == [("smollm2", "code", True), ("groq-llama", "code", False)]


def test_budget_guard_warns_then_stops_but_never_blocks_free_calls(tmp_path: Path) -> None:
    cfg = load_config(environ={}).config
    ledger = Ledger(tmp_path / "l.sqlite3")
    seen: list[Event] = []
    guard = BudgetGuard(cfg.cost, ledger, seen.append)
    guard.check(paid=True, estimated_usd=0.01)
    assert seen == []
    ledger.record(entry("sonnet", "sonnet", cfg.cost.warn_threshold_usd + 0.5))
    guard.check(paid=True, estimated_usd=0.01)
    assert isinstance(seen[0], Notice) and seen[0].level == "warning"
    ledger.record(entry("sonnet", "sonnet", cfg.cost.stop_threshold_usd))
    with pytest.raises(BudgetExceededError):
        guard.check(paid=True, estimated_usd=0.01)
    guard.check(paid=False)  # a $0 local call is never blocked


def test_report_savings_vs_top_tier(tmp_path: Path) -> None:
    cfg = load_config(environ={}).config
    rows_ledger = Ledger(tmp_path / "l.sqlite3")
    rows_ledger.record(entry("local", "smollm2", 0.0, tokens=2_000_000))
    rows_ledger.record(entry("groq", "groq-llama", 0.5))
    report = build_report(rows_ledger.rows(), cfg)
    sonnet = cfg.models["sonnet"]
    expected = sonnet.cost_usd(2_001_000, 1_000_500)
    assert report.baseline_cost_usd == pytest.approx(expected)
    assert report.savings_usd == pytest.approx(expected - 0.5)
    assert [ln.tier for ln in report.lines] == ["local", "groq"]
    assert report.lines[0].share_of_calls == 0.5


def test_failed_attempts_save_nothing(tmp_path: Path) -> None:
    """A run whose every local attempt failed did no work: the header must not claim it
    saved the top tier's price of those tokens (it said "saved $0.0629" after one)."""
    cfg = load_config(environ={}).config
    ledger = Ledger(tmp_path / "l.sqlite3")
    for _ in range(4):
        ledger.record(entry("local", "smollm2", 0.0, tokens=4000, outcome="check_failed"))
    report = build_report(ledger.rows(), cfg)
    assert report.baseline_cost_usd == 0.0 and report.savings_usd == 0.0
    ledger.record(entry("groq", "groq-llama", 0.002, outcome="check_failed"))
    ledger.record(entry("sonnet", "sonnet", 0.02, tokens=2000, outcome="validated"))
    report = build_report(ledger.rows(), cfg)
    sonnet = cfg.models["sonnet"]
    assert report.baseline_cost_usd == pytest.approx(sonnet.cost_usd(2000, 1000))
    assert report.savings_usd == pytest.approx(sonnet.cost_usd(2000, 1000) - 0.022)


def test_cost_command_json_and_bad_date(tmp_path: Path) -> None:
    Ledger().record(entry("local", "smollm2", 0.0))
    result = runner.invoke(app, ["cost", "--json", "--repo", str(tmp_path)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["calls"] == 1 and doc["cost_usd"] == 0.0
    bad = runner.invoke(app, ["cost", "--since", "yesterdayish", "--repo", str(tmp_path)])
    assert bad.exit_code == 2
    assert "expected a date" in bad.output
