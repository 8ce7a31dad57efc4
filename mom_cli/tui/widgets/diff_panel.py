"""The diff panel: the selected step's validated change, syntax-highlighted, with its
validation stages and the diagnostics of the attempts that failed before it. All of it is
model- or tool-written: control characters are shown escaped (mom_cli.terminal_text)."""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from mom_cli.terminal_text import visible
from mom_cli.tui.state import StepRow

STAGE_STYLE = {"passed": "green", "failed": "red", "skipped": "dim"}


class DiffPanel(VerticalScroll):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.body = Static(Text("Select a step to see its change.", style="dim"), id="diff-body")
        self.shown: tuple[object, ...] = ()  # what the shown step looked like (see app)
        self.diff_text = ""  # the unified diff on show (tests and the bench read it)

    def compose(self) -> Any:
        yield self.body

    def show_step(self, row: StepRow, diff: str) -> None:
        self.diff_text = diff
        self.border_title = Text(visible(f"{row.task_id} · {row.tier}/{row.model}".strip(" ·/")))
        self.body.update(self.renderable(row, diff))

    def show_text(self, title: str, text: str, lexer: str = "") -> None:
        self.shown = ()
        self.diff_text = ""
        self.border_title = title
        text = visible(text)
        body: RenderableType = _syntax(text, lexer) if lexer else Text(text)
        self.body.update(body)

    @staticmethod
    def renderable(row: StepRow, diff: str) -> RenderableType:
        parts: list[RenderableType] = []
        head = Text()
        head.append(f"{visible(row.task_id)} ", style="bold")
        head.append(visible(row.status))
        if row.review:
            head.append(f" · {visible(row.review)}", style="magenta")
        parts.append(head)
        if row.stages:
            stages = Text("validation: ")
            for label in row.stages:
                name, _, status = label.partition(":")
                stages.append(visible(f"{name} {status}  "), style=STAGE_STYLE.get(status, ""))
            parts.append(stages)
        if diff:
            parts.append(_syntax(visible(diff), "diff"))
        elif row.record_id:
            parts.append(Text("(the change is no longer on disk)", style="dim"))
        else:
            parts.append(Text("no validated change for this step", style="dim"))
        for line in row.escalations:
            parts.append(Text(visible(f"↑ escalated {line}"[:300]), style="yellow"))
        for line in row.failures[-6:]:
            parts.append(Text(visible(f"✗ {line}"[:300]), style="red"))
        return Group(*parts)


def _syntax(text: str, lexer: str) -> RenderableType:
    """Highlighted text; rich.syntax (and pygments) load on the first diff shown, not
    before the first paint."""
    from rich.syntax import Syntax

    return Syntax(text, lexer, theme="ansi_dark", word_wrap=True)
