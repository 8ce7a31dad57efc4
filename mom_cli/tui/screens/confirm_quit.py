"""Asked when Ctrl+Q is pressed while a run is working: quitting cancels it first."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static


class ConfirmQuit(ModalScreen[bool]):
    BINDINGS = [
        Binding("y", "answer(True)", "Yes, cancel and quit"),
        Binding("n", "answer(False)", "No"),
        Binding("escape", "answer(False)", "No", show=False),
        Binding("ctrl+q", "answer(True)", "Quit", show=False, priority=True),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static("A run is working. Cancel it (in-flight steps are rolled back) and quit?")
            yield Static("y: cancel and quit · n: keep working", id="confirm-keys")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)
