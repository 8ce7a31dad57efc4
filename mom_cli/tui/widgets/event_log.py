"""The event log: a capped RichLog, so a long run's memory stays bounded. Lines hold model
replies, file names and tool output: their control characters are shown, not obeyed, and
markup is off, so `[...]` in them stays literal."""

from __future__ import annotations

from typing import Any

from textual.widgets import RichLog

from mom_cli.terminal_text import visible

MAX_LINES = 1000


class EventLog(RichLog):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_lines=MAX_LINES, wrap=True, markup=False, highlight=False, **kwargs)

    def write(self, content: Any, *args: Any, **kwargs: Any) -> Any:
        return super().write(visible(content) if isinstance(content, str) else content,
                             *args, **kwargs)  # fmt: skip
