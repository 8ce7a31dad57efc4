"""Structured diagnostics: what every validator stage produces and every rule consumes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Diagnostic:
    stage: str  # "syntax" | "build" | "tests" | "lint" | "review"
    file: str  # repo-relative POSIX path, "" when not tied to a file
    line: int  # 1-based, 0 when unknown
    message: str
    severity: str = "error"  # "error" | "warning" | "info"
    column: int = 0  # 1-based, 0 when unknown
    code: str = ""  # tool-specific code: "E999", "F401", "E0308", test id …
    tool: str = ""  # which tool said it: "ruff", "pytest", "cargo" …
    # the runner's own account (a test's traceback): where fix-build traces a failing test
    # to the code under test. Not part of identity, not printed.
    detail: str = field(default="", compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        del data["detail"]
        return data

    def location(self) -> str:
        if not self.file:
            return "(project)"
        return f"{self.file}:{self.line}" + (f":{self.column}" if self.column else "")
