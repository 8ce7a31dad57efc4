"""What the session shows, folded from engine events. Plain Python (no Textual), so the
rules for status, attempts, escalations and parallelism are testable on their own."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from mom_cli.events import (
    AttemptFailed,
    ChangeApplied,
    ChangeHeld,
    ChecklistLoaded,
    CostRecorded,
    Escalated,
    Event,
    Notice,
    TaskFinished,
    TaskRouted,
    TaskStarted,
)

# a refused reject (you edited the files since) leaves the change applied and undecided
UNDECIDED = ("held", "refused")
MAX_NOTES = 20  # failures/escalations kept per step: the panels show the last few


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, ending in … when cut: a bare slice read as if the
    message itself ended mid-word ("answer with edit blocks only (t")."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _append_capped(notes: list[str], line: str) -> None:
    """Keep a step's notes bounded: a step retried for hours must not grow the session."""
    notes.append(line)
    if len(notes) > MAX_NOTES:
        del notes[: len(notes) - MAX_NOTES]


@dataclass
class StepRow:
    """One step of the plan panel."""

    task_id: str
    description: str = ""
    status: str = "pending"  # pending | running | passed | failed | skipped | cancelled
    tier: str = ""
    model: str = ""
    attempts: int = 0
    tokens: int = 0
    cost_usd: float = 0.0
    started: float | None = None
    seconds: float = 0.0
    escalations: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    record_id: str = ""
    files: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    review: str = ""  # "" | held | accepted | rejected | refused
    parallel: bool = False  # ran while another step was running


@dataclass
class ChecklistItem:
    index: int
    text: str
    status: str = "pending"


class SessionState:
    """Steps in arrival order, the checklist, and lines for the log."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.steps: dict[str, StepRow] = {}
        self.checklist: list[ChecklistItem] = []
        self.checklist_title = ""
        self.version = 0  # bumped on every change; widgets redraw when it moved

    def reset(self) -> None:
        self.steps.clear()
        self.checklist.clear()
        self.checklist_title = ""
        self.version += 1

    @property
    def running(self) -> list[StepRow]:
        return [s for s in self.steps.values() if s.status == "running"]

    @property
    def held(self) -> list[StepRow]:
        return [s for s in self.steps.values() if s.review in UNDECIDED]

    def apply(self, event: Event) -> str | None:
        """Fold one event in; returns a log line worth showing, if any."""
        self.version += 1
        if isinstance(event, Notice):
            return ("⚠ " if event.level == "warning" else "· ") + event.message
        if isinstance(event, ChecklistLoaded):
            self.checklist_title = f"Milestone {event.milestone}: {event.title}"
            self.checklist = [ChecklistItem(i, t, s) for i, t, s in event.items]
            return f"▶ milestone {event.milestone}: {len(event.items)} checklist items"
        task_id = getattr(event, "task_id", "")
        if not task_id:
            return None
        row = self.steps.get(task_id)
        if row is None:
            row = self.steps[task_id] = StepRow(task_id)
        return self._step(row, event)

    def _step(self, row: StepRow, event: Event) -> str | None:
        if isinstance(event, TaskStarted):
            row.status, row.description, row.started = "running", event.description, self.clock()
            others = [s for s in self.running if s is not row]
            if others:
                row.parallel = True
                for s in others:
                    s.parallel = True
            self._tick(row.task_id, "running")
            return f"▶ {row.task_id}: {clip(event.description, 100)}"
        if isinstance(event, TaskRouted):
            row.tier, row.model = event.tier, event.model
            row.attempts += 1
            return None
        if isinstance(event, AttemptFailed):
            _append_capped(row.failures, f"{event.tier}/{event.model}: {event.reason}")
            return f"  ✗ {row.task_id} {event.tier}/{event.model}: {clip(event.reason, 120)}"
        if isinstance(event, Escalated):
            line = f"{event.from_tier} → {event.to_tier}: {event.reason}"
            _append_capped(row.escalations, line)
            return f"  ↑ {row.task_id} escalated {clip(line, 140)}"
        if isinstance(event, CostRecorded):
            row.tokens += event.input_tokens + event.output_tokens
            row.cost_usd += event.cost_usd
            if not row.tier:
                row.tier, row.model = event.tier, event.model
            return None
        if isinstance(event, ChangeHeld):
            row.record_id, row.files, row.stages = event.record_id, event.files, event.stages
            row.review = "held"
            return f"  ⏸ {row.task_id}: {', '.join(event.files)} held for review"
        if isinstance(event, ChangeApplied):
            if not row.record_id:  # the first change's before-bytes: the diff shows them all
                row.record_id = event.record_id
            row.files = tuple(dict.fromkeys(row.files + event.files))
            return None
        if isinstance(event, TaskFinished):
            row.status = event.status
            if row.started is not None:
                row.seconds = self.clock() - row.started
            self._tick(row.task_id, "validated" if event.status == "passed" else event.status)
            mark = "✓" if event.status == "passed" else "✗"
            return f"  {mark} {row.task_id}: {event.status} {clip(event.detail, 100)}".rstrip()
        return None

    def _tick(self, task_id: str, status: str) -> None:
        """Milestone item events are named m<N>.<index>: tick that checklist item."""
        tail = task_id.rsplit(".", 1)[-1]
        if not self.checklist or not tail.isdigit():
            return
        for item in self.checklist:
            if item.index == int(tail):
                item.status = status
