"""fix-build's steps: one per root cause.

Failing pytest tests are traced to the code under test (test_trace) and grouped by the
source they implicate; everything else (syntax, build, lint, tests nothing could trace)
keeps one step per file (model_step.group_by_file). A traced group whose source file
also has its own diagnostics (a syntax error that fails fifty tests) joins that file's
step: it is one fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from mom_cli.rules.engine import STAGE_ORDER, first_failing_stage
from mom_cli.validate.diagnostics import Diagnostic
from mom_cli.workflows.changed_code import changed_focus, changed_sources
from mom_cli.workflows.model_step import FixStep, group_by_file
from mom_cli.workflows.test_trace import Changed, trace_test_failures

MAX_FOLDED = 5  # test failures carried into a source file's own step, as evidence


def plan_steps(
    diags: Sequence[Diagnostic],
    repo: Path,
    project_files: Sequence[str],
    *,
    use_index: bool = True,
    changed: Changed | None = None,
) -> list[FixStep]:
    errors = [d for d in diags if d.severity == "error"]
    groups, rest = trace_test_failures(
        errors, repo, project_files, use_index=use_index, changed=changed
    )
    steps = group_by_file(rest, repo, project_files)
    by_file = {s.file: s for s in steps}
    traced: list[FixStep] = []
    for group_diags, trace in groups:
        owner = next((by_file[t.file] for t in trace.targets if t.file in by_file), None)
        if owner is not None:
            owner.diagnostics += group_diags[:MAX_FOLDED]
            if owner.trace is None and step_kind(owner.diagnostics) in ("tests", "lint"):
                # a lint finding beside the bug: the traced prompt lists it too
                owner.trace = trace
                owner.context_files = [f for f in trace.files if f != owner.file]
            continue
        primary = trace.targets[0].file
        files = trace.files
        traced.append(
            FixStep(
                f"fix-{len(steps) + len(traced) + 1}:{primary}",
                primary,
                list(group_diags),
                [f for f in files if f != primary],
                trace=trace,
            )
        )
    for step in [*steps, *traced]:
        step.kind = step_kind(step.diagnostics)
        if changed and step.trace is None and step.kind == "tests":
            # no tracer for it (not Python): lead with what the change touched (changed_code)
            step.context_files += changed_sources(repo, step.file, changed, step.context_files)
            step.focus, step.changed_notes = changed_focus(repo, step.files, changed)
    return [*steps, *traced]


def step_kind(diags: Sequence[Diagnostic]) -> str:
    """The step's first failing stage: what the learner keeps records by."""
    rank = first_failing_stage(diags)
    return STAGE_ORDER[rank] if rank < len(STAGE_ORDER) else "other"
