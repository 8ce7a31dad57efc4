"""climb's `skip` hook: a rung the caller's record rules out is passed by without a call."""

from __future__ import annotations

import asyncio

from mom_cli.routing.ladder import AttemptResult, ClimbResult, Feedback, Rung, climb

RUNGS = [Rung("local", "smollm2"), Rung("groq", "g1"), Rung("groq", "g2"), Rung("haiku", "h")]


def _run(skip: dict[str, str], passes: set[str]) -> tuple[list[str], ClimbResult]:
    asked: list[str] = []

    async def attempt(rung: Rung, feedback: Feedback) -> AttemptResult:
        asked.append(rung.model)
        return AttemptResult(rung.model in passes)

    result = asyncio.run(climb(RUNGS, attempt, skip=lambda r: skip.get(r.model, "")))
    return asked, result


def test_skipped_rung_costs_no_attempt_and_a_same_tier_alternate_is_tried() -> None:
    asked, result = _run({"smollm2": "no record", "g1": "failed earlier"}, {"h"})
    assert asked == ["g2", "h"]  # g1 skipped, its tier-mate g2 still asked; each tier once
    assert result.ok
    assert result.skipped == ["local/smollm2: no record", "groq/g1: failed earlier"]


def test_everything_skipped_says_why() -> None:
    asked, result = _run({m.model: "no" for m in RUNGS}, set())
    assert asked == [] and not result.ok
    assert result.stopped.startswith("every usable rung was skipped")
