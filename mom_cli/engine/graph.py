"""TaskGraph: SubTasks as a networkx DiGraph, with the state the executor needs.

States: pending → running → passed | failed; dependents of a failed step become
skipped (with the reason naming the failed step); a speculative step that finished before
its precondition is held, then promoted to passed or discarded. Building a graph with a
cycle raises GraphCycleError naming the cycle.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import networkx as nx

from mom_cli.errors import PlanError
from mom_cli.routing.subtask import SubTask

__all__ = ["GraphCycleError", "SubTask", "TaskGraph"]

PENDING, RUNNING, HELD = "pending", "running", "held"
PASSED, FAILED, SKIPPED, CANCELLED, DISCARDED = (
    "passed",
    "failed",
    "skipped",
    "cancelled",
    "discarded",
)
FINAL = frozenset({PASSED, FAILED, SKIPPED, CANCELLED, DISCARDED})


class GraphCycleError(PlanError):
    def __init__(self, cycle: list[str]) -> None:
        super().__init__("dependency cycle: " + " → ".join([*cycle, cycle[0]]))
        self.cycle = cycle


class TaskGraph:
    def __init__(self, tasks: Iterable[SubTask]) -> None:
        self.graph: nx.DiGraph = nx.DiGraph()
        self.tasks: dict[str, SubTask] = {}
        for task in tasks:
            if task.id in self.tasks:
                raise PlanError(f"duplicate step id {task.id!r}")
            self.tasks[task.id] = task
            self.graph.add_node(task.id)
        for task in self.tasks.values():
            for dep in task.all_upstream():
                if dep not in self.tasks:
                    raise PlanError(f"step {task.id!r} depends on unknown step {dep!r}")
                self.graph.add_edge(dep, task.id)
        try:
            cycle = nx.find_cycle(self.graph)
        except nx.NetworkXNoCycle:
            cycle = []
        if cycle:
            raise GraphCycleError([str(u) for u, _ in cycle])
        self.status: dict[str, str] = dict.fromkeys(self.tasks, PENDING)
        self.reason: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self.tasks)

    def ready(self, *, speculative: bool = False) -> list[SubTask]:
        """Pending steps whose dependencies passed, lowest order_index first.

        With `speculative`, a step's precondition only has to be pending, running or held
        (not failed): the step runs alongside it.
        """
        out = []
        for task_id, state in self.status.items():
            if state != PENDING:
                continue
            task = self.tasks[task_id]
            if not all(self.status[d] == PASSED for d in task.depends_on):
                continue
            pre = task.precondition
            if pre and pre not in task.depends_on:
                allowed = (PENDING, RUNNING, HELD, PASSED) if speculative else (PASSED,)
                if self.status[pre] not in allowed:
                    continue
            out.append(task)
        out.sort(key=lambda t: (t.order_index, t.id))
        return out

    def mark_running(self, task_id: str) -> None:
        self._expect(task_id, PENDING)
        self.status[task_id] = RUNNING

    def mark_passed(self, task_id: str) -> list[str]:
        """Pass a step. Returns held speculative steps that this promoted to passed."""
        self.status[task_id] = PASSED
        promoted = []
        for child in self.graph.successors(task_id):
            if self.status[child] == HELD and self._upstream_passed(child):
                self.status[child] = PASSED
                promoted.append(child)
                promoted += self.mark_passed(child)
        return promoted

    def hold(self, task_id: str) -> None:
        """A speculative step finished before its precondition did."""
        self.status[task_id] = HELD

    def precondition_pending(self, task_id: str) -> bool:
        pre = self.tasks[task_id].precondition
        return bool(pre) and self.status[pre or ""] != PASSED

    def mark_failed(self, task_id: str, reason: str) -> dict[str, str]:
        """Fail a step; every step downstream is skipped or discarded. Returns {id: new state}."""
        self.status[task_id] = FAILED
        self.reason[task_id] = reason
        changed: dict[str, str] = {}
        for child in nx.descendants(self.graph, task_id):
            if self.status[child] in FINAL:
                continue  # passed results were already delivered; skips stay skips
            is_spec = self.tasks[child].precondition == task_id
            new = DISCARDED if is_spec else SKIPPED
            self.status[child] = new
            self.reason[child] = f"{'precondition' if is_spec else 'upstream'} {task_id} failed"
            changed[child] = new
        return changed

    def mark_cancelled(self, task_id: str, reason: str = "interrupted") -> None:
        self.status[task_id] = CANCELLED
        self.reason[task_id] = reason

    def is_done(self) -> bool:
        return all(state in FINAL for state in self.status.values())

    def upstream(self, task_id: str) -> list[str]:
        return list(self.graph.predecessors(task_id))

    def topological_order(self) -> list[str]:
        return list(nx.lexicographical_topological_sort(self.graph))

    def critical_path(self, weights: Mapping[str, float] | None = None) -> tuple[list[str], float]:
        """Longest weighted path (weights default to estimated_tokens); the time lower bound."""
        w = weights or {tid: float(t.estimated_tokens or 1) for tid, t in self.tasks.items()}
        best: dict[str, tuple[float, list[str]]] = {}
        for node in nx.topological_sort(self.graph):
            preds = [best[p] for p in self.graph.predecessors(node)]
            length, path = max(preds, key=lambda x: x[0]) if preds else (0.0, [])
            best[node] = (length + w.get(node, 0.0), [*path, node])
        if not best:
            return [], 0.0
        length, path = max(best.values(), key=lambda x: x[0])
        return path, length

    def remaining_path(self, weights: Mapping[str, float]) -> dict[str, float]:
        """Per step: its weight plus the longest chain below it (scheduling priority)."""
        out: dict[str, float] = {}
        for node in reversed(list(nx.topological_sort(self.graph))):
            below = [out[c] for c in self.graph.successors(node)]
            out[node] = weights.get(node, 0.0) + (max(below) if below else 0.0)
        return out

    def to_dicts(self) -> list[dict[str, Any]]:
        return [
            {
                "id": t.id,
                "category": t.category,
                "depends_on": list(t.all_upstream()),
                "status": self.status[t.id],
            }
            for t in (self.tasks[i] for i in self.topological_order())
        ]

    def _upstream_passed(self, task_id: str) -> bool:
        return all(self.status[d] == PASSED for d in self.tasks[task_id].all_upstream())

    def _expect(self, task_id: str, state: str) -> None:
        if self.status[task_id] != state:
            raise ValueError(f"step {task_id} is {self.status[task_id]}, expected {state}")
