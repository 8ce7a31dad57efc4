"""fix-build's rules before its test suite, and whether their edits broke a test.

A project's suite is the slow check (tens of seconds to minutes); a rule fixes a lint or
import fault in milliseconds. So the rules first fix what syntax, build and lint show,
each edit judged by those stages alone, and the suite then runs once on the fixed tree
(reusing the quick stages' result: fix_checks). A rule's edit judged without the tests
can break one: ruff deleting an "unused" import that a test imports through the module.
So when the suite fails, its failures are rerun in a clean export of the snapshot of the
user's work taken before mom's first write. A failure counts as the rules' only when the
test ran there and did not fail: a test whose file could not even be collected there (the
syntax or import error the rules just fixed) proves nothing. What cannot be told is
blamed on the rules. Blamed, their edits are undone and become untried again, and the
rules tier runs again with the suite judging each edit: slower, but sure.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from mom_cli.config import ValidationSection
from mom_cli.events import Notice
from mom_cli.rules.engine import RulesReport
from mom_cli.validate.base_runner import runner_baseline
from mom_cli.validate.diagnostics import Diagnostic
from mom_cli.validate.failure_keys import failure_key
from mom_cli.validate.head_tests import has_head, pytest_selection, run_selected
from mom_cli.validate.pipeline import exported_index
from mom_cli.workflows.fix_report import FixBuildResult, describe
from mom_cli.workflows.model_step import ProjectState

if TYPE_CHECKING:
    from mom_cli.workflows.fix_build import FixBuild


async def rules_first(flow: FixBuild, state: ProjectState, result: FixBuildResult) -> RulesReport:
    """The rules on what syntax, build and lint show; then the suite, once. Undoes the
    rules' edits when they broke a test (see the module docstring); `flow.judge_by_tests`
    then tells the next rules run to judge each edit with the suite."""
    engine = flow.rules_engine()
    flow.sink(Notice("tier 0: rules on syntax, build and lint first (no model, $0)"))
    report = await asyncio.to_thread(engine.run, state.diagnostics, quick_only=True)
    state.diagnostics = await flow.run_suite()
    failing = [d for d in state.diagnostics if d.stage == "tests" and d.severity == "error"]
    if not failing or not engine.quick_kept:
        return report
    flow.sink(Notice("rerunning the failing tests on your work as it was before the rules"))
    last = getattr(flow.checker, "last", None)
    broke = await asyncio.to_thread(
        broken_since, flow.repo, result.snapshot, failing, flow.config.validation,
        now_output=last.raw_for("tests") if last is not None else "",
    )  # fmt: skip
    if broke:
        why = f"a test passing before the rules failed after them: {describe(broke[0])}"
        undone = engine.undo_quick(report, why)
        flow.sink(Notice(f"{why}; {undone} rule edit(s) undone, retried with the tests", "warning"))
        flow.judge_by_tests = True
        state.diagnostics = await flow.run_suite()
    return report


def broken_since(
    repo: Path,
    commit: str,
    failing: Sequence[Diagnostic],
    config: ValidationSection,
    *,
    now_output: str = "",
) -> list[Diagnostic]:
    """The test failures of `failing` that `commit` (the snapshot) does not show."""
    if not commit or not has_head(repo, commit):
        return list(failing)
    pytest_now = [d for d in failing if d.tool == "pytest"]
    others = [d for d in failing if d.tool != "pytest"]
    blamed = _pytest_blamed(repo, commit, pytest_now, config.timeout_seconds)
    if others:
        before = runner_baseline(repo, others, config, commit=commit, now_output=now_output)
        known = set(before.failing)
        blamed += [d for d in others if failure_key(d) not in known]
    return blamed


def _pytest_blamed(
    repo: Path, commit: str, failing: Sequence[Diagnostic], timeout: float
) -> list[Diagnostic]:
    ids, files = pytest_selection(failing)
    if not ids and not files:
        return list(failing)  # no test named: nothing to compare
    try:
        with exported_index(repo, commit) as tree:
            targets = {*files, *(i.split("::", 1)[0] for i in ids)}
            present = sorted(t for t in targets if (tree / t).is_file())
            if not present:
                return list(failing)
            result, found = run_selected(repo, tree, ids, files, present, timeout)
    except (OSError, subprocess.CalledProcessError):
        return list(failing)
    errors = [d for d in found if d.severity == "error"]
    if result.timed_out or (result.returncode not in (0, 1) and not errors):
        return list(failing)  # the run itself broke: cannot tell
    if any("::" not in d.code for d in errors):
        return []  # a failure naming no test (a broken conftest): nothing ran there
    bad_ids = {d.code for d in errors}
    bad_files = {d.code.split("::", 1)[0] for d in errors if _whole_file(d.code)}
    return [
        d
        for d in failing
        if "::" not in d.code
        or (d.code not in bad_ids and d.code.split("::", 1)[0] not in bad_files)
    ]


def _whole_file(code: str) -> bool:
    """pytest's id of a collection error: the file, then its module name."""
    path, node = code.split("::", 1)
    return node == path.removesuffix(".py").replace("/", ".")
