"""TaskGraph: readiness, failure propagation, cycles, critical path, speculation states."""

from __future__ import annotations

import pytest

from mom_cli.engine.graph import GraphCycleError, SubTask, TaskGraph
from mom_cli.errors import PlanError


def t(task_id: str, *deps: str, **kw: object) -> SubTask:
    return SubTask(task_id, f"do {task_id}", depends_on=deps, **kw)  # type: ignore[arg-type]


def test_ready_set_follows_dependencies() -> None:
    g = TaskGraph([t("a"), t("b"), t("c", "a", "b"), t("d", "c")])
    assert [x.id for x in g.ready()] == ["a", "b"]
    g.mark_running("a")
    g.mark_passed("a")
    assert [x.id for x in g.ready()] == ["b"]
    g.mark_running("b")
    g.mark_passed("b")
    assert [x.id for x in g.ready()] == ["c"]


def test_failure_skips_every_dependent_with_a_reason() -> None:
    g = TaskGraph([t("a"), t("b", "a"), t("c", "b"), t("d")])
    changed = g.mark_failed("a", "tests still fail")
    assert changed == {"b": "skipped", "c": "skipped"}
    assert g.reason["c"] == "upstream a failed"
    assert [x.id for x in g.ready()] == ["d"]


def test_cycles_are_named_and_unknown_deps_rejected() -> None:
    with pytest.raises(GraphCycleError) as info:
        TaskGraph([t("a", "c"), t("b", "a"), t("c", "b")])
    assert set(info.value.cycle) == {"a", "b", "c"} and "→" in str(info.value)
    with pytest.raises(PlanError, match="unknown step"):
        TaskGraph([t("a", "nope")])
    with pytest.raises(PlanError, match="duplicate"):
        TaskGraph([t("a"), t("a")])


def test_critical_path_is_the_longest_weighted_chain() -> None:
    g = TaskGraph([t("a"), t("b", "a"), t("c"), t("d", "b", "c")])
    path, length = g.critical_path({"a": 1, "b": 5, "c": 2, "d": 1})
    assert path == ["a", "b", "d"] and length == 7
    assert g.remaining_path({"a": 1, "b": 5, "c": 2, "d": 1})["c"] == 3


def test_speculative_step_is_held_then_promoted_or_discarded() -> None:
    g = TaskGraph([t("fix"), t("docs", precondition="fix"), t("after", "docs")])
    assert [x.id for x in g.ready()] == ["fix"]
    assert sorted(x.id for x in g.ready(speculative=True)) == ["docs", "fix"]
    g.mark_running("fix")
    g.mark_running("docs")
    g.hold("docs")
    assert g.mark_passed("fix") == ["docs"] and g.status["docs"] == "passed"
    g2 = TaskGraph([t("fix"), t("docs", precondition="fix"), t("after", "docs")])
    g2.mark_running("fix")
    g2.mark_running("docs")
    g2.hold("docs")
    assert g2.mark_failed("fix", "broken") == {"docs": "discarded", "after": "skipped"}
