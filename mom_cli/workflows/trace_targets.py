"""What a traced fix-build step points at: functions in source files, and the tests.

Plain data shared by the tracer (test_trace) and the prompt (trace_prompt), so that
neither imports the other and model_step can carry it on a FixStep.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Span:
    """Lines `start..end` (1-based, inclusive) of `file`: one function, class or test."""

    file: str
    name: str  # qualified: "mean", "Stats.mean"; "" for a module-level window
    start: int
    end: int


@dataclass
class Trace:
    """Why a step exists and what its prompt shows: the code under test (targets), who
    calls it (callers), the failing tests and their assertion lines."""

    targets: list[Span] = field(default_factory=list)
    callers: list[Span] = field(default_factory=list)
    tests: list[Span] = field(default_factory=list)
    evidence: dict[str, list[str]] = field(default_factory=dict)  # test id → E lines, frames
    how: str = ""  # "frames" | "imports" | "index": how the targets were found

    @property
    def files(self) -> list[str]:
        """The step's edit scope: the implicated sources first, then the failing tests."""
        return list(dict.fromkeys([s.file for s in self.targets] + [s.file for s in self.tests]))
