"""The session shows control characters and markup in untrusted text, never obeys them."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pilot_helpers import SIZE, app_for, log_text
from rich.console import Console

from mom_cli.tui.screens.error_screen import ErrorScreen
from mom_cli.tui.state import StepRow
from mom_cli.tui.widgets.diff_panel import DiffPanel
from mom_cli.tui.widgets.plan_panel import PlanPanel

pytestmark = pytest.mark.anyio
HOSTILE = "x\x1b]0;pwned\x07[/]y\x1b[2J\rz"
SHOWN = "x\\x1b]0;pwned\\a[/]y\\x1b[2J\\rz"


def _controls(text: str) -> list[str]:
    return [ch for ch in text if (ord(ch) < 32 and ch not in "\n\t") or 127 <= ord(ch) < 160]


def _rendered(renderable: object) -> str:
    out = io.StringIO()
    Console(file=out, width=300, color_system=None).print(renderable, markup=False)
    return out.getvalue()


async def test_log_and_error_screen_show_control_characters(tmp_path: Path) -> None:
    plain = tmp_path / "plain[red]\x1b[2J"  # a folder name that is markup and an escape
    plain.mkdir()
    app = app_for(plain)
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, ErrorScreen)
        problem = str(app.screen.query_one("#error-problem").render())
        assert "plain[red]\\x1b[2J" in problem and not _controls(problem)
        app.log_line(HOSTILE)
        await pilot.pause(0.05)
        assert SHOWN in log_text(app) and not _controls(log_text(app))
        await pilot.press("q")


def test_plan_and_diff_panels_show_control_characters() -> None:
    row = StepRow(task_id="t[/]1\x1b[2J", description=HOSTILE, model="m\x07")
    row.failures.append(HOSTILE)
    cells = _rendered(" ".join(str(c) for c in PlanPanel.cells(row)))
    assert "t[/]1\\x1b[2J" in cells and not _controls(cells)
    diff = f"--- a/{HOSTILE}\n+++ b/{HOSTILE}\n@@ -1 +1 @@\n-a\n+{HOSTILE}\n"
    shown = _rendered(DiffPanel.renderable(row, diff))
    assert SHOWN in shown
    assert not _controls(shown)
