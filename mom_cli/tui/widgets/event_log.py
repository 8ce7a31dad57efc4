"""The event log: a capped RichLog, so a long run's memory stays bounded. Lines hold model
replies, file names and tool output: their control characters are shown, not obeyed, and
markup is off, so `[...]` in them stays literal.

Lines wrap at the log's own width (RichLog's default renders at least 78 columns, which at
80×24 left half of every line behind a horizontal scroll), and the log re-wraps what it
holds when its width changes: RichLog wraps once, at write time, so narrowing the terminal
cropped every earlier line and widening it left them short."""

from __future__ import annotations

from collections import deque
from typing import Any

from rich.text import Text
from textual.events import Resize
from textual.widgets import RichLog

from mom_cli.terminal_text import visible

MAX_LINES = 1000


class EventLog(RichLog):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            max_lines=MAX_LINES, min_width=1, wrap=True, markup=False, highlight=False, **kwargs
        )
        self._entries: deque[Any] = deque(maxlen=MAX_LINES)  # what was written, unwrapped
        self._wrapped_at = 0  # the content width the lines were wrapped at
        self._following = True  # showing the newest line (not scrolled back by the user)

    def write(self, content: Any, *args: Any, **kwargs: Any) -> Any:
        content = visible(content) if isinstance(content, str) else content
        if self._size_known:  # before that RichLog defers, then writes again through here
            self._entries.append(content.copy() if isinstance(content, Text) else content)
            self._wrapped_at = self.scrollable_content_region.width
        return super().write(content, *args, **kwargs)

    @property
    def text(self) -> str:
        """What the log holds as written, before wrapping (plain text)."""
        return "\n".join(e.plain if isinstance(e, Text) else str(e) for e in self._entries)

    def clear(self) -> Any:
        self._entries.clear()
        return super().clear()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._following = new_value >= self.max_scroll_y

    def on_resize(self, event: Resize) -> None:
        width = self.scrollable_content_region.width
        if self._size_known and self._entries and width and width != self._wrapped_at:
            self.call_after_refresh(self._rewrap)

    def _rewrap(self) -> None:
        """Write every held entry again at the current width; a log that showed its newest
        line still does (the resize itself does not scroll, so that is tracked by hand)."""
        width = self.scrollable_content_region.width
        if not width or width == self._wrapped_at:
            return
        following = self._following
        entries = list(self._entries)
        self.clear()
        for entry in entries:
            self.write(entry, scroll_end=False)
        if following:
            self.scroll_end(animate=False, immediate=False, x_axis=False)
