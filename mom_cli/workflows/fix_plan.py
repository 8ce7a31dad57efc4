"""What fix-build would do, and what it leaves to the user's environment.

`plan_dry_run` is `--dry-run`: the rules that would be tried, then the first model rung
and an estimated cost (labelled as an estimate); nothing is written. `code_faults` sets
aside the failures a missing package explains (validate.missing_packages): they are
reported with the command that installs it, never made a step for a model.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mom_cli.config import RULES_TIER
from mom_cli.rules.registry import RuleContext, propose
from mom_cli.validate.detect import project_files
from mom_cli.validate.diagnostics import Diagnostic
from mom_cli.validate.missing_packages import failures_of, missing_packages
from mom_cli.validate.runner import project_python
from mom_cli.workflows.fix_report import FixBuildResult, StepReport
from mom_cli.workflows.fix_steps import plan_steps
from mom_cli.workflows.model_step import build_prompt

if TYPE_CHECKING:
    from mom_cli.workflows.fix_build import FixBuild

ESTIMATED_OUTPUT_TOKENS = 768
NO_TIER = "-"  # a step no rule and no usable model worked on


def code_faults(repo: Path, diags: list[Diagnostic], result: FixBuildResult) -> list[Diagnostic]:
    """`diags` without the failures a missing package explains; those go to
    `result.environment` as install hints."""
    missing = missing_packages(diags, repo)
    if not missing:
        return diags
    python = project_python(repo).shown
    result.environment = [p.hint(python) for p in missing]
    explained = failures_of(missing)
    return [d for d in diags if id(d) not in explained]


def plan_dry_run(
    fix: FixBuild, diags: list[Diagnostic], result: FixBuildResult
) -> list[StepReport]:
    """One planned step per root cause, with the rules or rung that would take it."""
    files = project_files(fix.repo)
    ctx = RuleContext(fix.repo, tuple(files))
    rungs, _ = fix._rungs()
    diags = code_faults(fix.repo, diags, result)
    plans = []
    for step in plan_steps(diags, fix.repo, files, changed=fix._changed()):
        source = ctx.read(step.file) or ""
        rules = sorted({r.name for d in step.diagnostics for r, _ in propose(d, source, ctx)})
        # the rung the run would ask first: the climb policy skips some from the start
        first = next((r for r in rungs if not fix.policy.why_skip(r, step.kind)), None)
        estimate = 0.0
        if first is not None:
            tokens_in = len(build_prompt(step, fix.repo)) // 4
            estimate = fix.config.models[first.model].cost_usd(tokens_in, ESTIMATED_OUTPUT_TOKENS)
        plans.append(
            StepReport(
                step.id,
                step.file,
                RULES_TIER if rules else (first.tier if first else NO_TIER),
                ", ".join(rules) if rules else (first.model if first else ""),
                "planned",
                diagnostics=[
                    f"{d.location()}: [{d.stage}] {d.message[:200]}" for d in step.diagnostics
                ],
                estimated_cost_usd=0.0 if rules else estimate,
                preexisting=result.preexisting_ids(step.diagnostics),
                scope=step.edit_scope or [],
            )  # fmt: skip
        )
    return plans
