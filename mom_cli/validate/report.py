"""Plain-text rendering of a ValidationResult, for the pre-commit hook and logs.
(The CLI draws its own rich table; this module only builds strings.)"""

from __future__ import annotations

from mom_cli.validate.lint_baseline import is_preexisting
from mom_cli.validate.result import ValidationResult


def format_text(result: ValidationResult, *, max_per_stage: int = 50) -> str:
    if not result.stages:
        return "mom: nothing to validate"
    lines = []
    for stage in result.stages:
        mark = "skip" if stage.skipped else ("ok" if stage.passed else "FAIL")
        extra = f" — {stage.note}" if stage.note else ""
        lines.append(
            f"mom {stage.name:<6} {mark:<4} {stage.seconds:6.2f}s  {stage.tool_used}{extra}"
        )
        # findings already in HEAD are only counted in the note: a commit is not theirs
        shown = [d for d in stage.diagnostics if not is_preexisting(d)]
        for d in shown[:max_per_stage]:
            code = f" [{d.code}]" if d.code else ""
            lines.append(f"    {d.location()}: {d.severity}: {d.message}{code}")
        if len(shown) > max_per_stage:
            lines.append(f"    … {len(shown) - max_per_stage} more")
    if result.not_run:
        lines.append(f"mom: not run after the failure: {', '.join(result.not_run)}")
    lines.append("mom: validation " + ("passed" if result.passed else "FAILED"))
    return "\n".join(lines)
