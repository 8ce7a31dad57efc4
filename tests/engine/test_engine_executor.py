"""FanOutExecutor: concurrency, upstream outputs, file serialization, failure, Ctrl-C."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Mapping

import pytest

from mom_cli.engine.executor import FanOutExecutor, StepResult
from mom_cli.engine.graph import SubTask, TaskGraph
from mom_cli.errors import BudgetExceededError
from mom_cli.events import Event, TaskFinished


def t(task_id: str, *deps: str, **kw: object) -> SubTask:
    return SubTask(task_id, f"do {task_id}", depends_on=deps, **kw)  # type: ignore[arg-type]


class Recorder:
    def __init__(self, delay: float = 0.02, fail: set[str] | None = None) -> None:
        self.delay, self.fail = delay, fail or set()
        self.active: set[str] = set()
        self.overlaps: list[frozenset[str]] = []
        self.upstream: dict[str, dict[str, str]] = {}

    async def __call__(self, task: SubTask, upstream: Mapping[str, StepResult]) -> StepResult:
        self.active.add(task.id)
        self.overlaps.append(frozenset(self.active))
        self.upstream[task.id] = {k: v.output for k, v in upstream.items()}
        try:
            await asyncio.sleep(
                task.estimated_tokens / 1000 if task.estimated_tokens else self.delay
            )
        finally:
            self.active.discard(task.id)
        if task.id in self.fail:
            raise RuntimeError(f"{task.id} exploded")
        return StepResult(task.id, True, f"out:{task.id}")


def test_dependents_get_upstream_outputs_and_limit_is_respected() -> None:
    graph = TaskGraph([t("a"), t("b"), t("c"), t("d"), t("e", "a", "b")])
    step = Recorder()
    report = asyncio.run(FanOutExecutor(2).run(graph, step))
    assert report.ok and report.peak_parallel == 2
    assert max(len(o) for o in step.overlaps) <= 2
    assert step.upstream["e"] == {"a": "out:a", "b": "out:b"}


def test_independent_branches_run_concurrently() -> None:
    graph = TaskGraph([t("auth"), t("cache")])
    step = Recorder(delay=0.1)
    start = time.perf_counter()
    asyncio.run(FanOutExecutor(4).run(graph, step))
    assert time.perf_counter() - start < 0.18
    assert frozenset({"auth", "cache"}) in step.overlaps


def test_steps_editing_the_same_file_never_overlap() -> None:
    graph = TaskGraph(
        [t("a", files=("app.py",)), t("b", files=("app.py", "x.py")), t("c", files=("y.py",))]
    )
    step = Recorder()
    asyncio.run(FanOutExecutor(4).run(graph, step))
    assert not any({"a", "b"} <= o for o in step.overlaps)
    assert any({"a", "c"} <= o for o in step.overlaps)


def test_sequential_when_parallel_execution_is_off() -> None:
    step = Recorder()
    asyncio.run(FanOutExecutor(8, parallel=False).run(TaskGraph([t("a"), t("b"), t("c")]), step))
    assert max(len(o) for o in step.overlaps) == 1


def test_a_crashing_step_fails_alone_and_skips_its_dependents() -> None:
    events: list[Event] = []
    graph = TaskGraph([t("a"), t("b", "a"), t("c")])
    report = asyncio.run(FanOutExecutor(4, sink=events.append).run(graph, Recorder(fail={"a"})))
    assert report.status == {"a": "failed", "b": "skipped", "c": "passed"}
    assert "RuntimeError: a exploded" in report.results["a"].detail
    finished = {e.task_id: e.status for e in events if isinstance(e, TaskFinished)}
    assert finished == report.status


def test_a_stop_error_cancels_the_rest() -> None:
    async def step(task: SubTask, upstream: Mapping[str, StepResult]) -> StepResult:
        if task.id == "a":
            raise BudgetExceededError("stop threshold reached")
        await asyncio.sleep(0.5)
        return StepResult(task.id, True)

    graph = TaskGraph([t("a"), t("b"), t("c", "a")])
    report = asyncio.run(FanOutExecutor(4).run(graph, step))
    assert isinstance(report.stop_error, BudgetExceededError)
    assert report.status["a"] == "failed" and report.status["b"] == "cancelled"
    assert report.status["c"] == "skipped"


def test_cancellation_reports_what_finished() -> None:
    graph = TaskGraph(
        [t("fast", estimated_tokens=10), t("slow", estimated_tokens=5000), t("next", "slow")]
    )
    executor = FanOutExecutor(4)

    async def main() -> None:
        task = asyncio.ensure_future(executor.run(graph, Recorder()))
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    report = executor.report
    assert report is not None and report.interrupted
    assert report.status == {"fast": "passed", "slow": "cancelled", "next": "cancelled"}
    assert report.results["fast"].output == "out:fast"


def test_speculative_steps_run_alongside_and_are_discarded_on_failure() -> None:
    graph = TaskGraph(
        [t("fix", estimated_tokens=80), t("docs", precondition="fix", estimated_tokens=10)]
    )
    step = Recorder(fail={"fix"})
    report = asyncio.run(FanOutExecutor(4, speculative=True).run(graph, step))
    assert frozenset({"fix", "docs"}) in step.overlaps
    assert report.status == {"fix": "failed", "docs": "discarded"}
    graph = TaskGraph(
        [t("fix", estimated_tokens=80), t("docs", precondition="fix", estimated_tokens=10)]
    )
    report = asyncio.run(FanOutExecutor(4, speculative=True).run(graph, Recorder()))
    assert report.status == {"fix": "passed", "docs": "passed"}
    graph = TaskGraph(
        [t("fix", estimated_tokens=20), t("docs", precondition="fix", estimated_tokens=10)]
    )
    step = Recorder()
    asyncio.run(FanOutExecutor(4, speculative=False).run(graph, step))
    assert max(len(o) for o in step.overlaps) == 1


def random_dag(n: int, seed: int) -> tuple[list[SubTask], dict[str, float]]:
    rng = random.Random(seed)
    tasks, weights = [], {}
    for i in range(n):
        deps = tuple(f"s{j}" for j in rng.sample(range(i), k=min(i, rng.randint(0, 3))))
        ms = rng.randint(10, 40)
        tasks.append(SubTask(f"s{i}", "x", depends_on=deps, estimated_tokens=ms))
        weights[f"s{i}"] = ms / 1000
    return tasks, weights


def test_wall_time_is_close_to_the_critical_path_on_a_random_dag() -> None:
    tasks, weights = random_dag(50, seed=7)
    graph = TaskGraph(tasks)
    _, bound = graph.critical_path(weights)
    start = time.perf_counter()
    report = asyncio.run(FanOutExecutor(64).run(graph, Recorder()))
    wall = time.perf_counter() - start
    assert report.ok
    # The bench holds this to 1.05x; a shared CI box gets some slack.
    assert wall <= bound * 1.25 + 0.02, (wall, bound)
