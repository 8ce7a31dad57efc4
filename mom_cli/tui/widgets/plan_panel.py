"""The plan panel: one row per step with status, tier, model, attempts, tokens, $ and
seconds; escalations in the note; parallel steps marked ‖; review state of held changes."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from mom_cli.terminal_text import visible
from mom_cli.tui.state import SessionState, StepRow, clip

COLUMNS = ("step", "status", "tier", "model", "att", "tokens", "$", "s", "review / note")
STATUS_STYLE = {
    "running": "bold cyan",
    "passed": "green",
    "failed": "red",
    "cancelled": "yellow",
    "skipped": "yellow",
}
REVIEW_STYLE = {"held": "bold magenta", "accepted": "green", "rejected": "yellow"}
# DataTable's render caches default to 10,000 cells and 1,000 rows/lines: a run updating
# its cells many times a second fills them with stale renders (RSS kept climbing for a
# minute in scripts/bench_tui.py). A plan's visible cells fit in far less.
CACHE_SIZES = {
    "_cell_render_cache": 1500,
    "_row_render_cache": 200,
    "_row_renderable_cache": 200,
    "_line_cache": 200,
}


class PlanPanel(DataTable[Any]):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        for name, size in CACHE_SIZES.items():
            cache = getattr(self, name, None)
            if cache is not None and hasattr(cache, "maxsize"):
                cache.maxsize = size  # still LRU; just fewer stale renders kept
        self._seen = -1
        self._shown: dict[str, tuple[str, ...]] = {}  # plain text of each row's cells

    def on_mount(self) -> None:
        for name in COLUMNS:
            self.add_column(name, key=name)

    def clear(self, columns: bool = False) -> PlanPanel:
        """A new run starts with narrow columns: auto widths only ever grow, so a long
        step id of the last run (`rules:src/pkg/module.py`) kept squeezing the note."""
        self._shown.clear()
        super().clear(columns=True)
        for name in COLUMNS:
            self.add_column(name, key=name)
        return self

    def refresh_from(self, state: SessionState) -> None:
        if state.version == self._seen:
            return
        self._seen = state.version
        for key in [k for k in self.rows if k.value not in state.steps]:
            self.remove_row(key)
            self._shown.pop(str(key.value), None)
        for row in state.steps.values():
            cells = self.cells(row)
            plain = tuple(str(c) for c in cells)
            old = self._shown.get(row.task_id)
            if old is None:
                self.add_row(*cells, key=row.task_id)
            else:  # only the cells that changed: each update re-renders the table
                for name, value, before, now in zip(COLUMNS, cells, old, plain, strict=True):
                    if before != now:
                        self.update_cell(row.task_id, name, value, update_width=True)
            self._shown[row.task_id] = plain

    @staticmethod
    def cells(row: StepRow) -> tuple[Text, ...]:
        """Every cell is a Text: a str cell is parsed as markup, and the id, model and notes
        are model- or repo-written (control characters shown, `[...]` literal)."""
        status = Text(row.status + (" ‖" if row.parallel else ""), STATUS_STYLE.get(row.status, ""))
        if row.review:
            note = Text(row.review, REVIEW_STYLE.get(row.review, ""))
            note.append(visible(f" {', '.join(row.files)}"), style="")
        elif row.escalations:
            note = Text(visible(clip(f"↑ {row.escalations[-1]}", 80)), "yellow")
        else:
            note = Text(visible(clip(row.description, 60)))
        plain = (
            row.task_id,
            row.tier,
            row.model,
            str(row.attempts),
            f"{row.tokens:,}",
            f"{row.cost_usd:.4f}",
            f"{row.seconds:.1f}" if row.status != "running" else "…",
        )
        shown = [Text(visible(cell)) for cell in plain]
        return (shown[0], status, *shown[1:], note)

    @property
    def selected_id(self) -> str | None:
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        return str(key.value) if key.value is not None else None
