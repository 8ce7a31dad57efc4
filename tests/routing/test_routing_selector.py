"""ModelSelector: ladder × affinity × load × context × quality × availability × budget."""

from __future__ import annotations

import pytest
from fakes.scripted import default_config, no_calls

from mom_cli.config import MomConfig
from mom_cli.errors import UsageError
from mom_cli.routing.selector import ModelSelector, StepProfile


def test_trivial_factual_goes_local_and_says_why() -> None:
    sel = ModelSelector(default_config(), no_calls()).select(StepProfile("factual", "trivial"))
    assert (sel.tier, sel.model) == ("local", "smollm2")
    assert "needs fit ≥ 0.25" in sel.reasons[0]
    assert any("ollama-coder: unavailable: no server" in r for r in sel.reasons)
    assert [r.tier for r in sel.rungs] == ["local", "groq", "deepseek", "haiku", "sonnet"]


def test_code_and_reasoning_at_medium_pick_different_models() -> None:
    selector = ModelSelector(default_config(), no_calls())
    code = selector.select(StepProfile("code", "medium"))
    reasoning = selector.select(StepProfile("reasoning", "medium"))
    assert code.model == "deepseek-chat" and reasoning.model == "groq-llama"


def test_rules_tier_is_never_picked_for_free_text() -> None:
    selector = ModelSelector(default_config(), no_calls())
    for complexity in ("trivial", "simple", "medium", "complex"):
        sel = selector.select(StepProfile("code", complexity, task_type="simple_edit"))
        assert sel.tier != "rules" and all(r.tier != "rules" for r in sel.rungs)


def test_critical_goes_to_top_tier_unless_capped() -> None:
    selector = ModelSelector(default_config(), no_calls())
    assert selector.select(StepProfile("code", "simple", quality="critical")).model == "sonnet"
    capped = selector.select(StepProfile("code", "simple", quality="critical"), max_tier="deepseek")
    assert capped.tier == "deepseek" and "capped at --max-tier deepseek" in capped.reasons
    with pytest.raises(UsageError):
        selector.select(StepProfile(), max_tier="gpt9")


def test_long_inputs_go_to_a_long_context_model() -> None:
    selector = ModelSelector(default_config(), no_calls())
    sel = selector.select(StepProfile("code", "medium", input_tokens=100_000))
    assert selector.config.models[sel.model].context_window >= 100_000 + 700
    assert any("deepseek-chat: context" in r for r in sel.reasons)


def test_idle_slightly_worse_model_beats_busy_best_model() -> None:
    cfg = default_config()
    data = cfg.model_dump()
    data["models"]["coder-a"] = {**data["models"]["ollama-coder"], "affinity": {"code": 0.9}}
    data["models"]["coder-b"] = {**data["models"]["ollama-coder"], "affinity": {"code": 0.85}}
    cfg = MomConfig.model_validate(data)
    idle = ModelSelector(cfg, no_calls(down={})).select(StepProfile("code", "simple"))
    assert idle.model == "coder-a"
    busy = ModelSelector(cfg, no_calls(down={}, busy={"coder-a": 3}))
    sel = busy.select(StepProfile("code", "simple"))
    assert sel.model == "coder-b"
    local = [r.model for r in sel.rungs if r.tier == "local"]
    assert local[0] == "coder-b" and "coder-a" in local  # the busy one stays as a fallback


def test_unavailable_everything_is_reported_not_raised() -> None:
    down = {m: "no key" for m in default_config().models}
    sel = ModelSelector(default_config(), no_calls(down=down)).select(StepProfile())
    assert not sel.available and sel.rungs == ()
    assert "no usable model" in sel.reasons[0] and any("no key" in r for r in sel.reasons)


def test_budget_excludes_paid_models_that_would_overspend() -> None:
    selector = ModelSelector(default_config(), no_calls(), budget_left_usd=0.0)
    sel = selector.select(StepProfile("code", "complex", input_tokens=200))
    assert sel.tier == "local"
    assert "best available" in sel.reasons[0]
    assert any("remaining budget" in r for r in sel.reasons)


def test_selection_is_fast() -> None:
    import statistics
    import time

    selector = ModelSelector(default_config(), no_calls())
    times = []
    for _ in range(300):
        start = time.perf_counter()
        selector.select(StepProfile("code", "medium", input_tokens=400))
        times.append(time.perf_counter() - start)
    assert statistics.median(times) < 0.001
