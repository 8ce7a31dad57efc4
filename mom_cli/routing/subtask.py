"""SubTask: one step of a compiled request, shared by the decomposer, graph and executor.

It lives in routing (not engine) so the decomposer can build steps without importing the
engine; `mom_cli.engine.graph` re-exports it for callers that only think in graphs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

COMPLEXITIES = ("trivial", "simple", "medium", "complex")
QUALITIES = ("normal", "critical")


@dataclass(frozen=True)
class SubTask:
    """A unit of work. `files` are the repo files the step may edit (used to serialize edits).

    `precondition` names a step this one speculatively runs alongside: if speculation is
    enabled the two run in parallel and this step's result is discarded when the
    precondition fails; otherwise the precondition is simply one more dependency.
    """

    id: str
    prompt: str
    category: str = "general"
    order_index: int = 0
    depends_on: tuple[str, ...] = ()
    estimated_tokens: int = 0
    files: tuple[str, ...] = ()
    complexity: str = "simple"
    quality: str = "normal"
    task_type: str = "default"
    precondition: str | None = None
    meta: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def all_upstream(self) -> tuple[str, ...]:
        """Every step that must exist before this one: dependencies plus precondition."""
        if self.precondition and self.precondition not in self.depends_on:
            return (*self.depends_on, self.precondition)
        return self.depends_on


@dataclass(frozen=True)
class Decomposition:
    """What the decomposer returns: the steps, how to combine them, and how it got them."""

    subtasks: tuple[SubTask, ...]
    synthesis_prompt: str
    source: str  # "model" | "model-repaired" | "deterministic" | "single"
    warnings: tuple[str, ...] = ()
