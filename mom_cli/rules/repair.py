"""Tier 0 after a model's edit: repair a near-miss at $0 instead of throwing it away.

A small model often writes an edit that is right but for one mechanical fault (a lost
colon, an unused import, a misspelt name). When such an edit fails validation, `mom run`
and `mom milestone` hand the failing diagnostics to the rules tier *before* rolling the
edit back. The rules may only touch the files the model's edit changed (they must not
"fix" a test to fit a bad edit). Each rule edit is an ordinary checkpointed step, judged
and recorded (ledger tier "rules", $0) by `RulesEngine`.

    validation passes afterwards → keep model edit + rule fixes (the model's tier passes
                                   "with rules' help")
    otherwise                    → every rule step kept so far is rolled back, newest
                                   first, so the caller's rollback of the model's step
                                   puts every byte back; their ledger rows say so

The engine is synchronous (its checks run the project's toolchain); `repair_after_edit`
runs it in a worker thread and bridges an async validator back to the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import cast

from mom_cli.config import RULES_TIER, MomConfig
from mom_cli.edits.blocks import EditBlock
from mom_cli.errors import EditError
from mom_cli.events import EventSink, Notice, null_sink
from mom_cli.ledger.store import Ledger, LedgerEntry
from mom_cli.rules.engine import RuleAttempt, RulesEngine, StepApplier
from mom_cli.validate.diagnostics import Diagnostic
from mom_cli.validate.result import ValidationResult

MAX_RULE_ATTEMPTS = 12  # a near-miss has a fault or two; more means the edit is wrong
MAX_SECONDS = 180.0
Validate = Callable[[list[str]], ValidationResult]
AsyncValidate = Callable[[list[str]], Awaitable[ValidationResult]]
StepsHook = Callable[[list[str]], None]  # the rule steps currently kept (for crash state)


@dataclass
class RepairOutcome:
    """What the rules did to a failing model edit."""

    ok: bool  # validation of the changed files passes with the rules' fixes kept
    result: ValidationResult | None = None  # the last validation (None: nothing tried)
    attempts: list[RuleAttempt] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)  # rule steps kept (empty unless ok)
    paths: list[str] = field(default_factory=list)  # files the kept rule steps changed

    @property
    def fixed(self) -> list[RuleAttempt]:
        """Rule fixes that are part of the kept result (none when rolled back)."""
        return [a for a in self.attempts if a.outcome == "validated"] if self.ok else []

    @property
    def rules(self) -> list[str]:
        return list(dict.fromkeys(a.rule for a in self.fixed))

    def feedback(self) -> list[str]:
        """Lines for the next prompt: what the rules tried, and that it was undone."""
        if not self.attempts or self.ok:
            return []
        tried = ", ".join(dict.fromkeys(f"{a.rule} at {a.file}:{a.line}" for a in self.attempts))
        left = [
            f"{d.location()}: {d.message[:160]}"
            for d in (self.result.diagnostics if self.result else [])
            if d.severity == "error"
        ]
        line = f"Automatic rule repairs ({tried[:300]}) were tried and undone"
        if left:
            line += "; still failing after them: " + " | ".join(left[:3])
        return [line + "."]


def rules_enabled(config: MomConfig) -> bool:
    """The rules tier is on when routing.toml keeps `rules` on the default ladder."""
    return RULES_TIER in config.ladder("default")


class _RowLog:
    """Forwards the engine's ledger rows and remembers the validated ones, so they can be
    marked rolled back when the whole repair is undone (the engine only calls `record`)."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.validated: list[int] = []

    def record(self, entry: LedgerEntry) -> int:
        row = self.ledger.record(entry)
        if entry.outcome == "validated":
            self.validated.append(row)
        return row

    def undone(self) -> None:
        for row in self.validated:
            self.ledger.set_outcome(row, "rolled_back")


class _ScopedApplier:
    """Applies rule steps only inside `scope`, and remembers which steps are kept."""

    def __init__(self, inner: StepApplier, scope: Collection[str], hook: StepsHook | None) -> None:
        self.inner = inner
        self.scope = {_norm(p) for p in scope}
        self.hook = hook
        self.kept: list[tuple[str, tuple[str, ...]]] = []  # (step id, paths), oldest first

    def apply(self, blocks: Sequence[EditBlock], summary: str) -> str:
        outside = sorted({_norm(b.path) for b in blocks} - self.scope)
        if outside:
            raise EditError(f"outside the model's edit: {', '.join(outside)}")
        step_id = self.inner.apply(blocks, summary)
        self.kept.append((step_id, tuple(_norm(b.path) for b in blocks)))
        self._report()
        return step_id

    def rollback(self, step_id: str) -> None:
        self.inner.rollback(step_id)
        self.kept = [k for k in self.kept if k[0] != step_id]
        self._report()

    def undo_all(self) -> None:
        """Newest first: each step's files then hold exactly what that step wrote."""
        for step_id, _ in reversed(list(self.kept)):
            self.rollback(step_id)

    def _report(self) -> None:
        if self.hook is not None:
            self.hook([k[0] for k in self.kept])


def _norm(path: str) -> str:
    return PurePosixPath(path.replace("\\", "/")).as_posix().removeprefix("./")


def repair_edit(
    repo: Path,
    changed_paths: Sequence[str],
    diagnostics: Sequence[Diagnostic],
    validate: Validate,
    applier: StepApplier,
    *,
    ledger: Ledger | None = None,
    sink: EventSink = null_sink,
    run_id: str = "",
    project_files: Sequence[str] = (),
    on_steps: StepsHook | None = None,
    max_attempts: int = MAX_RULE_ATTEMPTS,
) -> RepairOutcome:
    """Let the rules repair a model's applied edit; see the module docstring.

    `validate(paths)` validates the given files (the changed ones plus any a rule touched)
    and must be the same check that failed; `diagnostics` is what it reported. On any
    exception the rule steps are rolled back before it propagates.
    """
    if not any(d.file and d.severity == "error" for d in diagnostics):
        return RepairOutcome(False)
    scoped = _ScopedApplier(applier, changed_paths, on_steps)
    rows = _RowLog(ledger) if ledger is not None else None
    last: list[tuple[list[str], ValidationResult]] = []  # (rule steps on disk, result)

    def check() -> list[Diagnostic]:
        touched = {p for _, paths in scoped.kept for p in paths}
        result = validate(sorted(set(changed_paths) | touched))
        last.append(([k[0] for k in scoped.kept], result))
        return result.diagnostics

    engine = RulesEngine(
        repo, check, scoped, ledger=cast(Ledger | None, rows), sink=sink, run_id=run_id,
        project_files=project_files, max_attempts=max_attempts, max_seconds=MAX_SECONDS,
    )  # fmt: skip
    try:
        report = engine.run(list(diagnostics))
        if scoped.kept and last and last[-1][0] != [k[0] for k in scoped.kept]:
            check()  # the last check saw a rule step the engine has rolled back since
        passed = bool(scoped.kept) and bool(last) and last[-1][1].passed
    except BaseException:
        scoped.undo_all()
        raise
    outcome = RepairOutcome(passed, last[-1][1] if last else None, report.attempts)
    if report.attempts:
        what = f"kept {', '.join(outcome.rules)}" if passed else "undone: validation still fails"
        sink(Notice(f"rules on the model's edit of {', '.join(changed_paths)} ($0): {what}"))
    if passed:
        outcome.steps = [k[0] for k in scoped.kept]
        outcome.paths = sorted({p for _, paths in scoped.kept for p in paths})
    else:
        scoped.undo_all()
        if rows is not None:
            rows.undone()
    return outcome


async def repair_after_edit(
    repo: Path,
    changed_paths: Sequence[str],
    diagnostics: Sequence[Diagnostic],
    validate: AsyncValidate,
    applier: StepApplier,
    *,
    ledger: Ledger | None = None,
    sink: EventSink = null_sink,
    run_id: str = "",
    project_files: Sequence[str] = (),
    on_steps: StepsHook | None = None,
) -> RepairOutcome:
    """`repair_edit` for async callers: the engine runs in a worker thread and each of
    its checks awaits `validate` on this event loop."""
    loop = asyncio.get_running_loop()

    async def validate_on_loop(paths: list[str]) -> ValidationResult:
        return await validate(paths)

    def validate_sync(paths: list[str]) -> ValidationResult:
        return asyncio.run_coroutine_threadsafe(validate_on_loop(paths), loop).result()

    return await asyncio.to_thread(
        repair_edit, repo, changed_paths, diagnostics, validate_sync, applier,
        ledger=ledger, sink=sink, run_id=run_id, project_files=project_files,
        on_steps=on_steps,
    )  # fmt: skip
