"""The whole flow with a scripted ModelCaller: the issue's three examples and the edges."""

from __future__ import annotations

import asyncio

from fakes.scripted import ScriptedCaller, default_config

from mom_cli.engine.pipeline import Pipeline, RunResult
from mom_cli.errors import BudgetExceededError
from mom_cli.events import Escalated, Event, Notice
from mom_cli.routing.learning import OutcomeStats
from mom_cli.routing.outcome_store import OutcomeStore

TRANSLATE = (
    "Translate this Python code to Rust and explain the key differences:\n"
    "```python\ndef mean(xs):\n    return sum(xs) / len(xs)\n```"
)
RUST = "```rust\nfn mean(xs: &[f64]) -> f64 { xs.iter().sum::<f64>() / xs.len() as f64 }\n```"


def run(pipeline: Pipeline, request: str, **kw: object) -> RunResult:
    return asyncio.run(pipeline.run(request, **kw))  # type: ignore[arg-type]


def test_capital_of_france_is_one_local_call() -> None:
    caller = ScriptedCaller()
    caller.script("smollm2", ["Paris."])
    result = run(Pipeline(default_config(), caller), "What is the capital of France?")
    assert result.status == "passed" and result.answer == "Paris."
    assert caller.models_called() == ["smollm2"]  # no decomposer, no synthesis
    doc = result.to_json()
    assert doc["plan"]["kind"] == "passthrough"
    assert doc["subtasks"] == [
        {"id": "t1", "category": "factual", "depends_on": [], "tier": "local", "model": "smollm2"}
    ]
    assert [c["model"] for c in doc["contributions"]] == ["smollm2"]
    assert doc["totals"]["cost_usd"] == 0 and doc["totals"]["calls"] == 1


def test_translate_and_explain_routes_two_models_and_synthesizes() -> None:
    caller = ScriptedCaller()
    caller.script("smollm2", ["subtasks: translation, explanation"], task_id="decompose")
    caller.script("smollm2", ['{"subtasks": [}'], task_id="decompose")
    caller.script("deepseek-chat", [RUST], task_id="t1")
    caller.script("groq-llama", ["Rust borrows a slice; Python takes any iterable."], task_id="t2")
    caller.script(
        "groq-llama",
        ["Here is the Rust code:\n" + RUST + "\nKey differences: ..."],
        task_id="synthesis",
    )
    events: list[Event] = []
    result = run(Pipeline(default_config(), caller, sink=events.append), TRANSLATE)
    assert result.status == "passed", result.report
    doc = result.to_json()
    assert set(doc) == {"plan", "subtasks", "contributions", "totals"}
    assert doc["plan"]["kind"] == "compiled" and doc["plan"]["decomposer"] == "deterministic"
    steps = {s["id"]: s for s in doc["subtasks"]}
    assert steps["t1"]["category"] == "code" and steps["t2"]["category"] == "reasoning"
    assert steps["t2"]["depends_on"] == ["t1"]
    assert steps["t1"]["model"] != steps["t2"]["model"]
    t2_prompt = next(c.prompt for c in caller.calls if c.task_id == "t2")
    assert RUST in t2_prompt and "def mean" in t2_prompt  # upstream output + original code
    assert caller.models_called("synthesis") == ["groq-llama"]
    assert result.answer.startswith("Here is the Rust code")
    assert [c["subtask_id"] for c in doc["contributions"]] == ["t1", "t2"]
    assert abs(sum(c["weight"] for c in doc["contributions"]) - 1) < 0.01
    assert any(isinstance(e, Notice) and e.level == "warning" for e in events)  # fallback warned


def test_two_features_run_concurrently() -> None:
    caller = ScriptedCaller(latency=0.15)
    result = run(Pipeline(default_config(), caller), "Add auth middleware and implement caching")
    assert result.status == "passed"
    steps = [c for c in caller.calls if c.task_id in ("t1", "t2")]
    assert len(steps) == 2
    a, b = steps
    assert a.started < b.ended and b.started < a.ended  # the two calls overlapped
    assert [s["depends_on"] for s in result.to_json()["subtasks"]] == [[], []]
    assert len(result.contributions) == 2


def test_failed_check_escalates_and_is_learned(tmp_path) -> None:
    caller = ScriptedCaller()
    caller.script("smollm2", [""], task_id="t1")
    caller.script("groq-llama", ["Paris"], task_id="t1")
    events: list[Event] = []
    store = OutcomeStore(tmp_path / "o.sqlite3")
    stats = OutcomeStats()
    pipeline = Pipeline(
        default_config(), caller, sink=events.append, stats=stats, outcome_store=store
    )
    result = run(pipeline, "What is the capital of France?")
    assert result.status == "passed" and result.answer == "Paris"
    assert [(a.tier, a.ok) for a in result.climbs["t1"].attempts] == [
        ("local", False),
        ("groq", True),
    ]
    assert any(
        isinstance(e, Escalated) and (e.from_tier, e.to_tier) == ("local", "groq") for e in events
    )
    assert store.outcomes() == [("smollm2", "factual", False), ("groq-llama", "factual", True)]
    assert result.to_json()["subtasks"][0]["tier"] == "groq"  # the tier that actually answered
    store.close()


def test_repeated_failures_move_the_category_off_the_local_tier() -> None:
    caller = ScriptedCaller(default=lambda model, req: "" if model == "smollm2" else "ok")
    stats = OutcomeStats()
    first_models = []
    for _ in range(10):
        result = run(Pipeline(default_config(), caller, stats=stats), "Who wrote Hamlet?")
        first_models.append(result.climbs["t1"].attempts[0].model)
    assert first_models[0] == "smollm2" and first_models[-1] == "groq-llama"


def test_dry_run_calls_only_the_local_decomposer() -> None:
    caller = ScriptedCaller()
    pipeline = Pipeline(default_config(), caller)
    planned = asyncio.run(pipeline.plan(TRANSLATE, max_tier="groq"))
    assert caller.models_called() == ["smollm2", "smollm2"]  # decomposer + its one repair
    doc = planned.to_json()
    assert set(doc) == {"plan", "subtasks", "totals"} and doc["totals"]["estimated"] is True
    assert all(s["tier"] in ("local", "groq") for s in doc["subtasks"])
    assert doc["totals"]["calls"] == 5  # 2 decomposer calls made + 2 steps + synthesis


def test_budget_stop_is_reported_with_exit_code_3() -> None:
    caller = ScriptedCaller()
    caller.script("sonnet", [BudgetExceededError("would pass the stop threshold")])
    result = run(Pipeline(default_config(), caller), "Fix the SQL injection in the login handler")
    assert result.status == "stopped" and result.exit_code == 3


def test_interrupt_returns_partial_result() -> None:
    caller = ScriptedCaller()

    async def main() -> RunResult:
        pipeline = Pipeline(default_config(), caller)
        planned = await pipeline.plan("Add a --verbose flag. Then write a poem about flags.")
        caller.latency = 0.0
        original = caller.complete

        async def slow_second(request, *, model, run_id="", task_id=""):  # type: ignore[no-untyped-def]
            if task_id == "t2":
                await asyncio.sleep(5)
            return await original(request, model=model, run_id=run_id, task_id=task_id)

        caller.complete = slow_second  # type: ignore[method-assign]
        task = asyncio.ensure_future(pipeline.execute(planned))
        await asyncio.sleep(0.2)
        task.cancel()
        return await task

    result = asyncio.run(main())
    assert result.status == "interrupted" and result.exit_code == 130
    assert result.report is not None and result.report.status == {"t1": "passed", "t2": "cancelled"}
    assert result.answer  # what finished is kept


def test_compete_asks_several_tiers_and_a_critic_merges() -> None:
    caller = ScriptedCaller()
    caller.script("groq-llama", ["merged best answer"], task_id="t1")
    request = (
        "What's the best way to structure a plugin system for a Python CLI? Compare approaches."
    )
    result = run(Pipeline(default_config(), caller), request)
    assert result.planned.plan.kind == "compete"
    assert result.status == "passed" and result.synthesis_method.startswith("compete:")
    assert len(set(caller.models_called("t1"))) >= 2
    assert len(result.contributions) >= 2


def test_no_usable_model_fails_the_step_with_reasons() -> None:
    caller = ScriptedCaller(unavailable={m: "no key" for m in default_config().models})
    result = run(Pipeline(default_config(), caller), "What is the capital of France?")
    assert result.status == "failed" and result.exit_code == 1
    assert "no usable model" in result.climbs["t1"].stopped
