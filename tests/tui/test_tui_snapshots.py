"""Snapshots (pytest-textual-snapshot) of the main screen, the diff panel, the budget stop
screen and the error screen. Deterministic: fixed size, fixed clock, synthetic events,
no ledger or doctor lookups (load_status=False), no paths that vary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mom_cli.events import (
    AttemptFailed,
    ChangeHeld,
    CostRecorded,
    Escalated,
    TaskFinished,
    TaskRouted,
    TaskStarted,
)
from mom_cli.service.info import Money
from mom_cli.service.workspace import Workspace
from mom_cli.tui.app import MomApp
from mom_cli.tui.screens.budget_screen import BudgetStopScreen
from mom_cli.tui.widgets.diff_panel import DiffPanel

SIZE = (120, 36)
MONEY = Money(0.0123, 5.0, 4.0, 6.0, 0.0456, "claude-sonnet-4-5", 7)
TIERS = [
    {"tier": "rules", "usable": True},
    {"tier": "local", "usable": True},
    {"tier": "groq", "usable": False, "reason": "GROQ_API_KEY not set"},
    {"tier": "haiku", "usable": True},
]
DIFF = (
    "--- a/calc/ops.py\n+++ b/calc/ops.py\n@@ -3,3 +3,7 @@\n"
    " def add(a: int, b: int) -> int:\n     return a + b\n+\n+\n"
    "+def double(x: int) -> int:\n+    return x * 2\n"
)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        self.now += 1.5
        return self.now


def session(tmp_path: Path) -> MomApp:
    from mom_cli.config import load_config

    repo = tmp_path / "calc"
    repo.mkdir(exist_ok=True)
    ws = Workspace(repo, load_config(environ={}).config)
    app = MomApp(ws, clock=Clock(), load_status=False)
    for event in (
        TaskStarted("t1", "Add double(x) to calc/ops.py"),
        TaskStarted("t2", "Add two() to calc/more.py"),
        TaskRouted("t1", "deepseek", "deepseek-chat"),
        TaskRouted("t2", "local", "smollm2"),
        CostRecorded("t1", "deepseek", "deepseek-chat", 223, 23, 0.000086),
        AttemptFailed("t1", "deepseek", "deepseek-chat", "tests: test_add: assert -1 == 5"),
        Escalated("t1", "deepseek", "haiku", "tests failed: test_add"),
        TaskRouted("t1", "haiku", "haiku"),
        CostRecorded("t1", "haiku", "haiku", 324, 23, 0.000439),
        ChangeHeld("t1", "", ("calc/ops.py",), ("syntax:passed", "build:passed", "tests:passed")),
        TaskFinished("t1", "passed"),
    ):
        app.pump(event)
    return app


async def _settle(pilot: Any) -> None:
    app = pilot.app
    app.show_status(MONEY, TIERS)
    app.drain()
    await pilot.pause()


def test_main_screen(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(session(tmp_path), terminal_size=SIZE, run_before=_settle)


def test_diff_panel(snap_compare: Any, tmp_path: Path) -> None:
    async def show(pilot: Any) -> None:
        await _settle(pilot)
        app = pilot.app
        row = app.state.steps["t1"]
        app.query_one(DiffPanel).show_step(row, DIFF)
        await pilot.pause()

    assert snap_compare(session(tmp_path), terminal_size=SIZE, run_before=show)


def test_budget_stop_screen(snap_compare: Any, tmp_path: Path) -> None:
    async def stop(pilot: Any) -> None:
        await _settle(pilot)
        pilot.app.push_screen(
            BudgetStopScreen("Today's spend $6.0100 reached cost.stop_threshold_usd ($6.00).")
        )
        await pilot.pause()

    assert snap_compare(session(tmp_path), terminal_size=SIZE, run_before=stop)


def test_error_screen(snap_compare: Any) -> None:
    app = MomApp(None, startup_error="/work/x: not inside a git repository; pass --repo")
    assert snap_compare(app, terminal_size=SIZE)


@pytest.fixture(autouse=True)
def _no_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    """The request box's cursor blinks; a snapshot must not depend on when it was taken."""
    from textual.widgets import TextArea

    monkeypatch.setattr(TextArea, "cursor_blink", False, raising=False)
