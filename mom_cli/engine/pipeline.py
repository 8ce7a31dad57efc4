"""The whole flow of `mom run`, top to bottom:

    analyze → decompose → graph → route → execute (climb per step) → synthesize → account

`Pipeline.plan` does the first four (the only model call is the local decomposer, so it
is what `--dry-run` shows); `Pipeline.execute` does the rest. Model calls go through a
ModelCaller; checking a step's answer (applying edits, validating) is an injected
`checker` and building its prompt an injected `prompter` (edit steps add code context and
the edit format), so the same flow serves free-text answers and repository edits.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mom_cli.config import MomConfig
from mom_cli.engine.compete import CompeteResult, compete
from mom_cli.engine.contributions import ContributionRecord, contributions, with_assists
from mom_cli.engine.edit_intent import is_edit_step
from mom_cli.engine.executor import ExecutionReport, FanOutExecutor, StepResult
from mom_cli.engine.graph import TaskGraph
from mom_cli.engine.metered import MeteredCaller
from mom_cli.engine.prompts import step_request
from mom_cli.engine.synthesizer import ResponseSynthesizer, concatenate
from mom_cli.errors import ExitCode, MomError
from mom_cli.events import EventSink, Notice, null_sink
from mom_cli.providers.base import Completion, CompletionRequest, ModelCaller
from mom_cli.routing.analyzer import Plan, RequestAnalyzer
from mom_cli.routing.decomposer import TaskDecomposer
from mom_cli.routing.ladder import (
    AttemptRecord,
    AttemptResult,
    ClimbResult,
    Feedback,
    Rung,
    climb,
)
from mom_cli.routing.learning import OutcomeStats
from mom_cli.routing.outcome_store import OutcomeStore
from mom_cli.routing.selector import ModelSelector, Selection, StepProfile
from mom_cli.routing.subtask import Decomposition, SubTask

StepChecker = Callable[[SubTask, Completion], Awaitable[AttemptResult]]
COMPETITORS = 3


async def answer_check(task: SubTask, completion: Completion) -> AttemptResult:
    """Default check for free-text steps: a non-empty, untruncated answer passes."""
    text = completion.content.strip()
    problems = [] if text else ["the answer was empty"]
    if completion.finish_reason == "length" and len(text) < 40:
        problems.append("the answer was cut off at the token limit")
    return AttemptResult(ok=not problems, output=completion.content, diagnostics=tuple(problems))


@dataclass
class Totals:
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    calls: int = 0
    estimated: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": round(self.cost_usd, 6),
            "calls": self.calls,
            "estimated": self.estimated,
        }


@dataclass
class PlannedRun:
    request: str
    plan: Plan
    decomposition: Decomposition
    graph: TaskGraph
    selections: dict[str, Selection]
    estimate: Totals
    max_tier: str | None = None

    def plan_dict(self) -> dict[str, Any]:
        data = self.plan.to_dict()
        data["decomposer"] = self.decomposition.source
        data["warnings"] = list(self.decomposition.warnings)
        return data

    def to_json(self) -> dict[str, Any]:
        """The `--dry-run --json` document."""
        return {
            "plan": self.plan_dict(),
            "subtasks": [self._subtask(t) for t in self.graph.topological_order()],
            "totals": self.estimate.to_dict(),
        }

    def _subtask(self, task_id: str, tier: str = "", model: str = "") -> dict[str, Any]:
        task, sel = self.graph.tasks[task_id], self.selections[task_id]
        return {
            "id": task_id,
            "category": task.category,
            "depends_on": list(task.all_upstream()),
            "tier": tier or sel.tier,
            "model": model or sel.model,
        }


@dataclass
class RunResult:
    run_id: str
    planned: PlannedRun
    answer: str = ""
    status: str = "passed"  # passed | failed | stopped | interrupted
    report: ExecutionReport | None = None
    climbs: dict[str, ClimbResult] = field(default_factory=dict)
    contributions: list[ContributionRecord] = field(default_factory=list)
    totals: Totals = field(default_factory=Totals)
    synthesis_method: str = ""
    stop_error: MomError | None = None

    @property
    def exit_code(self) -> int:
        if self.status == "interrupted":
            return ExitCode.INTERRUPTED
        if self.status == "stopped" and self.stop_error is not None:
            return self.stop_error.exit_code
        return ExitCode.OK if self.status == "passed" else ExitCode.FAILED

    def to_json(self) -> dict[str, Any]:
        """The `--json` document: {plan, subtasks, contributions, totals}."""
        subtasks = []
        for task_id in self.planned.graph.topological_order():
            final = self.climbs[task_id].final if task_id in self.climbs else None
            subtasks.append(
                self.planned._subtask(
                    task_id, final.tier if final else "", final.model if final else ""
                )
            )
        return {
            "plan": self.planned.plan_dict(),
            "subtasks": subtasks,
            "contributions": [c.to_dict() for c in self.contributions],
            "totals": {**self.totals.to_dict(), "status": self.status},
        }


StepPrompter = Callable[
    [PlannedRun, SubTask, Mapping[str, StepResult], Feedback, Rung], CompletionRequest
]


def answer_prompt(
    planned: PlannedRun,
    task: SubTask,
    upstream: Mapping[str, StepResult],
    feedback: Feedback,
    rung: Rung,
) -> CompletionRequest:
    """Default prompt for free-text steps (the rung does not change it)."""
    return step_request(planned, task, upstream, feedback)


class Pipeline:
    def __init__(
        self,
        config: MomConfig,
        caller: ModelCaller | None,
        *,
        sink: EventSink = null_sink,
        stats: OutcomeStats | None = None,
        outcome_store: OutcomeStore | None = None,
        checker: StepChecker | None = None,
        prompter: StepPrompter | None = None,
        run_id: str | None = None,
        retry_free: Callable[[SubTask], bool] = is_edit_step,
    ) -> None:
        self.config = config
        self.meter = MeteredCaller(caller) if caller is not None else None
        self.sink = sink
        self.stats = stats if stats is not None else OutcomeStats()
        self.store = outcome_store
        self.checker = checker or answer_check
        self.prompter = prompter or answer_prompt
        self.run_id = run_id or uuid.uuid4().hex[:12]
        # Steps retried on a $0 tier when nothing above it is usable (edit steps: a small
        # model's next sample, told what failed, often gets it right).
        self.retry_free = retry_free
        self.analyzer = RequestAnalyzer(config)
        self.selector = ModelSelector(config, self.meter, self.stats)
        self.decomposer = TaskDecomposer(config, self.meter, sink=sink)

    # -- plan -----------------------------------------------------------------------------
    async def plan(self, request: str, *, max_tier: str | None = None) -> PlannedRun:
        plan = self.analyzer.analyze(request)
        if self.config.routing.model_assisted_analysis and self.meter and self.decomposer.model:
            plan = await self.analyzer.refine(plan, request, self.meter, self.decomposer.model)
        decomposition = await self.decomposer.decompose(request, plan)
        graph = TaskGraph(decomposition.subtasks)
        selections = {
            tid: self.selector.select(self.profile(graph, task), max_tier=max_tier)
            for tid, task in graph.tasks.items()
        }
        estimate = self._estimate(graph, selections, plan)
        return PlannedRun(request, plan, decomposition, graph, selections, estimate, max_tier)

    def profile(self, graph: TaskGraph, task: SubTask) -> StepProfile:
        """Input = the step's prompt plus its upstream steps' expected outputs."""
        upstream = sum(self._profile_out(graph.tasks[d]) for d in task.depends_on)
        return StepProfile(
            category=task.category,
            complexity=task.complexity,
            quality=task.quality,
            task_type=task.task_type,
            input_tokens=task.estimated_tokens + upstream + 60,
        )

    @staticmethod
    def _profile_out(task: SubTask) -> int:
        return StepProfile(complexity=task.complexity).expected_output

    def _estimate(self, graph: TaskGraph, sel: Mapping[str, Selection], plan: Plan) -> Totals:
        spent = self.meter.totals() if self.meter else (0, 0, 0.0, 0)
        est = Totals(spent[0], spent[1], spent[2], spent[3], estimated=True)
        copies = COMPETITORS if plan.kind == "compete" else 1
        for tid, task in graph.tasks.items():
            if not sel[tid].available:
                continue  # no usable model: the step cannot run, so it costs nothing
            profile = self.profile(graph, task)
            est.input_tokens += profile.input_tokens * copies
            est.output_tokens += profile.expected_output * copies
            est.cost_usd += sel[tid].estimated_cost_usd * copies
            est.calls += copies
        if len(graph) > 1:
            est.calls += 1  # synthesis (its price depends on the parts; not estimated)
        return est

    # -- execute --------------------------------------------------------------------------
    async def run(self, request: str, *, max_tier: str | None = None) -> RunResult:
        return await self.execute(await self.plan(request, max_tier=max_tier))

    async def execute(self, planned: PlannedRun) -> RunResult:
        """Run a plan. Top-level entry: on cancellation it returns the partial result."""
        result = RunResult(self.run_id, planned)
        try:
            if planned.plan.kind == "compete":
                await self._compete(planned, result)
            else:
                await self._fan_out(planned, result)
        except asyncio.CancelledError:
            result.status = "interrupted"
            if result.report is not None:  # what finished, without another model call
                result.answer = concatenate(_passed_parts(planned.graph, result.report))
            current = asyncio.current_task()
            if current is not None:
                current.uncancel()
        except MomError as exc:
            if exc.exit_code == ExitCode.FAILED:
                raise
            result.status, result.stop_error = "stopped", exc
        self._account(result)
        return result

    async def _fan_out(self, planned: PlannedRun, result: RunResult) -> None:
        executor = FanOutExecutor.from_config(self.config, self.sink)
        graph = planned.graph

        async def step(task: SubTask, upstream: Mapping[str, StepResult]) -> StepResult:
            climbed = await self._climb(planned, task, upstream)
            result.climbs[task.id] = climbed
            output = climbed.result.output if climbed.result else ""
            return StepResult(task.id, climbed.ok, output, climbed.stopped, climbed)

        try:
            report = await executor.run(graph, step)
        except asyncio.CancelledError:
            result.report = executor.report
            raise
        result.report = report
        if report.stop_error is not None:
            result.status, result.stop_error = "stopped", report.stop_error
        elif not report.ok:
            result.status = "failed"
        parts = _passed_parts(graph, report)
        synthesizer = ResponseSynthesizer(
            self.meter, self.selector, sink=self.sink, max_tier=planned.max_tier, run_id=self.run_id
        )
        synthesis = await synthesizer.synthesize(
            planned.request, planned.decomposition.synthesis_prompt, parts
        )
        result.answer, result.synthesis_method = synthesis.text, synthesis.method
        winners = [
            (tid, c.result.completion)
            for tid, c in result.climbs.items()
            if c.ok and c.result and c.result.completion
        ]
        assists = {tid: c.result.assists for tid, c in result.climbs.items() if c.ok and c.result}
        result.contributions = with_assists(
            contributions(sorted(winners, key=lambda p: p[0])), assists
        )

    async def _climb(
        self, planned: PlannedRun, task: SubTask, upstream: Mapping[str, StepResult]
    ) -> ClimbResult:
        # Re-select now: load and cooldowns may have changed since planning.
        selection = self.selector.select(
            self.profile(planned.graph, task), max_tier=planned.max_tier
        )
        if not selection.available or self.meter is None:
            self.sink(Notice(f"{task.id}: {selection.reasons[0]}", level="warning"))
            return ClimbResult(False, None, stopped="; ".join(selection.reasons[:4]))
        meter = self.meter

        async def attempt(rung: Rung, feedback: Feedback) -> AttemptResult:
            request = self.prompter(planned, task, upstream, feedback, rung)
            completion = await meter.complete(
                request, model=rung.model, run_id=self.run_id, task_id=task.id
            )
            checked = await self.checker(task, completion)
            return AttemptResult(
                checked.ok, checked.output or completion.content, checked.diagnostics,
                completion, data=checked.data, assists=checked.assists,
            )  # fmt: skip

        def learn(rung: Rung, ok: bool) -> None:
            self.stats.record(rung.model, task.category, ok)
            if self.store is not None and self.config.routing.learn_from_outcomes:
                self.store.record(rung.model, task.category, ok, tier=rung.tier, run_id=self.run_id)

        return await climb(
            selection.rungs,
            attempt,
            max_retries=self.config.routing.max_retries,
            task_id=task.id,
            sink=self.sink,
            first_reasons=selection.reasons,
            on_outcome=learn,
            retry_free_when_stuck=self.retry_free(task),
        )

    async def _compete(self, planned: PlannedRun, result: RunResult) -> None:
        (task,) = planned.graph.tasks.values()
        profile = self.profile(planned.graph, task)
        rungs = self.selector.contenders(profile, COMPETITORS, max_tier=planned.max_tier)
        if self.meter is None or not rungs:
            result.status = "failed"
            return
        critic = self.selector.select(StepProfile("reasoning", "medium"), max_tier=planned.max_tier)
        outcome: CompeteResult = await compete(
            step_request(planned, task, {}, Feedback(0)),
            rungs,
            self.meter,
            category=task.category,
            critic=critic.model if critic.available else None,
            run_id=self.run_id,
            task_id=task.id,
        )
        result.answer, result.synthesis_method = outcome.text, f"compete:{outcome.method}"
        result.status = "passed" if outcome.text.strip() else "failed"
        result.contributions = contributions((task.id, c) for c in outcome.contributors)
        winner = outcome.winner
        record = ClimbResult(bool(outcome.text.strip()), None)
        if winner is not None:
            record.result = AttemptResult(True, winner.content, completion=winner)
            record.attempts.append(AttemptRecord(winner.tier, winner.model, True))
        result.climbs[task.id] = record

    def _account(self, result: RunResult) -> None:
        """Totals are what the calls actually cost (the same prices the ledger records)."""
        if self.meter is not None:
            i, o, cost, calls = self.meter.totals()
            result.totals = Totals(i, o, cost, calls, estimated=False)


def _passed_parts(graph: TaskGraph, report: ExecutionReport) -> list[tuple[SubTask, str]]:
    return [
        (graph.tasks[tid], report.results[tid].output)
        for tid in graph.topological_order()
        if report.status[tid] == "passed"
    ]
