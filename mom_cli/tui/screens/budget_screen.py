"""The stop screen: today's spend reached cost.stop_threshold_usd, so no paid call is made."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from mom_cli.terminal_text import visible


class BudgetStopScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "dismiss_stop", "Back"),
        Binding("enter", "dismiss_stop", "Back", show=False),
    ]

    def __init__(self, message: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(id="budget-box"):
            yield Static("■ Budget stop", id="budget-title")
            yield Static(Text(visible(self.message)), id="budget-message")
            yield Static(
                "Paid tiers are off until tomorrow or until you raise "
                "cost.stop_threshold_usd (mom config set cost.stop_threshold_usd N). "
                "The rules and local tiers still work.\nEsc: back to the session · Ctrl+Q: quit",
                id="budget-hint",
            )

    def action_dismiss_stop(self) -> None:
        self.dismiss(None)
