"""Which runs edit the repository, and what a failed step would need next."""

from __future__ import annotations

import pytest
from fakes.scripted import ScriptedCaller, default_config

from mom_cli.engine.diagnosis import next_needed
from mom_cli.engine.edit_intent import is_edit_step, wants_edits
from mom_cli.routing.analyzer import analyze
from mom_cli.routing.subtask import SubTask


@pytest.mark.parametrize(
    "request_text",
    [
        "Add a function double(x) to calc/ops.py that returns x * 2",
        "Fix the off-by-one in `parse_args`",
        "Rename calc/ops.py's add to plus",
        "Add auth middleware and implement caching",
        "Refactor the retry loop in mom_cli/providers/retry.py",
    ],
)
def test_instructions_about_code_edit(request_text: str) -> None:
    assert wants_edits(request_text, analyze(request_text))


@pytest.mark.parametrize(
    "request_text",
    [
        "What is the capital of France?",
        "What does add() in calc/ops.py do?",
        "Explain how the retry loop works",
        "Translate this Python code to Rust and explain the key differences: def f(): pass",
        "Write a haiku about the sea",
        "Summarize the README",
        "How should I fix the bug in calc/ops.py",
    ],
)
def test_questions_and_prose_stay_answer_only(request_text: str) -> None:
    assert not wants_edits(request_text, analyze(request_text))


def test_explanation_steps_inside_an_edit_run_do_not_edit() -> None:
    assert is_edit_step(SubTask("t1", "add double() to calc/ops.py", files=("calc/ops.py",)))
    assert not is_edit_step(SubTask("t2", "explain the change", category="code"))
    assert not is_edit_step(SubTask("t3", "write a short poem", category="creative"))


@pytest.mark.parametrize(
    "request_text", ["add a docstring to bytes_to_int", "Rename `load_config` to read_config"]
)
def test_the_single_step_of_an_edit_run_about_a_symbol_must_edit(request_text: str) -> None:
    """On pallets/itsdangerous `mom run "add a docstring to bytes_to_int"` edited (a
    "general" request naming a symbol), but its one step was not an edit step: the
    model's prose answer "passed", exit 0, and nothing changed."""
    plan = analyze(request_text)
    assert wants_edits(request_text, plan)
    (step,) = (SubTask("t1", part, category=plan.category) for part in plan.parts)
    assert is_edit_step(step)


def test_steps_naming_a_symbol_without_an_edit_verb_stay_answers() -> None:
    assert not is_edit_step(SubTask("t1", "summarise what `bytes_to_int` returns"))
    assert not is_edit_step(SubTask("t2", "a poem about `bytes_to_int`", category="creative"))


def test_next_needed_names_the_missing_key_of_the_next_tier() -> None:
    cfg = default_config()
    fake = ScriptedCaller(cfg, unavailable={"groq-llama": "GROQ_API_KEY not set"})
    ladder = ["local", "groq", "deepseek"]
    assert next_needed(cfg, fake, ladder, {"local"}) == "groq: set GROQ_API_KEY (groq-llama)"
    assert next_needed(cfg, fake, ladder, set()).startswith("local: usable but not reached")
    assert "whole ladder" in next_needed(cfg, fake, ladder, {"deepseek"})
    assert next_needed(cfg, fake, ladder, {"deepseek"}, max_tier="deepseek") == (
        "a tier above --max-tier deepseek"
    )
    fake.unavailable["deepseek-chat"] = "no server at http://x"
    assert next_needed(cfg, fake, ["local", "deepseek"], {"local"}) == (
        "deepseek: deepseek-chat: no server at http://x"
    )
