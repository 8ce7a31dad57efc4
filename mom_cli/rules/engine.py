"""The rules tier loop: propose → apply as a step → re-validate → keep or roll back.

Every rule edit is treated like a model's edit: applied atomically on a checkpoint, then
the project is validated again with its own toolchain. The edit is kept only when
validation improved (see `improved`), else rolled back; either way the attempt goes to
the ledger as tier "rules", $0. The loop repeats until no untried proposal is left (a pass
that fixes nothing new) or a bound is hit, and returns what remains for the model ladder.

With a `quick_check` (every stage but the tests), an edit aimed at a syntax, build or lint
finding is judged by it: a project's suite must not run once per autofix. The tests'
diagnostics are then stale; the full check runs before a rule targets a test failure, and
once at the end, so `remaining` always describes the tree as it is.

`run(quick_only=True)` goes further: it starts from the quick stages alone, tries only
what they can judge (no test failure, no strict rule) and leaves the suite to the caller,
which runs it once on the fixed tree. If that run shows the edits broke a test,
`undo_quick()` rolls them back and makes them untried again, so that a later
`run(judge_by_tests=True)` judges each one with the suite.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from mom_cli.config import RULES_TIER
from mom_cli.edits.blocks import EditBlock
from mom_cli.errors import EditError, MomError
from mom_cli.events import (
    AttemptFailed,
    ChangeApplied,
    CostRecorded,
    EventSink,
    Notice,
    TaskFinished,
    TaskRouted,
    null_sink,
)
from mom_cli.ledger.store import Ledger, LedgerEntry
from mom_cli.rules.registry import Rule, RuleContext, propose
from mom_cli.validate.diagnostics import Diagnostic
from mom_cli.validate.rerun import failing_again

STAGE_ORDER = ("syntax", "review", "build", "tests", "lint")
Checker = Callable[[], list[Diagnostic]]
# (repo, test failures that appeared after an edit) → those that fail again when rerun
Recheck = Callable[[Path, Sequence[Diagnostic]], list[Diagnostic]]


class StepApplier(Protocol):
    """Applies one step atomically on a checkpoint, and rolls one step back exactly."""

    def apply(self, blocks: Sequence[EditBlock], summary: str) -> str: ...

    def rollback(self, step_id: str) -> None: ...


@dataclass(frozen=True)
class RuleAttempt:
    rule: str
    file: str
    line: int
    diagnostic: str
    outcome: str  # "validated" | "rolled_back" | "failed_validation" (not applicable)
    seconds: float
    reason: str = ""
    edited: str = ""  # the file the edit changed, when not `file` (a test's raise site)

    def to_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "file": self.file,
            "line": self.line,
            "diagnostic": self.diagnostic,
            "outcome": self.outcome,
            "seconds": round(self.seconds, 3),
            "reason": self.reason,
            "edited": self.edited or self.file,
        }


@dataclass
class RulesReport:
    attempts: list[RuleAttempt] = field(default_factory=list)
    remaining: list[Diagnostic] = field(default_factory=list)
    checks: int = 0  # validation runs made by the tier
    quick_checks: int = 0  # of them, without the tests
    seconds: float = 0.0
    fresh: bool = True  # `remaining` comes from a full check of the tree as it is now

    @property
    def fixed(self) -> list[RuleAttempt]:
        return [a for a in self.attempts if a.outcome == "validated"]

    @staticmethod
    def joined(first: RulesReport | None, then: RulesReport | None) -> RulesReport | None:
        """Two runs of the tier (before and after the test suite) as one report."""
        if first is None or then is None:
            return then or first
        return RulesReport(
            attempts=first.attempts + then.attempts,
            remaining=then.remaining,
            checks=first.checks + then.checks,
            quick_checks=first.quick_checks + then.quick_checks,
            seconds=first.seconds + then.seconds,
            fresh=then.fresh,
        )


def _norm(message: str) -> str:
    """Message without numbers: line numbers and timings must not make a fault look new."""
    return re.sub(r"\d+(\.\d+)?", "#", message.strip())[:200]


def diag_key(d: Diagnostic) -> tuple[str, str, str, str]:
    return (d.stage, d.file, d.code, _norm(d.message))


def _counted(diags: Sequence[Diagnostic]) -> Counter[tuple[str, str, str, str]]:
    return Counter(diag_key(d) for d in diags if d.severity in ("error", "warning"))


def first_failing_stage(diags: Sequence[Diagnostic]) -> int:
    ranks = [
        STAGE_ORDER.index(d.stage)
        for d in diags
        if d.severity == "error" and d.stage in STAGE_ORDER
    ]
    return min(ranks, default=len(STAGE_ORDER))


def improved(
    before: Sequence[Diagnostic],
    after: Sequence[Diagnostic],
    target: Diagnostic,
    *,
    strict: bool = False,
) -> tuple[bool, str]:
    """Did an edit aimed at `target` make validation better? (verdict, reason)

    Better means: the targeted diagnostic is gone (one fewer of its kind) and nothing new
    appeared, except faults the fix merely revealed: a later stage now runs (the build
    passes, so tests report), or the file's first syntax error moved later (CPython stops
    at the first one; see `_syntax_progress`). A strict rule also needs syntax, build and
    tests to pass afterwards.
    """
    old, new = _counted(before), _counted(after)
    key = diag_key(target)
    if new[key] >= old[key] and old[key] > 0:
        return False, f"still reported: {target.message[:120]}"
    appeared = new - old
    if appeared and not _syntax_progress(before, after, target, appeared):
        went_further = first_failing_stage(after) > first_failing_stage(before)
        if not went_further:
            worst = next(iter(appeared))
            return False, f"new {worst[0]} diagnostic in {worst[1] or 'project'}: {worst[3][:120]}"
    if strict and any(
        d.severity == "error" and d.stage in ("syntax", "build", "tests") for d in after
    ):
        return False, "strict rule: syntax, build or tests still fail afterwards"
    return True, "validation improved"


def _task_id(block: EditBlock) -> str:
    """A rule step is named by the file it edits (a failing test's fix may edit the module
    that raised, not the test the failure was reported at)."""
    return f"rules:{block.path}"


def without_flaky(
    repo: Path, before: Sequence[Diagnostic], after: list[Diagnostic], recheck: Recheck | None
) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """(`after` without the flaky failures, the flaky failures): a test failure that
    appeared since `before` and passes when rerun alone (see validate.rerun)."""
    appeared = _counted(after) - _counted(before)
    new = [d for d in after if d.stage == "tests" and diag_key(d) in appeared]
    if not new or recheck is None:
        return after, []
    again = recheck(repo, new)
    flaky = [d for d in new if d not in again]
    return [d for d in after if d not in flaky], flaky


def _first_syntax_line(diags: Sequence[Diagnostic], file: str) -> int | None:
    lines = [d.line for d in diags if d.stage == "syntax" and d.file == file]
    return min(lines) if lines else None


def _syntax_progress(
    before: Sequence[Diagnostic],
    after: Sequence[Diagnostic],
    target: Diagnostic,
    appeared: Counter[tuple[str, str, str, str]],
) -> bool:
    """A parser stops at the first syntax error, so fixing it reveals the next one, and
    every stage that imports the file echoes the new message. That is progress when the
    file's first syntax error moved strictly later and no other file got a syntax error."""
    was = _first_syntax_line(before, target.file)
    if was is None:
        return False
    if any(k[0] == "syntax" and k[1] != target.file for k in appeared):
        return False
    now = _first_syntax_line(after, target.file)
    return now is None or now > was


# An undefined name often explains another finding: `return sgi` leaves `sig = ...` unused,
# and "fixing" the unused variable first would delete the very value the typo meant.
_FIRST_CODES = frozenset({"F821", "E0602"})


def _priority(d: Diagnostic) -> tuple[int, str, int, int]:
    rank = STAGE_ORDER.index(d.stage) if d.stage in STAGE_ORDER else len(STAGE_ORDER)
    first = 0 if d.code in _FIRST_CODES else 1
    return (0 if d.severity == "error" else 1, f"{rank}{d.file}", first, d.line)


class RulesEngine:
    """Runs tier 0 over a project. `check()` validates the whole project (own toolchain)."""

    def __init__(
        self,
        repo: Path,
        check: Checker,
        applier: StepApplier,
        *,
        ledger: Ledger | None = None,
        sink: EventSink = null_sink,
        run_id: str = "",
        project_files: Sequence[str] = (),
        max_attempts: int = 60,
        max_seconds: float = 600.0,
        quick_check: Checker | None = None,
        recheck: Recheck | None = failing_again,
    ) -> None:
        self.repo = repo
        self.recheck = recheck
        self.check = check
        self.applier = applier
        self.ledger = ledger
        self.sink = sink
        self.run_id = run_id
        self.project_files = tuple(project_files)
        self.max_attempts = max_attempts
        self.max_seconds = max_seconds
        self.quick_check = quick_check
        self.stale = False  # tests diagnostics predate a quick-checked edit
        self.quick_only = False  # this run leaves test failures, strict rules and the suite
        self.judge_by_tests = False  # every edit is judged by the full check
        self.tried: set[tuple[str, EditBlock]] = set()  # across runs: never retried
        self.quick_kept: list[tuple[int, str, tuple[str, EditBlock], int]] = []

    def run(
        self,
        diagnostics: Sequence[Diagnostic] | None = None,
        *,
        quick_only: bool = False,
        judge_by_tests: bool = False,
    ) -> RulesReport:
        """Tier 0 over `diagnostics` (default: a full check). See the module docstring for
        `quick_only` (needs a quick_check) and `judge_by_tests`."""
        started = time.monotonic()
        report = RulesReport(fresh=not quick_only)
        self.quick_only = quick_only and self.quick_check is not None
        self.judge_by_tests = judge_by_tests
        self.stale = False
        current = list(diagnostics) if diagnostics is not None else self._check(report)
        tried = self.tried
        while len(report.attempts) < self.max_attempts:
            if time.monotonic() - started > self.max_seconds:
                break
            found = self._next_proposal(current, tried)
            if found is not None and self.stale and found[0].stage == "tests":
                current = self._check(report)  # refresh the tests before targeting one
                continue
            if found is None:
                break  # a pass with nothing new to try: done
            diag, rule_, block = found
            tried.add((rule_.name, block))
            current = self._attempt(diag, rule_, block, current, report)
        if self.stale and not self.quick_only:
            current = self._check(report)  # the final change, validated once with the tests
        report.remaining = current
        report.seconds = time.monotonic() - started
        return report

    def _check(self, report: RulesReport) -> list[Diagnostic]:
        report.checks += 1
        self.stale = False
        return self.check()

    def _quick(self, current: list[Diagnostic], report: RulesReport) -> list[Diagnostic]:
        assert self.quick_check is not None
        report.checks += 1
        report.quick_checks += 1
        self.stale = True
        return self.quick_check() + [d for d in current if d.stage == "tests"]

    def _next_proposal(
        self, current: list[Diagnostic], tried: set[tuple[str, EditBlock]]
    ) -> tuple[Diagnostic, Rule, EditBlock] | None:
        ctx = RuleContext(self.repo, self.project_files)
        for diag in sorted(current, key=_priority):
            if not diag.file or diag.severity == "info":
                continue
            if self.quick_only and diag.stage == "tests":
                continue  # the suite has not run yet: it is judged after this run
            source = ctx.read(diag.file)
            if source is None:
                continue
            for rule_, block in propose(diag, source, ctx):
                if self.quick_only and rule_.strict:
                    continue  # kept only if every check passes: needs the suite
                if (rule_.name, block) not in tried:
                    return diag, rule_, block
        return None

    def _attempt(
        self,
        diag: Diagnostic,
        rule_: Rule,
        block: EditBlock,
        current: list[Diagnostic],
        report: RulesReport,
    ) -> list[Diagnostic]:
        task_id = _task_id(block)
        self.sink(TaskRouted(task_id, RULES_TIER, rule_.name, (diag.message[:100],)))
        t0 = time.monotonic()
        try:
            step_id = self.applier.apply([block], f"rule {rule_.name} at {diag.location()}")
        except (EditError, MomError) as exc:
            self._finish(
                report, diag, rule_, "failed_validation", t0, f"not applicable: {exc}", block
            )
            return current
        quick = (
            self.quick_check is not None
            and diag.stage != "tests"
            and not rule_.strict
            and not self.judge_by_tests
        )
        was_stale = self.stale
        after = self._quick(current, report) if quick else self._check(report)
        ok, reason = improved(current, after, diag, strict=rule_.strict)
        if not ok and diag_key(diag) not in _counted(after):
            after = self._without_flaky(current, after)
            ok, reason = improved(current, after, diag, strict=rule_.strict)
        if ok:
            self.sink(ChangeApplied(task_id, step_id, (block.path,)))
            row = self._finish(report, diag, rule_, "validated", t0, reason, block)
            if self.quick_only:
                kept = (len(report.attempts) - 1, step_id, (rule_.name, block), row)
                self.quick_kept.append(kept)
            return after
        self.applier.rollback(step_id)
        self.stale = was_stale  # the tree is back to `current`
        self._finish(report, diag, rule_, "rolled_back", t0, reason, block)
        return current

    def undo_quick(self, report: RulesReport, why: str) -> int:
        """Roll back the edits the last quick-only run kept (newest first), mark them rolled
        back in `report` and the ledger, and make them untried. Returns how many."""
        undone = 0
        for index, step_id, key, row in reversed(self.quick_kept):
            self.applier.rollback(step_id)
            report.attempts[index] = replace(
                report.attempts[index], outcome="rolled_back", reason=why[:200]
            )
            self.tried.discard(key)
            if self.ledger is not None:
                self.ledger.set_outcome(row, "rolled_back", why)
            undone += 1
        self.quick_kept = []
        return undone

    def _without_flaky(self, before: list[Diagnostic], after: list[Diagnostic]) -> list[Diagnostic]:
        """`after` without the test failures that appeared with the edit but pass when
        rerun alone: a flaky test must not roll back a real fix."""
        kept, flaky = without_flaky(self.repo, before, after, self.recheck)
        for d in flaky:
            self.sink(
                Notice(f"{d.code or d.location()} failed once and passed when rerun: "
                       "treated as a flaky test, not as caused by the edit", "warning")
            )  # fmt: skip
        return kept

    def _finish(
        self,
        report: RulesReport,
        diag: Diagnostic,
        rule_: Rule,
        outcome: str,
        t0: float,
        reason: str,
        block: EditBlock,
    ) -> int:
        """Report and record one attempt; returns its ledger row (0 without a ledger)."""
        task_id = _task_id(block)
        seconds = time.monotonic() - t0
        attempt = RuleAttempt(
            rule_.name, diag.file, diag.line, diag.message[:200], outcome, seconds, reason,
            "" if block.path == diag.file else block.path,
        )  # fmt: skip
        report.attempts.append(attempt)
        if outcome == "validated":
            self.sink(TaskFinished(task_id, "passed", f"{rule_.name}: {diag.location()}"))
        else:
            self.sink(AttemptFailed(task_id, RULES_TIER, rule_.name, reason))
        self.sink(CostRecorded(task_id, RULES_TIER, rule_.name, 0, 0, 0.0))
        if self.ledger is None:
            return 0
        return self.ledger.record(
            LedgerEntry(
                provider=RULES_TIER,
                model=rule_.name,
                model_id=rule_.name,
                tier=RULES_TIER,
                endpoint="",
                input_tokens=0,
                output_tokens=0,
                cost_usd=0.0,
                latency_ms=seconds * 1000,
                outcome=outcome,
                run_id=self.run_id,
                task_id=task_id,
                category="code",
                detail=f"{diag.location()}: {diag.message[:160]} → {reason[:120]}",
            )
        )
