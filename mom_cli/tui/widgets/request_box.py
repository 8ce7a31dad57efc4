"""Multi-line request box with history: Enter sends, Ctrl+J adds a line, Up/Down on the
first/last line walk the history."""

from __future__ import annotations

from textual import events
from textual.widgets import TextArea

from mom_cli.tui.messages import Submitted

HISTORY_LIMIT = 200


class RequestBox(TextArea):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(soft_wrap=True, show_line_numbers=False, **kwargs)  # type: ignore[arg-type]
        self.past: list[str] = []
        self._cursor = 0  # index into history; len(history) = the fresh line

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.submit()
            return
        if event.key == "ctrl+j":
            event.stop()
            event.prevent_default()
            self.insert("\n")
            return
        row = self.cursor_location[0]
        if event.key == "up" and row == 0 and self.past:
            event.stop()
            event.prevent_default()
            self._walk(-1)
            return
        if event.key == "down" and row == self.document.line_count - 1 and self.past:
            event.stop()
            event.prevent_default()
            self._walk(1)
            return
        await super()._on_key(event)

    def submit(self) -> None:
        text = self.text.strip()
        if not text:
            return
        if not self.past or self.past[-1] != text:
            self.past.append(text)
            del self.past[:-HISTORY_LIMIT]
        self._cursor = len(self.past)
        self.text = ""
        self.post_message(Submitted(text))

    def _walk(self, step: int) -> None:
        self._cursor = max(0, min(len(self.past), self._cursor + step))
        self.text = self.past[self._cursor] if self._cursor < len(self.past) else ""
        self.move_cursor(self.document.end)
