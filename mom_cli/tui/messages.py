"""Typed messages the session's widgets and workers exchange."""

from __future__ import annotations

from typing import Any

from textual.message import Message


class Submitted(Message):
    """The request box sent a line (a request or a slash command)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class WorkDone(Message):
    """A worker finished: `kind` is the command, `exit_code` the CLI contract's code."""

    def __init__(self, kind: str, exit_code: int, summary: str, payload: Any = None) -> None:
        super().__init__()
        self.kind = kind
        self.exit_code = exit_code
        self.summary = summary
        self.payload = payload


class Output(Message):
    """Text for the log (a command's answer or report), from a worker."""

    def __init__(self, text: str, style: str = "") -> None:
        super().__init__()
        self.text = text
        self.style = style
