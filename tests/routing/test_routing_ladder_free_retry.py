"""climb(retry_free_when_stuck=True): a $0 rung is retried only when nothing above is usable."""

from __future__ import annotations

import asyncio

from mom_cli.events import Escalated, Event, TaskRouted
from mom_cli.routing.ladder import AttemptResult, Feedback, Rung, climb


def attempts_failing(times: int, cost: float = 0.0):  # type: ignore[no-untyped-def]
    """Fails the check `times` times (at `cost` each), then passes."""
    seen: list[tuple[Rung, Feedback]] = []

    async def attempt(rung: Rung, feedback: Feedback) -> AttemptResult:
        seen.append((rung, feedback))
        if len(seen) <= times:
            return AttemptResult(False, "bad", (f"E{len(seen)} still broken",), cost_usd=cost)
        return AttemptResult(True, "good", cost_usd=cost)

    return attempt, seen


def test_free_rung_with_nothing_above_is_retried_with_feedback() -> None:
    events: list[Event] = []
    attempt, seen = attempts_failing(2)
    result = asyncio.run(
        climb([Rung("local", "smollm2")], attempt, max_retries=3, sink=events.append,
              retry_free_when_stuck=True)
    )  # fmt: skip
    assert result.ok and [a.model for a in result.attempts] == ["smollm2"] * 3
    assert [a.action for a in result.attempts] == ["retry", "retry", ""]
    assert seen[2][1].diagnostics == ("E2 still broken",)  # the failure is fed back
    routed = [e.reasons for e in events if isinstance(e, TaskRouted)]
    assert routed[1] == ("free retry: no higher tier is usable",)
    assert not any(isinstance(e, Escalated) for e in events)


def test_free_retries_stay_within_max_retries() -> None:
    attempt, seen = attempts_failing(10)
    result = asyncio.run(
        climb([Rung("local", "smollm2")], attempt, max_retries=2, retry_free_when_stuck=True)
    )
    assert not result.ok and len(seen) == 3
    assert result.stopped == "gave up after 3 attempts (max_retries=2)"


def test_free_rung_escalates_when_a_higher_tier_is_usable() -> None:
    attempt, seen = attempts_failing(1)
    rungs = [Rung("local", "smollm2"), Rung("groq", "groq-llama")]
    result = asyncio.run(climb(rungs, attempt, max_retries=3, retry_free_when_stuck=True))
    assert result.ok and [r.model for r, _ in seen] == ["smollm2", "groq-llama"]


def test_paid_rung_gets_no_extra_same_tier_retry() -> None:
    attempt, seen = attempts_failing(1, cost=0.002)
    result = asyncio.run(
        climb([Rung("haiku", "haiku")], attempt, max_retries=3, retry_free_when_stuck=True)
    )
    assert not result.ok and len(seen) == 1
    assert result.stopped == "ladder exhausted at haiku"


def test_without_the_flag_a_stuck_free_rung_stops() -> None:
    attempt, seen = attempts_failing(1)
    result = asyncio.run(climb([Rung("local", "smollm2")], attempt, max_retries=3))
    assert not result.ok and len(seen) == 1


def test_free_retries_stop_when_the_same_failure_comes_back() -> None:
    """smollm2 answered "no edit blocks" four times running (273 s on schedule)."""
    seen: list[Feedback] = []

    async def attempt(rung: Rung, feedback: Feedback) -> AttemptResult:
        seen.append(feedback)
        return AttemptResult(False, "", ("no edit blocks in the reply",))

    result = asyncio.run(
        climb([Rung("local", "smollm2")], attempt, max_retries=5, retry_free_when_stuck=True)
    )
    assert not result.ok and len(seen) == 2
    assert result.stopped == (
        "local/smollm2 failed the same way twice: no edit blocks in the reply"
    )
