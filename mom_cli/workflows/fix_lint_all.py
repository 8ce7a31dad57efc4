"""`mom fix-build --lint all`: the whole project's lint debt, with ruff's safe fixes only.

Runs after the scoped repair, so the change itself is fixed first. Each Python file the
user has not touched is passed through `ruff check --fix-only` (the project's ruff config,
or mom's pinned rules when it has none); files with the user's uncommitted edits are left
alone. All rewrites are one checkpointed step, validated once with the whole toolchain and
kept only when nothing got worse: no new syntax, build or test failure and no lint finding
that was not there before. What ruff cannot fix safely stays reported as debt.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import replace
from typing import TYPE_CHECKING

from mom_cli.config import RULES_TIER
from mom_cli.edits.blocks import EditBlock
from mom_cli.errors import EditError, MomError
from mom_cli.events import Notice
from mom_cli.rules.engine import diag_key
from mom_cli.rules.textedit import minimal_block
from mom_cli.validate.detect import language_of, project_files
from mom_cli.validate.diagnostics import Diagnostic
from mom_cli.validate.lint import ruff_rule_args
from mom_cli.validate.lint_baseline import Key, finding_key
from mom_cli.validate.operands import path_option
from mom_cli.validate.ruff_edits import SAFE_HINT
from mom_cli.validate.runner import ruff_tool, run_command
from mom_cli.workflows.fix_scope import DEBT_NOTE

if TYPE_CHECKING:
    from mom_cli.workflows.fix_build import FixBuild, FixBuildResult


def safe_fix_blocks(flow: FixBuild, skip: set[str]) -> list[EditBlock]:
    """One block per Python file that ruff's safe fixes would change (`skip`: the user's)."""
    ruff = ruff_tool(flow.repo)
    timeout = flow.config.validation.timeout_seconds
    blocks = []
    for rel in project_files(flow.repo):
        if rel in skip or language_of(rel) != "python":
            continue
        if (flow.repo / rel).is_symlink():
            continue  # its target gets its own block; the applier refuses links, and one
            # refused block sank the whole sweep (python-semver's tests/coerce.py)
        try:
            old = (flow.repo / rel).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        argv = ruff.command(
            "check", "--fix-only", "--exit-zero", "--no-cache", "--force-exclude",
            *ruff_rule_args(flow.repo), path_option("--stdin-filename", rel), "-",
        )  # fmt: skip
        result = run_command(argv, flow.repo, timeout=timeout, stdin=old)
        if result.returncode != 0 or not result.stdout or result.stdout == old:
            continue
        block = minimal_block(rel, old, result.stdout)
        if block is not None:
            blocks.append(block)
    return blocks


def sweepable(debt: list[Diagnostic]) -> bool:
    """Could `--lint all` touch any of this debt? Only ruff findings in Python files that
    carry a fix can be: a hint promising more (on debt in pyproject.toml, or findings with
    no fix) sends the user to a run that changes nothing."""
    return any(
        d.stage == "lint"
        and language_of(d.file) == "python"
        and (d.tool != "ruff" or SAFE_HINT in d.message)  # flake8 does not say
        for d in debt
    )


def sweep_safe_fixes(flow: FixBuild, result: FixBuildResult) -> None:
    from mom_cli.workflows.fix_report import StepReport

    started = time.monotonic()
    skip = set(flow.user_files.before) if flow.user_files is not None else set()
    blocks = safe_fix_blocks(flow, skip)
    if not blocks:
        flow.sink(Notice("--lint all: ruff has no safe fix to make"))
        return
    before = list(result.remaining)
    try:
        step_id = flow.applier.apply(blocks, f"ruff safe fixes in {len(blocks)} file(s)")
    except (EditError, MomError) as exc:
        flow.sink(Notice(f"--lint all: could not apply ruff's fixes: {exc}", "warning"))
        return
    flow.checker.narrow_lint = False  # the sweep touched files outside the change
    after = carry_debt(before, flow.checker())
    worse = _worse(before, after)
    report = StepReport(
        "lint-all", f"{len(blocks)} file(s)", RULES_TIER, "ruff --fix (safe fixes)", "fixed",
        diagnostics=[b.path for b in blocks], seconds=time.monotonic() - started,
    )  # fmt: skip
    if worse:
        flow.applier.rollback(step_id)
        report.status = "failed"
        report.diagnostics = [f"rolled back: {worse}"]
        flow.sink(Notice(f"--lint all: rolled back ({worse})", "warning"))
    else:
        result.remaining = after
        result.passed = not any(d.severity == "error" for d in after)
    result.steps.append(report)


def plain_key(d: Diagnostic) -> Key:
    """finding_key without the debt label: the same finding, whether it was labelled debt
    (before) or not (on a line the sweep rewrote, after). With the label in the key, a
    finding ruff's fix left on a line it rewrote (python-semver: `1 > v1` → `v1 < 1`,
    still B015) counted as new and rolled the whole sweep back."""
    return finding_key(replace(d, message=d.message.removesuffix(DEBT_NOTE)))


def carry_debt(before: list[Diagnostic], after: list[Diagnostic]) -> list[Diagnostic]:
    """A finding that was debt before the sweep stays debt, though its line was rewritten."""
    budget = Counter(
        plain_key(d) for d in before if d.stage == "lint" and d.message.endswith(DEBT_NOTE)
    )
    out = []
    for d in after:
        key = plain_key(d)
        if d.stage == "lint" and d.severity == "error" and budget[key] > 0:
            budget[key] -= 1
            d = replace(d, severity="info", message=d.message + DEBT_NOTE)
        out.append(d)
    return out


def _worse(before: list[Diagnostic], after: list[Diagnostic]) -> str:
    """Why the sweep made things worse ("" when it did not)."""
    was = Counter(diag_key(d) for d in before if d.severity == "error")
    now = Counter(diag_key(d) for d in after if d.severity == "error")
    new = now - was
    if new:
        stage, file, _code, message = next(iter(new))
        return f"new {stage} failure in {file or 'the project'}: {message[:100]}"
    lint_was = Counter(plain_key(d) for d in before if d.stage == "lint")
    lint_now = Counter(plain_key(d) for d in after if d.stage == "lint")
    extra = lint_now - lint_was
    if extra:
        file, code, _ = next(iter(extra))
        return f"new lint finding {code} in {file}"
    return ""
