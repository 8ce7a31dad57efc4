"""`mom milestone N` as a library: plan → (generated checklist) → graph → items → report.

Everything that touches the repo happens under the repo lock. A run that died (kill -9)
or was interrupted is found in `.mom/runs/`; it is either resumed - validated items are
never redone, the in-flight item is rolled back or ticked - or, on request, settled and
discarded. The engine's TaskGraph/FanOutExecutor schedule the open items.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from mom_cli.config import MomConfig
from mom_cli.edits.checkpoint import CheckpointStore
from mom_cli.engine.executor import FanOutExecutor, StepResult
from mom_cli.engine.graph import SubTask, TaskGraph
from mom_cli.errors import UsageError
from mom_cli.events import EventSink, Notice, null_sink
from mom_cli.ledger.store import Ledger
from mom_cli.providers.base import ModelCaller
from mom_cli.validate.pipeline import validate_paths
from mom_cli.validate.result import ValidationResult
from mom_cli.workflows.milestone import plan as planfile
from mom_cli.workflows.milestone.generate import (
    Checklist,
    dry_run_checklist,
    generate_checklist,
)
from mom_cli.workflows.milestone.item import Hook, ItemEnv, Validator, run_item, settle_item
from mom_cli.workflows.milestone.lock import RepoLock
from mom_cli.workflows.milestone.prompts import targeted_context
from mom_cli.workflows.milestone.report import RunReport, build_report, plan_report
from mom_cli.workflows.milestone.runstate import (
    TERMINAL,
    ItemState,
    RunState,
    new_run,
    unfinished_run,
)

StalePolicy = Literal["error", "resume", "discard"]


class StaleRunError(UsageError):
    """An earlier run of this milestone stopped before finishing; the user must choose."""

    def __init__(self, message: str, run: RunState) -> None:
        super().__init__(message)
        self.run = run


def pipeline_validator(config: MomConfig) -> Validator:
    """The four-stage validator over the files an item changed, off the event loop."""

    async def validate(repo: Path, files: list[str]) -> ValidationResult:
        return await asyncio.to_thread(validate_paths, repo, files, config=config.validation)

    return validate


@dataclass
class MilestoneRunner:
    repo: Path
    config: MomConfig
    caller: ModelCaller
    validator: Validator | None = None
    ledger: Ledger | None = None
    sink: EventSink = null_sink
    hook: Hook | None = None

    def load(self, number: int) -> tuple[Path, planfile.Milestone]:
        path = planfile.find_plan_file(self.repo, self.config.milestones.plan_files)
        return path, planfile.load_plan(path).milestone(number)

    async def checklist(
        self, number: int, *, write: bool, run_id: str = "", dry_run: bool = False
    ) -> tuple[Path, planfile.Milestone, Checklist | None]:
        """The milestone, with a checklist generated (and written back if `write`). A dry
        run never calls a model: it drafts from the text and says what a model would cost."""
        path, milestone = self.load(number)
        if milestone.items:
            return path, milestone, None
        if dry_run:
            drafted = dry_run_checklist(self.config, self.caller, milestone)
        else:
            drafted = await generate_checklist(self.config, self.caller, milestone, run_id=run_id)
        self.sink(
            Notice(
                f"milestone {number} had no checklist; generated "
                f"{len(drafted.items)} items ({drafted.source})"
                + (f": {drafted.note}" if drafted.note else "")
            )
        )
        if write:
            return path, planfile.insert_checklist(path, number, list(drafted.items)), drafted
        draft = f"## Milestone {number}: {milestone.title}\n" + "".join(
            f"- [ ] {it}\n" for it in drafted.items
        )
        items = planfile.parse_plan(draft, path).milestone(number).items
        return path, replace(milestone, items=items, generated=True), drafted

    async def dry_run(self, number: int) -> RunReport:
        """Checklist, graph, planned tier per item and an estimated cost; writes nothing."""
        _, milestone, drafted = await self.checklist(number, write=False, dry_run=True)
        return plan_report(self.repo, self.config, self.caller, milestone, drafted)

    async def run(
        self, number: int, *, stale: StalePolicy = "error", test_first: bool = False
    ) -> RunReport:
        with RepoLock(self.repo, f"milestone {number}"):
            return await self._run_locked(number, stale, test_first)

    async def _run_locked(self, number: int, stale: StalePolicy, test_first: bool) -> RunReport:
        store = CheckpointStore(self.repo)
        store.recover_interrupted()  # a step half-written by a dead process
        path, milestone = self.load(number)
        previous = unfinished_run(self.repo, number)
        if previous is not None and stale == "error":
            raise StaleRunError(
                f"milestone {number} has an unfinished {previous.describe()}; run "
                f"`mom milestone {number} --resume` to continue it",
                previous,
            )
        if previous is not None:
            self._settle(previous, store, path, milestone)
            if stale == "discard":
                previous.status = "abandoned"
                previous.save()
                previous = None
        path, milestone, _ = await self.checklist(number, write=True)
        run = previous or new_run(self.repo, number, path, test_first=test_first)
        run.pid, run.status = _pid(), "running"
        store.begin_run(run.run_id, "milestone")  # a resumed run keeps its id: one undo
        if previous is None and (snap := store.snapshot(f"mom: before milestone {number}")):
            run.snapshot_ref = snap
        _sync_items(run, milestone)
        run.save()
        env = ItemEnv(
            self.repo,
            self.config,
            self.caller,
            self.validator or pipeline_validator(self.config),
            run,
            path,
            store,
            sink=self.sink,
            ledger=self.ledger,
            test_first=run.test_first or test_first,
            provenance=self.config.milestones.provenance_comments,
            milestone_title=milestone.title,
        )
        if self.hook is not None:
            env.hook = self.hook
        try:
            stop = await self._execute(env, milestone)
        except (asyncio.CancelledError, KeyboardInterrupt):
            run.status = "interrupted"
            run.save()
            raise
        states = [s.status for s in run.items]
        run.status = "done" if all(s in ("validated", "done") for s in states) else "failed"
        run.save()
        report = build_report(self.config, milestone, run, self.ledger)
        if stop is not None:
            raise stop
        return report

    def _settle(
        self, run: RunState, store: CheckpointStore, path: Path, milestone: planfile.Milestone
    ) -> None:
        """Roll back or tick whatever the dead run left in flight."""
        env = ItemEnv(
            self.repo,
            self.config,
            self.caller,
            self.validator or pipeline_validator(self.config),
            run,
            path,
            store,
        )
        by_index = {it.index: it for it in milestone.items}
        for st in run.items:
            if st.status == "running" or st.phase in ("tests", "edited", "validated"):
                item = by_index.get(st.index)
                if item is not None and item.text != st.text:
                    item = None
                settle_item(env, st, item)

    async def _execute(self, env: ItemEnv, milestone: planfile.Milestone) -> BaseException | None:
        run = env.run
        todo = [st for st in run.items if st.status == "pending"]
        blocked = {st.index for st in run.items if st.status in ("failed", "skipped")}
        tasks = []
        for st in todo:
            bad = [d for d in st.depends_on if d in blocked]
            if bad:
                st.status, st.diagnosis = "skipped", f"item {bad[0]} failed earlier"
                continue
            deps = tuple(str(d) for d in st.depends_on if run.item(d).status == "pending")
            files = targeted_context(self.repo, st.text).files
            tasks.append(
                SubTask(
                    id=str(st.index),
                    prompt=st.text,
                    depends_on=deps,
                    order_index=st.index,
                    files=files,
                    category="code",
                )
            )
        run.save()
        if not tasks:
            return None
        items = {it.index: it for it in milestone.items}

        async def step(task: SubTask, upstream: Mapping[str, StepResult]) -> StepResult:
            index = int(task.id)
            done = tuple(items[d].text for d in items[index].depends_on)
            st = await run_item(env, items[index], done)
            return StepResult(task.id, st.status == "validated", detail=st.diagnosis)

        executor = FanOutExecutor.from_config(self.config, self.sink)
        report = await executor.run(TaskGraph(tasks), step)
        for task_id, state in report.status.items():
            st = run.item(int(task_id))
            reason = report.reasons.get(task_id, "")
            if state == "skipped":
                st.status = "skipped"
                st.diagnosis = reason.replace("upstream ", "item ") if reason else "skipped"
            elif state == "cancelled" and st.status not in TERMINAL:
                st.status, st.diagnosis = "pending", reason
            elif state == "failed" and st.status != "failed":
                st.status, st.diagnosis = "failed", st.diagnosis or reason
        run.save()
        return report.stop_error


def _sync_items(run: RunState, milestone: planfile.Milestone) -> None:
    """Item states from the plan: ticked → done; kept from a resumed run when unchanged."""
    old = {(st.index, st.text): st for st in run.items}
    fresh: list[ItemState] = []
    for item in milestone.items:
        st = old.get((item.index, item.text)) or ItemState(
            item.index, item.text, list(item.depends_on)
        )
        if item.done and st.status != "validated":
            st.status = "done"
        elif not item.done and st.status in ("validated", "done"):
            st.status, st.phase = "pending", ""  # the user unticked it: do it again
        fresh.append(st)
    run.items = fresh


def _pid() -> int:
    import os

    return os.getpid()
