"""FanOutExecutor: run a TaskGraph's steps concurrently as their dependencies finish.

Scheduling is event-driven (a step starts the moment its last dependency passes and a slot
is free), and when more steps are ready than slots, the one heading the longest remaining
chain goes first: that is what keeps wall time near the critical path. Steps that declare
the same file are never in flight together, so edits to one file are serialized.

The step function gets the step and its dependencies' results; it returns a StepResult
or raises. A raised MomError whose action is STOP (budget) halts the run; any other
exception fails just that step. Cancellation (Ctrl-C) cancels every running step, marks
what did not finish, keeps the report on `executor.report`, and re-raises.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mom_cli.config import MomConfig
from mom_cli.engine.graph import CANCELLED, FAILED, PASSED, RUNNING, TaskGraph
from mom_cli.errors import Action, MomError
from mom_cli.events import EventSink, TaskFinished, TaskStarted, null_sink
from mom_cli.routing.subtask import SubTask


@dataclass(frozen=True)
class StepResult:
    task_id: str
    ok: bool
    output: str = ""
    detail: str = ""
    data: Any = None


StepFn = Callable[[SubTask, Mapping[str, StepResult]], Awaitable[StepResult]]


@dataclass
class ExecutionReport:
    status: dict[str, str]
    reasons: dict[str, str]
    results: dict[str, StepResult] = field(default_factory=dict)
    started: list[str] = field(default_factory=list)
    wall_ms: float = 0.0
    peak_parallel: int = 0
    interrupted: bool = False
    stop_error: MomError | None = None

    def with_status(self, *states: str) -> list[str]:
        return [tid for tid, s in self.status.items() if s in states]

    @property
    def ok(self) -> bool:
        return bool(self.status) and all(s == PASSED for s in self.status.values())


class FanOutExecutor:
    def __init__(
        self,
        max_concurrent: int = 4,
        *,
        parallel: bool = True,
        speculative: bool = False,
        sink: EventSink = null_sink,
        weights: Mapping[str, float] | None = None,
    ) -> None:
        self.limit = max(1, max_concurrent) if parallel else 1
        self.speculative = speculative
        self.sink = sink
        self.weights = weights
        self.report: ExecutionReport | None = None

    @classmethod
    def from_config(cls, config: MomConfig, sink: EventSink = null_sink) -> FanOutExecutor:
        r = config.routing
        return cls(
            r.max_concurrent_tasks,
            parallel=r.enable_parallel_execution,
            speculative=r.enable_speculative_execution,
            sink=sink,
        )

    async def run(self, graph: TaskGraph, step: StepFn) -> ExecutionReport:
        report = ExecutionReport(status=graph.status, reasons=graph.reason)
        self.report = report
        weights = self.weights or {
            t: float(s.estimated_tokens or 1) for t, s in graph.tasks.items()
        }
        priority = graph.remaining_path(weights)
        running: dict[asyncio.Task[StepResult], str] = {}
        busy_files: set[str] = set()
        began = time.perf_counter()
        try:
            while True:
                if report.stop_error is None:
                    self._launch(graph, step, report, running, busy_files, priority)
                if not running:
                    break
                done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                for fut in done:
                    task_id = running.pop(fut)
                    busy_files.difference_update(graph.tasks[task_id].files)
                    self._settle(graph, report, task_id, fut, running)
                if report.stop_error is not None:
                    await self._cancel_all(graph, running, f"stopped: {report.stop_error}")
        except asyncio.CancelledError:
            report.interrupted = True
            await self._cancel_all(graph, running, "interrupted")
            self._close(graph, "interrupted")
            report.wall_ms = (time.perf_counter() - began) * 1000
            raise
        self._close(graph, f"stopped: {report.stop_error}" if report.stop_error else "not reached")
        report.wall_ms = (time.perf_counter() - began) * 1000
        return report

    def _launch(
        self,
        graph: TaskGraph,
        step: StepFn,
        report: ExecutionReport,
        running: dict[asyncio.Task[StepResult], str],
        busy_files: set[str],
        priority: Mapping[str, float],
    ) -> None:
        ready = graph.ready(speculative=self.speculative)
        ready.sort(key=lambda t: (-priority.get(t.id, 0.0), t.order_index, t.id))
        for task in ready:
            if len(running) >= self.limit:
                break
            if busy_files.intersection(task.files):
                continue  # another step is editing one of these files
            graph.mark_running(task.id)
            busy_files.update(task.files)
            upstream = {d: report.results[d] for d in task.depends_on if d in report.results}
            self.sink(
                TaskStarted(task.id, task.prompt.splitlines()[0][:120] if task.prompt else "")
            )
            running[asyncio.ensure_future(step(task, upstream))] = task.id
            report.started.append(task.id)
            report.peak_parallel = max(report.peak_parallel, len(running))

    def _settle(
        self,
        graph: TaskGraph,
        report: ExecutionReport,
        task_id: str,
        fut: asyncio.Task[StepResult],
        running: dict[asyncio.Task[StepResult], str],
    ) -> None:
        if fut.cancelled():
            return  # discarded or skipped while running; already reported
        exc = fut.exception()
        if exc is not None:
            if isinstance(exc, MomError) and exc.action == Action.STOP:
                report.stop_error = exc
            detail = f"{type(exc).__name__}: {exc}"
            result = StepResult(task_id, False, detail=detail)
        else:
            result = fut.result()
        report.results[task_id] = result
        if result.ok:
            if self.speculative and graph.precondition_pending(task_id):
                graph.hold(task_id)  # reported when the precondition resolves
                return
            self.sink(TaskFinished(task_id, PASSED, result.detail))
            for promoted in graph.mark_passed(task_id):
                self.sink(TaskFinished(promoted, PASSED, "speculative result kept"))
            return
        self.sink(TaskFinished(task_id, FAILED, result.detail))
        for child, state in graph.mark_failed(task_id, result.detail or "failed").items():
            self.sink(TaskFinished(child, state, graph.reason[child]))
            for other, other_id in running.items():
                if other_id == child:
                    other.cancel()

    async def _cancel_all(
        self, graph: TaskGraph, running: dict[asyncio.Task[StepResult], str], reason: str
    ) -> None:
        for fut in running:
            fut.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)
        for task_id in running.values():
            if graph.status[task_id] == RUNNING:
                graph.mark_cancelled(task_id, reason)
                self.sink(TaskFinished(task_id, CANCELLED, reason))
        running.clear()

    def _close(self, graph: TaskGraph, reason: str) -> None:
        """Whatever never started is cancelled, with the reason."""
        for task_id, state in list(graph.status.items()):
            if state in ("pending", "held", RUNNING):
                graph.mark_cancelled(task_id, reason)
                self.sink(TaskFinished(task_id, CANCELLED, reason))
