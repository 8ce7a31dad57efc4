"""Frozen events the engine emits; the CLI (and later the TUI) subscribe to render them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Event:
    pass


@dataclass(frozen=True)
class TaskStarted(Event):
    task_id: str
    description: str


@dataclass(frozen=True)
class TaskRouted(Event):
    task_id: str
    tier: str
    model: str
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class AttemptFailed(Event):
    task_id: str
    tier: str
    model: str
    reason: str


@dataclass(frozen=True)
class Escalated(Event):
    task_id: str
    from_tier: str
    to_tier: str
    reason: str


@dataclass(frozen=True)
class TaskFinished(Event):
    task_id: str
    status: str  # "passed" | "failed" | "skipped" | "cancelled"
    detail: str = ""


@dataclass(frozen=True)
class CostRecorded(Event):
    task_id: str
    tier: str
    model: str
    input_tokens: int
    output_tokens: int
    cost_usd: float


@dataclass(frozen=True)
class Notice(Event):
    """A line for the user: a warning, a skipped file, a budget threshold passed."""

    message: str
    level: str = "info"  # "info" | "warning"
    data: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ChangeHeld(Event):
    """A step's validated change is on disk and held for review (accept keeps it, reject
    rolls it back through checkpoint `record_id`)."""

    task_id: str
    record_id: str
    files: tuple[str, ...]
    stages: tuple[str, ...] = ()  # "syntax:passed", "tests:skipped", ...


@dataclass(frozen=True)
class ChangeApplied(Event):
    """A step's validated change is on disk and kept (fix-build applies without review);
    checkpoint `record_id` holds the bytes before it, so a front end can show its diff."""

    task_id: str
    record_id: str
    files: tuple[str, ...]


@dataclass(frozen=True)
class ChecklistLoaded(Event):
    """A milestone's checklist, before its items run (front ends draw it to tick live)."""

    milestone: int
    title: str
    items: tuple[tuple[int, str, str], ...]  # (index, text, status)


EventSink = Callable[[Event], None]


def null_sink(event: Event) -> None:
    """Default sink: drop events (library callers that do not render progress)."""
