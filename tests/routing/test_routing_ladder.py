"""climb(): the one escalation loop, driven by check results and error actions."""

from __future__ import annotations

import asyncio

import pytest

from mom_cli.errors import (
    AuthError,
    BudgetExceededError,
    RateLimitedError,
    UnavailableError,
)
from mom_cli.events import AttemptFailed, Escalated, Event, TaskRouted
from mom_cli.routing.ladder import AttemptResult, Feedback, Rung, climb

RUNGS = (
    Rung("local", "small-a"),
    Rung("local", "small-b"),
    Rung("groq", "mid"),
    Rung("sonnet", "top"),
)


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def scripted(outcomes: dict[str, object]):  # type: ignore[no-untyped-def]
    seen: list[tuple[str, Feedback]] = []

    async def attempt(rung: Rung, feedback: Feedback) -> AttemptResult:
        seen.append((rung.model, feedback))
        outcome = outcomes.get(rung.model, True)
        if isinstance(outcome, Exception):
            raise outcome
        if outcome is True:
            return AttemptResult(True, f"done by {rung.model}", cost_usd=0.01)
        return AttemptResult(
            False, "bad", diagnostics=(f"E1 {rung.model} broke it",), cost_usd=0.02
        )

    return attempt, seen


def test_first_rung_passes() -> None:
    attempt, seen = scripted({})
    result = run(climb(RUNGS, attempt))
    assert result.ok and result.result and result.result.output == "done by small-a"
    assert len(result.attempts) == 1 and result.cost_usd == 0.01


def test_failed_check_climbs_a_tier_with_diagnostics_fed_back() -> None:
    events: list[Event] = []
    attempt, seen = scripted({"small-a": False, "mid": False})
    result = run(climb(RUNGS, attempt, sink=events.append, task_id="t1", first_reasons=("why",)))
    assert result.ok and [a.model for a in result.attempts] == ["small-a", "mid", "top"]
    assert [a.tier for a in result.attempts] == ["local", "groq", "sonnet"]
    assert seen[1][1].diagnostics == ("E1 small-a broke it",)
    assert "E1 small-a broke it" in seen[1][1].as_prompt()
    assert abs(result.cost_usd - 0.05) < 1e-9
    escalations = [(e.from_tier, e.to_tier) for e in events if isinstance(e, Escalated)]
    assert escalations == [("local", "groq"), ("groq", "sonnet")]
    routed = [e for e in events if isinstance(e, TaskRouted)]
    assert routed[0].reasons == ("why",) and len(routed) == 3
    assert sum(isinstance(e, AttemptFailed) for e in events) == 2


def test_retryable_errors_try_a_same_tier_alternate_first() -> None:
    attempt, _ = scripted({"small-a": UnavailableError("down")})
    result = run(climb(RUNGS, attempt))
    assert [a.model for a in result.attempts] == ["small-a", "small-b"]
    assert result.attempts[0].error == "UnavailableError" and result.attempts[0].action == "retry"


def test_cool_down_benches_the_model_and_escalate_skips_the_tier() -> None:
    attempt, _ = scripted(
        {"small-a": RateLimitedError("slow down"), "small-b": AuthError("no key")}
    )
    result = run(climb(RUNGS, attempt))
    assert [a.model for a in result.attempts] == ["small-a", "small-b", "mid"]
    assert [a.action for a in result.attempts[:2]] == ["cool_down", "escalate"]
    attempt, _ = scripted({"small-a": AuthError("no key")})
    assert [a.model for a in run(climb(RUNGS, attempt)).attempts] == ["small-a", "mid"]


def test_stop_errors_propagate() -> None:
    attempt, _ = scripted({"small-a": False, "mid": BudgetExceededError("over budget")})
    with pytest.raises(BudgetExceededError):
        run(climb(RUNGS, attempt))


def test_max_retries_bounds_attempts_and_exhaustion_is_reported() -> None:
    attempt, _ = scripted({m.model: False for m in RUNGS})
    result = run(climb(RUNGS, attempt, max_retries=1))
    assert not result.ok and len(result.attempts) == 2
    assert "max_retries=1" in result.stopped
    result = run(climb(RUNGS, attempt, max_retries=10))
    assert len(result.attempts) == 3 and result.stopped == "ladder exhausted at sonnet"
    assert run(climb((), attempt)).stopped == "no usable model on the ladder"


def test_outcome_hook_sees_checks_but_not_provider_errors() -> None:
    seen: list[tuple[str, bool]] = []
    attempt, _ = scripted({"small-a": UnavailableError("x"), "small-b": False})
    run(climb(RUNGS, attempt, on_outcome=lambda r, ok: seen.append((r.model, ok))))
    assert seen == [("small-b", False), ("mid", True)]
