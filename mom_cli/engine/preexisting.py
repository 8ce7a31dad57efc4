"""Tests that already failed before a run are not held against its edits.

`mom run` validates every edit with the project's whole test suite. On a repository with
a test that fails anyway (a flaky environment test, debt nobody fixed), every edit failed
validation, was rolled back, and the step climbed to the next paid tier for a failure no
edit could fix. So when the only failing stage is the tests and every failing test has a
name, those tests are rerun on the snapshot of the work tree mom took before its first
write (pytest: the failing ids alone; other runners: their whole test stage, see
`validate.base_runner`). A test that fails there too is the repository's, not the
edit's: the stage counts as passed, its failures stay in the result as "info" with a note
saying so, and the stages the early exit skipped are run. Each test is checked once per run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from mom_cli.config import ValidationSection
from mom_cli.validate.base_runner import runner_baseline, runner_failures
from mom_cli.validate.diagnostics import Diagnostic
from mom_cli.validate.failure_keys import failure_key, test_name
from mom_cli.validate.head_tests import HeadBaseline, head_baseline, pytest_selection
from mom_cli.validate.result import ValidationResult

PREEXISTING_NOTE = " (already failing before this run; left alone)"
BEFORE_THE_RUN = "already failing before this run"  # ends the tests stage's note

Stages = Callable[[Sequence[str]], ValidationResult]  # runs the named stages only


class PreexistingFailures:
    """Which failing tests already failed before the run, checked once per test."""

    def __init__(self, repo: Path, config: ValidationSection) -> None:
        self.repo = repo
        self.config = config
        self.known: dict[str, bool] = {}  # failure key → failed before the run

    def forgive(
        self, result: ValidationResult, snapshot: str, run_stages: Stages
    ) -> ValidationResult:
        """`result`, passed when its only failures are tests that fail at `snapshot` too;
        unchanged otherwise (or when that cannot be told)."""
        failed = [s for s in result.stages if not s.passed]
        if not snapshot or not failed or any(s.name != "tests" for s in failed):
            return result
        errors = failed[0].errors
        if not errors or not all(test_name(d) for d in errors):
            return result  # a crash or an unnamed failure: nothing to compare
        self._check([d for d in errors if failure_key(d) not in self.known], snapshot, result)
        if not all(self.known.get(failure_key(d), False) for d in errors):
            return result
        forgiven = replace(
            failed[0],
            passed=True,
            diagnostics=[_as_info(d) for d in failed[0].diagnostics],
            note=f"{len(errors)} test(s) {BEFORE_THE_RUN}",
        )
        stages = [forgiven if s is failed[0] else s for s in result.stages]
        rest = run_stages(result.not_run) if result.not_run else None
        if rest is not None:
            stages.extend(rest.stages)
        return ValidationResult(
            all(s.passed for s in stages), stages, result.files,
            rest.not_run if rest is not None else [],
        )  # fmt: skip

    def _check(self, errors: list[Diagnostic], snapshot: str, result: ValidationResult) -> None:
        if not errors:
            return
        timeout = self.config.timeout_seconds
        base = HeadBaseline()
        if any(pytest_selection(errors)):
            base = head_baseline(
                self.repo, errors, timeout=timeout, commit=snapshot,
                idle_after_summary=self.config.idle_after_summary_seconds,
            )  # fmt: skip
        if runner_failures(errors):
            ran = runner_baseline(
                self.repo, errors, self.config, commit=snapshot,
                now_output=result.raw_for("tests"),
            )  # fmt: skip
            base = base.merged(ran)
        failing = set(base.failing)
        for d in errors:
            self.known[failure_key(d)] = failure_key(d) in failing


def _as_info(d: Diagnostic) -> Diagnostic:
    if d.severity != "error":
        return d
    return replace(d, severity="info", message=d.message + PREEXISTING_NOTE)
