"""The event log: a capped RichLog, so a long run's memory stays bounded."""

from __future__ import annotations

from typing import Any

from textual.widgets import RichLog

MAX_LINES = 1000


class EventLog(RichLog):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_lines=MAX_LINES, wrap=True, markup=False, highlight=False, **kwargs)
