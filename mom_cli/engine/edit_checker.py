"""Repository edits for `mom run`: the prompter and the StepChecker of edit steps.

`RepoEditor` plugs into `Pipeline(prompter=editor.prompt, checker=editor.check)`. Once a
run is activated for edits (`edit_intent.wants_edits`), each edit step's prompt carries
targeted code context and the edit format, and each reply is handled as untrusted input:

    parse edit blocks → apply atomically (contained, checkpointed) → validate the changed
    paths → (failed: the rules tier repairs mechanical faults in those files, $0) → keep
    (commit only if validation.commit_changes) | roll back byte-exact, rule edits included

A failed check returns AttemptResult(ok=False, diagnostics=...) so `climb` escalates with
the diagnostics in the next prompt. The user's work is snapshotted once per run, before the
first write, and interrupted steps of an earlier run are rolled back at `prepare()`.
Apply + validate + rollback hold one lock, so parallel steps never validate each other's
half-checked edits. Steps that are not edit steps keep the plain answer behaviour.
"""

from __future__ import annotations

import asyncio
import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mom_cli.config import MomConfig
from mom_cli.edits import (
    CheckpointStore,
    EditBlock,
    StepRecord,
    apply_edits,
    commit_if_configured,
    parse_edit_blocks,
    plan_edits,
)
from mom_cli.edits.already import already_applied
from mom_cli.edits.checkpoint import PlannedChange, read_bytes
from mom_cli.engine.edit_intent import is_edit_step, wants_edits
from mom_cli.engine.edit_prompt import ContextSource, edit_prompt
from mom_cli.engine.focus import Focus, locate
from mom_cli.engine.pipeline import PlannedRun, answer_check
from mom_cli.engine.preexisting import BEFORE_THE_RUN, PreexistingFailures
from mom_cli.engine.prompts import step_request
from mom_cli.errors import EditError, MomError
from mom_cli.events import EventSink, Notice, null_sink
from mom_cli.ledger.store import Ledger
from mom_cli.providers.base import Completion, CompletionRequest
from mom_cli.routing.analyzer import Plan
from mom_cli.routing.ladder import Assist, AttemptResult, Feedback, Rung
from mom_cli.routing.subtask import SubTask
from mom_cli.rules.repair import RepairOutcome, repair_edit, rules_enabled
from mom_cli.rules.steps import CheckpointApplier
from mom_cli.validate.pipeline import Reviewer, validate_paths
from mom_cli.validate.result import ValidationResult

NO_BLOCKS = (
    "The reply contained no edit blocks, so nothing was changed. This step must change "
    "files: answer with edit blocks only (the file path on its own line, then a "
    "SEARCH/REPLACE block)."
)
MAX_DIAGNOSTIC_LINES = 18
DEFAULT_WINDOW = 8192


ROLLED_BACK = "The edit was rolled back; the files are as they were before it."


@dataclass
class StepEdit:
    """What one edit step did to the repository (for the summary and --json)."""

    task_id: str
    status: str = "pending"  # applied | committed | satisfied (already done) | failed
    changed_files: list[str] = field(default_factory=list)
    record_id: str = ""
    commit: str = ""
    validation: dict[str, Any] | None = None
    attempts: list[dict[str, Any]] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)  # rules that repaired the kept edit

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "changed_files": self.changed_files,
            "rules": self.rules,
            "record_id": self.record_id,
            "commit": self.commit,
            "validation": self.validation,
            "attempts": self.attempts,
        }


class RepoEditor:
    """Edits for one run in one repository. Inactive until `activate` says the run edits."""

    def __init__(
        self,
        repo: Path,
        config: MomConfig,
        *,
        sink: EventSink = null_sink,
        reviewer: Reviewer | None = None,
        context: ContextSource | None = None,
        store: CheckpointStore | None = None,
        ledger: Ledger | None = None,
        run_id: str = "",
    ) -> None:
        self.repo = repo.resolve()
        self.config = config
        self.sink = sink
        self.reviewer = reviewer
        self.context = context
        self.store = store or CheckpointStore(self.repo)
        self.ledger = ledger  # rule attempts and validation verdicts of model calls
        self.run_id = run_id
        self.active = False
        self.snapshot_ref = ""
        self.steps: dict[str, StepEdit] = {}
        # checkpoints of edits rolled back because validation was interrupted (a cancel):
        # the step never became "applied", so only this says that a change was undone
        self.interrupted: list[str] = []
        self.cancelled: Callable[[], bool] = lambda: False  # the front end's cancel token
        self._snapshotted = False
        self._lock: asyncio.Lock | None = None
        self._request = ""
        self.focus: Focus | None = None  # what the request is about (locate_focus)
        self.preexisting = PreexistingFailures(self.repo, config.validation)

    # -- run level ------------------------------------------------------------------------
    def activate(self, request: str, plan: Plan) -> bool:
        """Decide from the analyzer's plan whether this run edits the repository."""
        self.active = wants_edits(request, plan)
        self._request = request
        return self.active

    def locate_focus(self) -> Focus | None:
        """Before the first step: the function the request is about (engine.focus), so
        each prompt carries it, its callers and tests rather than a broad context."""
        if not self.active:
            return None
        self.focus = locate(self.repo, self._request, self.config)
        if self.focus is not None:
            names = ", ".join(f"{t.file}:{t.name or 'module'}" for t in self.focus.trace.targets)
            self.sink(Notice(f"context focused on {names}"))
        return self.focus

    def prepare(self) -> list[StepRecord]:
        """Before the first step: roll back steps a crashed run left half-applied."""
        recovered = self.store.recover_interrupted()
        for record in recovered:
            self.sink(Notice(f"rolled back interrupted step {record.id} ({record.summary})"))
        return recovered

    def is_edit(self, task: SubTask) -> bool:
        return self.active and is_edit_step(task)

    @property
    def changed_files(self) -> list[str]:
        files = (f for s in self.steps.values() if s.status != "failed" for f in s.changed_files)
        return sorted(set(files))

    # -- prompter -------------------------------------------------------------------------
    def prompt(
        self,
        planned: PlannedRun,
        task: SubTask,
        upstream: Mapping[str, Any],
        feedback: Feedback,
        rung: Rung,
    ) -> CompletionRequest:
        """`StepPrompter`: the edit prompt for edit steps, the plain one otherwise."""
        if not self.is_edit(task):
            return step_request(planned, task, upstream, feedback)
        model = self.config.models.get(rung.model)
        built = edit_prompt(
            self.repo,
            task,
            upstream,
            feedback,
            window=model.context_window if model else DEFAULT_WINDOW,
            max_context_tokens=self.config.context.max_context_tokens,
            context=self.context,
            run_request=self._request,
            focus=self.focus.render if self.focus is not None else None,
        )
        return built.request

    # -- checker --------------------------------------------------------------------------
    async def check(self, task: SubTask, completion: Completion) -> AttemptResult:
        """`StepChecker`: parse → apply → validate → keep or roll back."""
        if not self.is_edit(task):
            return await answer_check(task, completion)
        step = self.steps.setdefault(task.id, StepEdit(task.id))
        where = f"{completion.tier}/{completion.model}"
        try:
            blocks = parse_edit_blocks(completion.content)
        except EditError as exc:
            self._verdict(completion, False)
            return self._failed(step, completion, where, "unparseable", [exc.detail or str(exc)])
        if not blocks:
            self._verdict(completion, False)
            return self._failed(step, completion, where, "no edit blocks", [NO_BLOCKS])
        async with self._guard():
            try:
                checked = await asyncio.to_thread(
                    self._apply_and_validate, step, task, blocks, completion
                )
            except (MomError, asyncio.CancelledError):
                raise
            except Exception as exc:  # noqa: BLE001 - the step says why, not "pending"
                reason = f"{type(exc).__name__}: {exc}".encode("utf-8", "backslashreplace")
                checked = self._failed(step, completion, where, "error", [reason.decode()])
        self._verdict(completion, checked.ok)
        return checked

    def _verdict(self, completion: Completion, ok: bool) -> None:
        if self.ledger is not None:
            self.ledger.set_outcome(
                completion.ledger_id, "validated" if ok else "failed_validation"
            )

    def _guard(self) -> asyncio.Lock:
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    def _apply_and_validate(
        self, step: StepEdit, task: SubTask, blocks: Sequence[EditBlock], completion: Completion
    ) -> AttemptResult:
        """Runs in a worker thread, under the editor's lock."""
        where = f"{completion.tier}/{completion.model}"
        met = self._satisfied(step, blocks, completion, where)
        if met is not None:
            return met
        try:
            changes = plan_edits(self.repo, blocks)
            if not changes:
                return self._failed(step, completion, where, "no change", [_NO_CHANGE])
            self._snapshot_once()
            record = apply_edits(
                self.repo, blocks, summary=f"{task.id} by {where}", store=self.store,
                snapshot=False,
            )  # fmt: skip
        except EditError as exc:  # incl. PathEscapeError: nothing was written
            return self._failed(step, completion, where, "refused", [exc.detail or str(exc)])
        self.sink(Notice(f"{task.id}: applied {', '.join(record.paths)}; validating"))
        repair = RepairOutcome(False)
        try:
            result = self._validate(record.paths, changes)
            if not result.passed:
                repair, result = self._repair(record, changes, result)
        except BaseException:  # an unvalidated edit is never left behind
            self._roll_back_interrupted(task.id, record)
            raise
        if not result.passed and self.cancelled():  # the cancel killed the validation
            self._roll_back_interrupted(task.id, record)
            return self._failed(step, completion, where, "cancelled", ["Cancelled."], result)
        if not result.passed:
            undone = self._rollback(record)
            lines = _diagnostic_lines(result) + repair.feedback() + undone
            return self._failed(step, completion, where, "validation failed", lines, result)
        step.status, step.changed_files, step.record_id = "applied", record.paths, record.id
        step.validation, step.rules = result.to_dict(), repair.rules
        step.commit = self._commit(record)
        if step.commit:
            step.status = "committed"
        outcome = "validated with rules' help" if repair.ok else "validated"
        step.attempts.append(_attempt(where, outcome, record.paths))
        stages = ", ".join(s.name for s in result.stages if not s.skipped) or "none applicable"
        changes = _now(self.repo, changes) if repair.ok else changes
        helped = f"; rules repaired it: {', '.join(repair.rules)}" if repair.ok else ""
        old = next((s.note for s in result.stages if s.note.endswith(BEFORE_THE_RUN)), "")
        summary = (
            f"Changed {', '.join(record.paths)} ({_stat(changes)}){helped}; "
            f"validation passed: {stages}" + (f" ({old}, left alone)." if old else ".")
        )
        assists = _assists(repair, changes)
        return AttemptResult(True, summary, (), completion, data=step, assists=assists)

    def _satisfied(
        self, step: StepEdit, blocks: Sequence[EditBlock], completion: Completion, where: str
    ) -> AttemptResult | None:
        """The edit's goal is already met (an earlier step made this very change) and the
        files validate: the step is satisfied, not failed. None when that is not so."""
        paths = already_applied(self.repo, blocks)
        if not paths:
            return None
        result = self._validate(paths, [])
        if not result.passed:
            return None
        step.status, step.validation = "satisfied", result.to_dict()
        step.attempts.append(_attempt(where, "already satisfied", []))
        self.sink(Notice(f"{step.task_id}: already satisfied ({', '.join(paths)} has this change)"))
        summary = (
            f"Already satisfied: {', '.join(paths)} already has this change; validation passed."
        )
        return AttemptResult(True, summary, (), completion, data=step)

    def _validate(
        self, paths: Sequence[str], changes: Sequence[PlannedChange], *, review: bool = True
    ) -> ValidationResult:
        """The project's checks on `paths`; tests that failed and lint findings that were
        there before this run are not the edit's (see `preexisting`, `lint_baseline`)."""
        cfg = self.config.validation
        reviewer = self.reviewer if cfg.local_model_review and review else None
        diff = _unified_diff(changes) if reviewer is not None else None

        def run(stages: Sequence[str] | None = None) -> ValidationResult:
            return validate_paths(
                self.repo, paths, config=cfg, reviewer=reviewer, diff=diff, stages=stages,
                lint_base=self.snapshot_ref or None,
            )  # fmt: skip

        result = run()
        if result.passed or self.cancelled():  # a cancel's killed suite is no test result
            return result
        return self.preexisting.forgive(result, self.snapshot_ref, run)

    def _repair(
        self, record: StepRecord, changes: Sequence[PlannedChange], failed: ValidationResult
    ) -> tuple[RepairOutcome, ValidationResult]:
        """Rules repair the failed edit in place ($0); on failure their steps are undone.

        The rules' checks skip the model review (a model call per check); the repaired
        result is reviewed once at the end, as a whole."""
        if not rules_enabled(self.config):
            return RepairOutcome(False), failed
        applier = CheckpointApplier(self.repo, self.store)
        repair = repair_edit(
            self.repo, record.paths, failed.diagnostics,
            lambda paths: self._validate(paths, changes, review=False), applier,
            ledger=self.ledger, sink=self.sink, run_id=self.run_id,
        )  # fmt: skip
        if not repair.ok or repair.result is None:
            return repair, repair.result or failed
        if self.reviewer is None or not self.config.validation.local_model_review:
            return repair, repair.result
        reviewed = self._validate(record.paths, _now(self.repo, changes))
        if not reviewed.passed:
            for step_id in reversed(repair.steps):
                applier.rollback(step_id)
            repair.ok, repair.result = False, reviewed
        return repair, reviewed

    def _roll_back_interrupted(self, task_id: str, record: StepRecord) -> None:
        if self._rollback(record) == [ROLLED_BACK]:
            self.interrupted.append(record.id)
            self.sink(Notice(f"{task_id}: interrupted; its change was rolled back"))

    def _rollback(self, record: StepRecord) -> list[str]:
        try:
            self.store.rollback(record.id)
        except MomError as exc:  # the user changed a file while it was validated
            self.sink(Notice(f"could not roll back {record.id}: {exc}", level="warning"))
            return [f"The edit could NOT be rolled back: {exc}"]
        return [ROLLED_BACK]

    def _snapshot_once(self) -> None:
        """The user's uncommitted work, saved once per run before mom's first write."""
        if self._snapshotted:
            return
        self._snapshotted = True
        self.store.begin_run(self.run_id, "run")  # `mom undo` reverts the run whole
        try:
            self.snapshot_ref = self.store.snapshot("mom run: before changes")
        except Exception as exc:  # GitPython raises its own types; never block on this
            why = f"{type(exc).__name__}: {exc}"[:200]
            self.sink(Notice(f"no git snapshot ({why}); step checkpoints still apply", "warning"))

    def _commit(self, record: StepRecord) -> str:
        cfg = self.config.validation
        try:
            return commit_if_configured(
                self.store, record, enabled=cfg.commit_changes, message_template=cfg.commit_message
            )
        except Exception as exc:  # the change stays applied and validated, just uncommitted
            self.sink(Notice(f"commit failed ({exc}); change left uncommitted", "warning"))
            return ""

    def _failed(
        self,
        step: StepEdit,
        completion: Completion,
        where: str,
        outcome: str,
        lines: Sequence[str],
        result: ValidationResult | None = None,
    ) -> AttemptResult:
        step.status = "failed"
        if result is not None:
            step.validation = result.to_dict()
        step.attempts.append(_attempt(where, outcome, [], lines))
        return AttemptResult(False, completion.content, tuple(lines), completion, data=step)


_NO_CHANGE = "The edit blocks left every file exactly as it was; nothing was changed."


def _attempt(
    where: str, outcome: str, files: Sequence[str], lines: Sequence[str] = ()
) -> dict[str, Any]:
    return {
        "route": where,
        "outcome": outcome,
        "files": list(files),
        "diagnostics": list(lines[:8]),
    }


def _diagnostic_lines(result: ValidationResult) -> list[str]:
    """The validator's prompt text as diagnostic lines, short enough for a retry prompt."""
    lines = [line for line in result.prompt_text(limit=1500).splitlines() if line.strip()]
    if len(lines) > MAX_DIAGNOSTIC_LINES:
        lines = lines[: MAX_DIAGNOSTIC_LINES - 1] + [f"… ({len(lines)} lines in all)"]
    return lines


def _now(repo: Path, changes: Sequence[PlannedChange]) -> list[PlannedChange]:
    """The planned changes with what is on disk now as `after` (model edit + rule fixes)."""
    return [replace(c, after=read_bytes(repo / c.path) or b"") for c in changes]


def _assists(repair: RepairOutcome, changes: Sequence[PlannedChange]) -> tuple[Assist, ...]:
    """The rules' share of a repaired step, by changed lines: a rule fix counts as one
    line, the rest of the step's changed lines are the model's."""
    fixes = repair.fixed
    if not fixes:
        return ()
    added, removed = _counts(changes)
    total = max(added, removed, len(fixes) + 1)
    counts: dict[str, int] = {}
    for a in fixes:
        counts[a.rule] = counts.get(a.rule, 0) + 1
    return tuple(Assist("rules", name, round(n / total, 4)) for name, n in counts.items())


def _unified_diff(changes: Sequence[PlannedChange]) -> str:
    out: list[str] = []
    for c in changes:
        before = (c.before or b"").decode("utf-8", "replace").splitlines(keepends=True)
        after = c.after.decode("utf-8", "replace").splitlines(keepends=True)
        old = f"a/{c.path}" if c.before is not None else "/dev/null"
        out += difflib.unified_diff(before, after, old, f"b/{c.path}")
    return "".join(out)


def _counts(changes: Sequence[PlannedChange]) -> tuple[int, int]:
    added = removed = 0
    for line in _unified_diff(changes).splitlines():
        if line.startswith("+") and not line.startswith("+++"):
            added += 1
        elif line.startswith("-") and not line.startswith("---"):
            removed += 1
    return added, removed


def _stat(changes: Sequence[PlannedChange]) -> str:
    added, removed = _counts(changes)
    return f"+{added} -{removed}"
