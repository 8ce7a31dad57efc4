"""Driving the session in tests: open it on a repo, type, wait for work to finish."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot

from mom_cli.tui.app import MomApp, open_app
from mom_cli.tui.widgets.event_log import EventLog

SIZE = (120, 40)


def app_for(repo: Path, config: Path | None = None, **kwargs: object) -> MomApp:
    return open_app(repo, config, **kwargs)  # type: ignore[arg-type]


async def until(pilot: Pilot[None], check: Callable[[], object], timeout: float = 120) -> None:
    """Let the app run until `check()` is true (fails the test after `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out waiting for the session"
        await pilot.pause(0.1)


async def submit(pilot: Pilot[None], text: str) -> None:
    app = pilot.app
    assert isinstance(app, MomApp)
    await pilot.press("f3")
    box = app.query_one("#request")
    box.text = text  # type: ignore[attr-defined]
    await pilot.press("enter")


async def finish(pilot: Pilot[None], timeout: float = 180) -> int:
    """Wait for the running work to end; its exit code."""
    app = pilot.app
    assert isinstance(app, MomApp)
    await until(pilot, lambda: app.busy == 0 and app.last_exit is not None, timeout)
    await pilot.pause(0.1)
    return int(app.last_exit or 0)


def log_text(app: MomApp) -> str:
    """The log's text as written: lines wrap at the log's width, which tests do not pin."""
    return app.query_one(EventLog).text
