"""Result types shared by every validator stage and by the callers (CLI, fix-build, hook)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mom_cli.config import ValidationSection
from mom_cli.validate.detect import ProjectInfo
from mom_cli.validate.diagnostics import Diagnostic

RAW_OUTPUT_LIMIT = 4000


@dataclass(frozen=True)
class StageContext:
    """Everything a stage needs. `root` is where commands run (the repo, or a temp tree
    holding the staged blobs); `repo` is the user's real repo, where toolchains live."""

    root: Path
    repo: Path
    files: list[str] | None  # repo-relative changed files; None = the whole project
    project: ProjectInfo
    config: ValidationSection
    staged: bool = False
    lint_baseline: bool = True  # downgrade lint findings HEAD already has (lint_baseline)
    lint_files: list[str] | None = None  # lint only these (None: the stage's files)
    # a revision to judge lint by what the change adds, even with the project's own
    # linter config (mom run: its pre-run snapshot); None: HEAD, as lint_baseline says
    lint_base: str | None = None

    @property
    def timeout(self) -> float:
        return self.config.timeout_seconds

    def files_of(self, *languages: str) -> list[str]:
        """Changed files in `languages` (all project files of them when files is None)."""
        from mom_cli.validate.detect import language_of, project_files

        pool = self.files if self.files is not None else project_files(self.root)
        return [f for f in pool if language_of(f) in languages and (self.root / f).is_file()]


@dataclass
class StageResult:
    name: str  # "syntax" | "review" | "build" | "tests" | "lint"
    passed: bool
    seconds: float = 0.0
    diagnostics: list[Diagnostic] = field(default_factory=list)
    tool_used: str = ""  # e.g. "ruff (.venv/bin/ruff, project venv)"
    raw_output: str = ""  # trimmed; for the retry prompt
    skipped: bool = False  # nothing to check (no files of a known kind, tool missing …)
    note: str = ""

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "passed": self.passed,
            "seconds": round(self.seconds, 3),
            "diagnostics": [d.to_dict() for d in self.diagnostics],
            "tool_used": self.tool_used,
            "skipped": self.skipped,
            "note": self.note,
            "raw_output": self.raw_output,
        }


@dataclass
class ValidationResult:
    passed: bool
    stages: list[StageResult]
    files: list[str] | None  # what was validated; None = the whole project
    not_run: list[str] = field(default_factory=list)  # stages skipped by early exit

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return [d for s in self.stages for d in s.diagnostics]

    def raw_for(self, stage: str) -> str:
        """The named stage's trimmed raw output ("" when it did not run)."""
        return next((s.raw_output for s in self.stages if s.name == stage), "")

    @property
    def failed_stage(self) -> StageResult | None:
        return next((s for s in self.stages if not s.passed), None)

    def to_dict(self, *, raw: bool = False) -> dict[str, Any]:
        stages = []
        for stage in self.stages:
            data = stage.to_dict()
            if not raw:
                data.pop("raw_output")
            stages.append(data)
        return {"passed": self.passed, "stages": stages, "not_run": self.not_run}

    def prompt_text(self, limit: int = RAW_OUTPUT_LIMIT) -> str:
        """What a retry prompt should say about this failure: the failed stage's in-scope
        diagnostics, then its raw output. Findings that were already there ("info": lint
        debt at HEAD, out-of-scope failures) are not listed, and the raw output, which
        would repeat them, is left out when the diagnostics already say what failed: the
        model is not asked to fix what the change did not break."""
        stage = self.failed_stage
        if stage is None:
            return "All validation stages passed."
        lines = [f"Validation failed at the {stage.name} stage ({stage.tool_used or 'mom'}):"]
        scoped = [d for d in stage.diagnostics if d.severity != "info"]
        lines += [
            f"- {d.location()}: {d.severity}: {d.message}" + (f" [{d.code}]" if d.code else "")
            for d in scoped[:40]
        ]
        hidden = len(stage.diagnostics) - len(scoped)
        if hidden:
            lines.append(f"({hidden} findings that were already there are not shown: leave them)")
        if stage.raw_output and not (hidden and scoped):
            lines += ["", "Tool output (trimmed):", trim(stage.raw_output, limit)]
        return "\n".join(lines)


def trim(text: str, limit: int = RAW_OUTPUT_LIMIT) -> str:
    """Keep the head and the tail: errors sit at the start, summaries at the end."""
    if len(text) <= limit:
        return text
    head = limit * 2 // 3
    tail = limit - head
    return f"{text[:head]}\n… [{len(text) - limit} characters trimmed] …\n{text[-tail:]}"
