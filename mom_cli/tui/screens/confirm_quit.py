"""Asked when Ctrl+Q is pressed while a run is working (quitting cancels it first) or
while changes are held for review (quitting leaves them applied)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

RUNNING = "A run is working. Cancel it (in-flight steps are rolled back) and quit?"
RUNNING_KEYS = "y: cancel and quit · n: keep working"


class ConfirmQuit(ModalScreen[bool]):
    BINDINGS = [
        Binding("y", "answer(True)", "Yes, cancel and quit"),
        Binding("n", "answer(False)", "No"),
        Binding("escape", "answer(False)", "No", show=False),
        Binding("ctrl+q", "answer(True)", "Quit", show=False, priority=True),
    ]

    def __init__(self, question: str = RUNNING, keys: str = RUNNING_KEYS) -> None:
        super().__init__()
        self.question = question
        self.keys = keys

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(self.question)
            yield Static(self.keys, id="confirm-keys")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)
