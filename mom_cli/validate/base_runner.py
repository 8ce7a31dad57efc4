"""Which failing tests already failed at the base, for every runner but pytest.

head_tests reruns just the failing pytest ids; cargo test, npm test (uvu, jest, vitest,
mocha, node --test), go test and a configured test command have no portable way to select
tests, so here the project's whole test stage (validate.tests, the same command and
parser as the validator) runs once in a clean export of the base commit (a temp folder;
the user's work tree and index are never touched; cargo reuses the repo's target/, npm
its node_modules). A failure whose key (failure_keys) fails there too is debt.

Output that names no test is compared by the runner's own failure count: no more failures
now than at the base means they were already there ("could not tell which tests"); more
means at least one is new, and every unnamed failure stays the change's to fix. The note
always says which of these happened, so nothing is blamed on the change silently.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from mom_cli.config import ValidationSection
from mom_cli.validate.detect import detect_project
from mom_cli.validate.diagnostics import Diagnostic
from mom_cli.validate.failure_keys import failure_count, failure_key, test_name
from mom_cli.validate.head_tests import HeadBaseline, has_head
from mom_cli.validate.pipeline import exported_index
from mom_cli.validate.result import StageContext, StageResult
from mom_cli.validate.tests import run_tests_stage


def runner_failures(diags: Sequence[Diagnostic]) -> list[Diagnostic]:
    """The failing tests of `diags` that head_tests (pytest only) cannot check."""
    return [d for d in diags if d.stage == "tests" and d.severity == "error" and d.tool != "pytest"]


def runner_baseline(
    repo: Path,
    diags: Sequence[Diagnostic],
    config: ValidationSection,
    *,
    commit: str = "HEAD",
    now_output: str = "",
) -> HeadBaseline:
    """Run the test stage at `commit` and compare (see the module docstring).
    `now_output` is the failing run's raw output, for its failure count."""
    started = time.monotonic()
    now = runner_failures(diags)
    out = HeadBaseline(checked=sorted({failure_key(d) for d in now}))
    if not now:
        out.note = "no failing test to check"
    elif not has_head(repo, commit):
        out.note = f"no {commit if commit == 'HEAD' else 'base'} commit to compare with"
    else:
        try:
            with exported_index(repo, commit) as tree:
                ctx = StageContext(tree, repo, None, detect_project(tree), config, staged=True)
                base = run_tests_stage(ctx)
        except (OSError, subprocess.CalledProcessError) as exc:
            out.note = f"could not export the base: {exc}"
        else:
            out.failing, out.note = compare_with_base(now, base, now_output)
    out.seconds = time.monotonic() - started
    return out


def compare_with_base(
    now: Sequence[Diagnostic], base: StageResult, now_output: str
) -> tuple[list[str], str]:
    """(keys of the failures `now` that were already there, what could not be told)."""
    if base.skipped:
        return [], f"the base has no test run to compare with ({base.note or 'skipped'})"
    base_keys = {failure_key(d) for d in base.errors}
    failing = {failure_key(d) for d in now if test_name(d) and failure_key(d) in base_keys}
    unnamed = [d for d in now if not test_name(d)]
    if not unnamed:
        named_at_base = any(test_name(d) for d in base.errors)
        if base.passed or named_at_base:
            return sorted(failing), ""
        first = base.errors[0].message[:120] if base.errors else "no output"
        return sorted(failing), f"the run at the base named no failing test ({first})"
    if base.passed:
        return sorted(failing), "the output names no test, and the base passes: the change's"
    at_base, at_now = failure_count(base.raw_output), failure_count(now_output)
    same = {failure_key(d) for d in unnamed} <= base_keys
    if at_base is not None and at_now is not None:
        if at_now > at_base:
            return sorted(failing), (
                f"could not tell which tests: {at_now} failures now, {at_base} at the base, "
                f"so at least {at_now - at_base} new"
            )
        note = f"could not tell which tests; {at_base} failure(s) were already there at the base"
    elif same:
        note = "could not tell which tests; the base fails the same way"
    else:
        return sorted(failing), "could not tell which tests; the base fails too, differently"
    return sorted(failing | {failure_key(d) for d in unnamed}), note
