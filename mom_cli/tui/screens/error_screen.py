"""The problem that keeps the session from starting (a broken config, not a git
repository), named; quitting from here exits 2 (the CLI contract's usage/config error)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static

from mom_cli.terminal_text import visible


class ErrorScreen(Screen[None]):
    BINDINGS = [
        Binding("ctrl+q", "quit_error", "Quit", priority=True),
        Binding("q", "quit_error", "Quit"),
        Binding("escape", "quit_error", "Quit", show=False),
    ]

    def __init__(self, problem: str, hint: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.problem = problem
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(id="error-box"):
            yield Static("mom cannot start here", id="error-title")
            yield Static(Text(visible(self.problem)), id="error-problem")
            if self.hint:
                yield Static(Text(visible(self.hint)), id="error-hint")
            yield Static("Press q or Ctrl+Q to quit (exit code 2).", id="error-quit")
        yield Footer()

    def action_quit_error(self) -> None:
        self.app.exit(return_code=2)
