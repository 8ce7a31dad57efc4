"""TaskDecomposer: model JSON is untrusted; one repair, then the deterministic split."""

from __future__ import annotations

import asyncio
import json

import networkx as nx
from fakes.scripted import ScriptedCaller, default_config, in_order
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mom_cli.config import CATEGORIES
from mom_cli.errors import BudgetExceededError, UnavailableError
from mom_cli.events import Event, Notice
from mom_cli.routing.analyzer import analyze
from mom_cli.routing.decomposer import TaskDecomposer, parse_spec
from mom_cli.routing.subtask import Decomposition

REQUEST = "Translate this Python code to Rust and explain the key differences: def f(): pass"


def answering(*replies: str | BaseException) -> ScriptedCaller:
    """Returns the queued replies in order (the last one repeats); only smollm2 is up."""
    return ScriptedCaller(usable=("smollm2",), default=in_order(*replies))


def decompose(
    caller: ScriptedCaller, request: str = REQUEST, events: list[Event] | None = None
) -> Decomposition:
    sink = events.append if events is not None else (lambda e: None)
    decomposer = TaskDecomposer(default_config(), caller, sink=sink)  # type: ignore[arg-type]
    return asyncio.run(decomposer.decompose(request, analyze(request)))


def check_valid(result: Decomposition) -> None:
    ids = [t.id for t in result.subtasks]
    assert ids == [f"t{i}" for i in range(1, len(ids) + 1)]
    graph = nx.DiGraph()
    graph.add_nodes_from(ids)
    for task in result.subtasks:
        assert task.category in CATEGORIES and task.prompt.strip()
        for dep in task.depends_on:
            assert dep in ids and dep != task.id
            graph.add_edge(dep, task.id)
    assert nx.is_directed_acyclic_graph(graph)


GOOD = {
    "subtasks": [
        {"id": "rust", "prompt": "Translate to Rust", "category": "code", "depends_on": []},
        {
            "id": "why",
            "prompt": "Explain differences",
            "category": "reasoning",
            "depends_on": ["rust"],
        },
    ],
    "synthesis_prompt": "Code first, then the explanation.",
}


def test_valid_model_json_is_used_with_renumbered_ids() -> None:
    caller = answering("Sure! " + json.dumps(GOOD) + " Hope this helps")
    result = decompose(caller)
    assert result.source == "model" and len(caller.prompts) == 1
    assert [(t.id, t.category, t.depends_on) for t in result.subtasks] == [
        ("t1", "code", ()), ("t2", "reasoning", ("t1",)),
    ]  # fmt: skip
    assert result.synthesis_prompt == "Code first, then the explanation."


def test_one_repair_attempt_quotes_the_error() -> None:
    cyclic = json.loads(json.dumps(GOOD))
    cyclic["subtasks"][0]["depends_on"] = ["why"]
    caller = answering(json.dumps(cyclic), json.dumps(GOOD))
    result = decompose(caller)
    assert result.source == "model-repaired"
    assert "dependency cycle" in caller.prompts[1]


def test_junk_twice_falls_back_to_the_deterministic_split_with_a_warning() -> None:
    events: list[Event] = []
    caller = answering("I think you should translate it.", '{"subtasks": "no"}')
    result = decompose(caller, events=events)
    assert result.source == "deterministic" and len(caller.prompts) == 2
    assert [(t.category, t.depends_on) for t in result.subtasks] == [
        ("code", ()),
        ("reasoning", ("t1",)),
    ]
    assert "def f(): pass" in result.subtasks[1].prompt  # shared context reaches every part
    notices = [e for e in events if isinstance(e, Notice)]
    assert notices and notices[0].level == "warning" and "deterministic" in notices[0].message
    check_valid(result)


def test_provider_errors_fall_back_and_budget_stops() -> None:
    result = decompose(answering(UnavailableError("no llama")))
    assert result.source == "deterministic" and len(result.subtasks) == 2
    try:
        decompose(answering(BudgetExceededError("stop")))
    except BudgetExceededError:
        pass
    else:
        raise AssertionError("a budget stop must not be swallowed")


def test_passthrough_needs_no_model_call() -> None:
    caller = answering("unused")
    result = decompose(caller, "What is the capital of France?")
    assert result.source == "single" and caller.prompts == [] and len(result.subtasks) == 1


def test_parse_spec_rejects_unknown_and_self_dependencies() -> None:
    for bad in (
        {"subtasks": [{"id": "a", "prompt": "do it", "depends_on": ["zzz"]}]},
        {"subtasks": [{"id": "a", "prompt": "do it", "depends_on": ["a"]}]},
        {"subtasks": [{"id": "a", "prompt": "do it"}, {"id": "a", "prompt": "again"}]},
        {"subtasks": []},
    ):
        try:
            parse_spec(json.dumps(bad))
        except ValueError:
            continue
        raise AssertionError(f"accepted {bad}")


ids = st.sampled_from(["a", "b", "c", "d", "1", "x y", ""])
subtask = st.fixed_dictionaries(
    {"id": ids, "prompt": st.text(max_size=30)},
    optional={
        "category": st.sampled_from([*CATEGORIES, "poetry", 3]),
        "depends_on": st.lists(ids, max_size=4),
        "order_index": st.integers(-2, 200),
        "estimated_tokens": st.one_of(st.integers(-5, 10**6), st.text(max_size=3)),
    },
)
spec_like = st.fixed_dictionaries(
    {"subtasks": st.lists(subtask, max_size=6)},
    optional={"synthesis_prompt": st.one_of(st.text(max_size=20), st.none())},
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
replies = st.one_of(
    st.text(max_size=200),
    spec_like.map(json.dumps),
    json_values.map(json.dumps),
    spec_like.map(lambda d: "Here you go:\n```json\n" + json.dumps(d) + "\n```"),
)
requests = st.one_of(
    st.just(REQUEST),
    st.just("Add auth middleware and implement caching, then write tests for it"),
    st.text(max_size=120).map(lambda t: f"Fix the parser and {t}"),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=replies, second=replies, request=requests)
def test_any_model_reply_gives_a_valid_acyclic_decomposition(
    first: str, second: str, request: str
) -> None:
    result = decompose(answering(first, second), request)
    assert result.subtasks
    check_valid(result)
