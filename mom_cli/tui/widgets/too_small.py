"""Shown instead of the layout when the terminal is smaller than it needs."""

from __future__ import annotations

from typing import Any

from textual.widgets import Static

MIN_WIDTH = 80
MIN_HEIGHT = 20


class TooSmall(Static):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__("", **kwargs)

    def check(self, width: int, height: int) -> bool:
        """Show the notice when the terminal is too small; True if it is."""
        small = width < MIN_WIDTH or height < MIN_HEIGHT
        self.display = small
        if small:
            self.update(
                f"Terminal too small: {width}×{height}. mom needs at least "
                f"{MIN_WIDTH}×{MIN_HEIGHT}; enlarge the window (Ctrl+Q quits)."
            )
        return small
