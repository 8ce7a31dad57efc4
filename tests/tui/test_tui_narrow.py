"""The session at the narrowest size it accepts (80×20) and across a resize: what it writes
stays readable without horizontal scrolling. Found on pallets/itsdangerous in tmux: /help's
lines were cut at the log's edge, and narrowing the window hid the rest of each line."""

from __future__ import annotations

from pathlib import Path

import pytest
from pilot_helpers import app_for, finish, submit
from textual.geometry import Region

from mom_cli.service.info import Money
from mom_cli.tui.app import MomApp
from mom_cli.tui.widgets.event_log import EventLog
from mom_cli.tui.widgets.money_bar import MoneyBar

pytestmark = pytest.mark.anyio

LONG = "anything else    a request: analyze → plan → run → validate (mom run)"


def fits(log: EventLog) -> bool:
    """No line is wider than the log shows: nothing hides behind a horizontal scroll."""
    return log.virtual_size.width <= log.scrollable_content_region.width


def shown(log: EventLog) -> str:
    """The log's rows as drawn, joined with single spaces (wrapping aside)."""
    return " ".join(" ".join(strip.text for strip in log.lines).split())


async def test_help_fits_the_log_at_80_columns(project: Path) -> None:
    app: MomApp = app_for(project, load_status=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await submit(pilot, "/help")
        await finish(pilot)
        log = app.query_one(EventLog)
        assert fits(log)
        assert " ".join(LONG.split()) in shown(log)
        rows = {r.split()[0]: r for r in log.text.splitlines() if r.startswith(("/help", "any"))}
        assert rows["/help"].index("this list") == rows["anything"].index("a request"), rows


async def test_lines_rewrap_when_the_terminal_narrows_and_widens(project: Path) -> None:
    app: MomApp = app_for(project, load_status=False)
    async with app.run_test(size=(160, 40)) as pilot:
        await submit(pilot, "/help")
        await finish(pilot)
        log = app.query_one(EventLog)
        wide_rows = len(log.lines)
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.2)
        assert fits(log)
        assert " ".join(LONG.split()) in shown(log)
        assert len(log.lines) > wide_rows  # re-wrapped, not cropped
        assert log.max_scroll_y > 0 and log.is_vertical_scroll_end  # the latest stays in view
        await pilot.resize_terminal(160, 40)
        await pilot.pause(0.2)
        assert len(log.lines) == wide_rows  # and back: no short lines left behind


async def test_money_bar_keeps_the_tiers_line_at_80_columns(project: Path) -> None:
    """The spend line wrapped onto the tiers line, which fell off the 2-row bar."""
    app: MomApp = app_for(project, load_status=False)
    async with app.run_test(size=(80, 24)) as pilot:
        bar = app.query_one(MoneyBar)
        bar.repo_name = "itsdangerous-tuitrial"
        bar.show(
            money=Money(0.0, 5.0, 4.0, 5.0, 0.0078, "claude-sonnet-4-5", 1),
            tiers=[{"tier": "rules", "usable": True}, {"tier": "sonnet", "usable": False}],
            busy="run running · Ctrl+C cancels",
        )
        await pilot.pause(0.1)
        rows = [strip.text for strip in bar.render_lines(Region(0, 0, *bar.size))]
        assert len(rows) == 2
        assert "today $" in rows[0] and "tiers:" in rows[1]
        assert "Ctrl+C" in "".join(rows)
