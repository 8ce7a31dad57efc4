"""The milestone checklist, ticking live as items validate."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static

from mom_cli.terminal_text import visible
from mom_cli.tui.state import SessionState

MARK = {
    "done": ("[x]", "green"),
    "validated": ("[x]", "green"),
    "running": ("[~]", "cyan"),
    "failed": ("[!]", "red"),
    "skipped": ("[-]", "yellow"),
    "cancelled": ("[-]", "yellow"),
}


class Checklist(Static):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__("", **kwargs)
        self._seen = -1
        self.plain = ""

    def refresh_from(self, state: SessionState) -> None:
        if state.version == self._seen:
            return
        self._seen = state.version
        self.display = bool(state.checklist)
        if not state.checklist:
            return
        text = Text(visible(state.checklist_title) + "\n", style="bold")
        for item in state.checklist:
            mark, style = MARK.get(item.status, ("[ ]", ""))
            text.append(f" {mark} {item.index}. {visible(item.text[:90])}\n", style=style)
        self.plain = text.plain
        self.update(text)
