"""How much of a failing lint stage is the project's own debt: findings HEAD already has.

A project that configures ruff gets every finding counted, as it asked, so `mom validate`
on python-semver fails with 97 findings whether or not the user's uncommitted work added
one. The verdict stays; this says which part of it is theirs. Files identical to HEAD
keep their findings as debt without a second lint run; a changed file's HEAD text is
linted once (lint_baseline does the counting, so a second copy of a finding is new).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mom_cli.validate.diagnostics import Diagnostic
from mom_cli.validate.lint import lint_python_text
from mom_cli.validate.lint_baseline import is_preexisting, mark_preexisting
from mom_cli.validate.result import ValidationResult


@dataclass(frozen=True)
class LintDebt:
    findings: int  # the lint stage's errors
    in_head: int  # how many of them HEAD already has

    def to_dict(self) -> dict[str, int]:
        return {"findings": self.findings, "in_head": self.in_head}


def lint_debt(result: ValidationResult, repo: Path, timeout: float = 60.0) -> LintDebt | None:
    """None unless the lint stage failed on ruff or flake8 errors HEAD partly has."""
    stage = next((s for s in result.stages if s.name == "lint" and not s.passed), None)
    if stage is None:
        return None
    errors = [d for d in stage.diagnostics if d.severity == "error"]
    if not errors:
        return None

    def lint_head(rel: str, text: str) -> list[Diagnostic]:
        return lint_python_text(repo, repo, rel, text, timeout)

    marked = mark_preexisting(errors, repo, repo, lint_head)
    in_head = sum(is_preexisting(d) for d in marked)
    return LintDebt(len(errors), in_head) if in_head else None
