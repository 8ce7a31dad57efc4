"""`run_request`: analyze → graph → execute → validate, as `mom run` and the TUI do it.

The wiring moved here from cli/run_cmd.py: provider pool + ledger, outcome store, code
index, RepoEditor (edits, checkpoints, validation), the repo lock, and the run record in
`.mom/runs/`. Cancellation (the token) interrupts the pipeline; every step of this run
that had not finished (its edit applied but its task not passed) is then rolled back
through its checkpoint, so the user's files are as they were before it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mom_cli.events import ChangeHeld, Event, EventSink, Notice, TaskFinished, null_sink
from mom_cli.service.cancel import CancelToken, run_async
from mom_cli.service.locking import repo_lock

if TYPE_CHECKING:
    from mom_cli.config import MomConfig
    from mom_cli.engine.diagnosis import StepDiagnosis
    from mom_cli.engine.edit_checker import RepoEditor
    from mom_cli.engine.edit_prompt import IndexContext
    from mom_cli.engine.pipeline import PlannedRun, RunResult
    from mom_cli.service.workspace import Workspace

CallerFactory = Callable[["MomConfig", EventSink], tuple[Any, Any]]


def default_caller(config: MomConfig, sink: EventSink) -> tuple[Any, Any]:
    """The provider pool with the ledger: what a run calls models through."""
    from mom_cli.ledger.store import Ledger
    from mom_cli.providers.pool import ProviderPool

    ledger = Ledger()
    return ProviderPool(config, ledger=ledger, sink=sink), ledger


@dataclass
class RunOutcome:
    """What a run did: the pipeline's result, its --json document, the edits it holds."""

    planned: PlannedRun | None = None
    result: RunResult | None = None
    document: dict[str, Any] = field(default_factory=dict)
    diagnoses: list[StepDiagnosis] = field(default_factory=list)
    held: list[str] = field(default_factory=list)  # checkpoint ids of kept, validated steps
    rolled_back: list[str] = field(default_factory=list)  # in-flight steps undone on cancel
    cancelled: bool = False
    dry_run: bool = False

    @property
    def exit_code(self) -> int:
        from mom_cli.errors import ExitCode

        if self.cancelled:
            return ExitCode.INTERRUPTED
        return self.result.exit_code if self.result is not None else ExitCode.OK


class _Finished:
    """Sink wrapper that remembers which tasks passed (a cancelled run keeps only those)."""

    def __init__(self, sink: EventSink) -> None:
        self.sink = sink
        self.passed: set[str] = set()

    def __call__(self, event: Event) -> None:
        if isinstance(event, TaskFinished) and event.status == "passed":
            self.passed.add(event.task_id)
        self.sink(event)


def run_request(
    ws: Workspace,
    request: str,
    *,
    sink: EventSink = null_sink,
    token: CancelToken | None = None,
    dry_run: bool = False,
    max_tier: str | None = None,
    caller_factory: CallerFactory = default_caller,
) -> RunOutcome:
    """Run one request end to end (or plan it, with dry_run). Holds the repo lock while
    it may edit. Never raises for a cancelled run: the outcome says `cancelled`."""
    from mom_cli.service.cancel import Cancelled

    finished = _Finished(sink)
    outcome = RunOutcome(dry_run=dry_run)
    state: dict[str, Any] = {}
    with repo_lock(ws.repo, "run", enabled=not dry_run):
        interrupt: KeyboardInterrupt | None = None
        try:
            run_async(
                _run(
                    ws, request, finished, outcome, state, dry_run, max_tier, caller_factory, token
                ),
                token,
            )
        except Cancelled:
            outcome.cancelled = True
        except KeyboardInterrupt as exc:  # Ctrl+C in a terminal: roll back, then re-raise
            outcome.cancelled, interrupt = True, exc
        editor: RepoEditor | None = state.get("editor")
        if editor is not None:
            interrupted = outcome.cancelled or (
                outcome.result is not None and outcome.result.status == "interrupted"
            )
            if interrupted:
                outcome.cancelled = True
                undone = _roll_back_unfinished(editor, finished.passed, sink)
                outcome.rolled_back = [*editor.interrupted, *undone]
            outcome.held = [
                s.record_id for s in editor.steps.values() if s.status == "applied" and s.record_id
            ]
        if interrupt is not None:
            raise interrupt
    if outcome.result is not None and not dry_run:
        _finish_document(ws, request, outcome, state)
    return outcome


async def _run(
    ws: Workspace,
    request: str,
    sink: EventSink,
    outcome: RunOutcome,
    state: dict[str, Any],
    dry_run: bool,
    max_tier: str | None,
    caller_factory: CallerFactory,
    token: CancelToken | None = None,
) -> None:
    from mom_cli.engine.edit_checker import RepoEditor
    from mom_cli.engine.edit_prompt import IndexContext
    from mom_cli.engine.pipeline import Pipeline
    from mom_cli.routing.learning import OutcomeStats
    from mom_cli.routing.outcome_store import OutcomeStore

    config = ws.config
    caller, ledger = caller_factory(config, sink)
    state["ledger"] = ledger
    store = OutcomeStore()
    index = IndexContext(ws.repo)
    editor = RepoEditor(ws.repo, config, sink=sink, context=index, ledger=ledger)
    if token is not None:  # a validation the cancel killed is an interruption, not a failure
        editor.cancelled = lambda: token.cancelled

    async def check(task: Any, completion: Any) -> Any:
        """The editor's check, announcing each validated change (the TUI's review list)."""
        checked = await editor.check(task, completion)
        step = editor.steps.get(task.id)
        if checked.ok and step is not None and step.record_id:
            stages = tuple(_stages(step.validation))
            sink(ChangeHeld(task.id, step.record_id, tuple(step.changed_files), stages))
        return checked

    pipeline = Pipeline(
        config,
        caller,
        sink=sink,
        stats=OutcomeStats.from_sources(store),
        outcome_store=store,
        checker=check,
        prompter=editor.prompt,
    )
    state["pipeline"] = pipeline
    try:
        planned = await pipeline.plan(request, max_tier=max_tier)
        outcome.planned = planned
        if dry_run:
            return
        if editor.activate(request, planned.plan):
            state["editor"] = editor
            await _prepare_edits(editor, index, config, caller, pipeline.run_id)
        outcome.result = await pipeline.execute(planned)
    finally:
        store.close()
        aclose = getattr(caller, "aclose", None)
        if aclose is not None:
            await aclose()


def _stages(validation: dict[str, Any] | None) -> list[str]:
    """'syntax:passed' style labels of a step's validation stages."""
    stages = (validation or {}).get("stages", [])
    out = []
    for s in stages:
        status = "skipped" if s.get("skipped") else ("passed" if s.get("passed") else "failed")
        out.append(f"{s.get('name', '?')}:{status}")
    return out


async def _prepare_edits(
    editor: RepoEditor, index: IndexContext, config: MomConfig, caller: Any, run_id: str
) -> None:
    """Recover a crashed run's half-applied step, warm the code index, set up review."""
    import asyncio

    editor.run_id = run_id  # rule repairs of this run's edits are ledgered under it
    await asyncio.to_thread(editor.prepare)
    if not await asyncio.to_thread(index.refresh):
        editor.sink(Notice(index.warning, level="warning"))
    try:
        await asyncio.to_thread(editor.locate_focus)
    except Exception as exc:  # noqa: BLE001 - a hint: the broad context still works
        editor.sink(Notice(f"could not locate the change: {exc}"[:200], level="warning"))
    if config.validation.local_model_review:
        from mom_cli.providers.review import local_reviewer

        loop = asyncio.get_running_loop()
        editor.reviewer = local_reviewer(config, caller, loop=loop, run_id=run_id)
        if editor.reviewer is None:
            editor.sink(Notice("local_model_review is on but no local model is usable", "warning"))


def _roll_back_unfinished(editor: RepoEditor, passed: set[str], sink: EventSink) -> list[str]:
    """After a cancel: undo every applied step whose task had not passed (newest first)."""
    from mom_cli.errors import MomError

    undone = []
    for tid, step in reversed(list(editor.steps.items())):
        if step.status != "applied" or not step.record_id or tid in passed:
            continue
        try:
            editor.store.rollback(step.record_id)
        except MomError as exc:
            sink(Notice(f"{tid}: could not roll back ({exc})", level="warning"))
            continue
        step.status = "failed"
        undone.append(step.record_id)
        sink(Notice(f"{tid}: cancelled; its change was rolled back"))
    return undone


def _finish_document(
    ws: Workspace, request: str, outcome: RunOutcome, state: dict[str, Any]
) -> None:
    """The --json document (ledger totals, per-step edits, diagnosis) and the run record."""
    from mom_cli.engine.contributions import write_run_record
    from mom_cli.engine.diagnosis import diagnose_failures
    from mom_cli.paths import repo_state_dir

    result = outcome.result
    assert result is not None
    document = result.to_json()
    totals_from_ledger(state.get("ledger"), result.run_id, document)
    pipeline = state["pipeline"]
    outcome.diagnoses = diagnose_failures(pipeline, result)
    add_steps(document, result, state.get("editor"), outcome.diagnoses)
    outcome.document = document
    write_run_record(
        repo_state_dir(ws.repo) / "runs",
        result.run_id,
        {**document, "run_id": result.run_id, "request": request, "answer": result.answer},
    )


def add_steps(
    document: dict[str, Any],
    result: RunResult,
    editor: RepoEditor | None,
    diagnoses: list[StepDiagnosis],
) -> None:
    """Per-step status, attempts and changed files; the edit summary and diagnosis."""
    report = result.report
    for sub in document["subtasks"]:
        tid = sub["id"]
        climbed = result.climbs.get(tid)
        sub["status"] = report.status.get(tid, "") if report is not None else result.status
        sub["attempts"] = len(climbed.attempts) if climbed else 0
        step = editor.steps.get(tid) if editor is not None else None
        if step is not None and step.status == "satisfied":  # an earlier step made the change
            sub["status"] = "satisfied"
        sub["changed_files"] = step.changed_files if step and step.status != "failed" else []
    if editor is not None and editor.active:
        document["edits"] = {
            "changed_files": editor.changed_files,
            "snapshot": editor.snapshot_ref,
            "steps": {tid: s.to_dict() for tid, s in editor.steps.items()},
        }
    if diagnoses:
        document["diagnosis"] = [d.to_dict() for d in diagnoses]


def totals_from_ledger(ledger: Any, run_id: str, document: dict[str, Any]) -> None:
    """Printed figures come from the ledger when it has this run's rows."""
    rows = ledger.rows(run_id=run_id) if ledger is not None and hasattr(ledger, "rows") else []
    rows = [r for r in rows if r.tier != "rules"]  # rule repairs: $0 and not model calls
    if rows:
        totals = document["totals"]
        totals["input_tokens"] = sum(r.input_tokens for r in rows)
        totals["output_tokens"] = sum(r.output_tokens for r in rows)
        totals["cost_usd"] = round(sum(r.cost_usd for r in rows), 6)
        totals["calls"] = len(rows)
