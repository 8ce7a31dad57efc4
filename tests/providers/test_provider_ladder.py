"""complete_on_ladder: escalation to the next tier when a provider keeps failing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fakes import FakeServer, Reply
from provider_helpers import FAKE_KEY, make_config

from mom_cli.errors import BudgetExceededError, UnavailableError, UsageError
from mom_cli.events import Escalated, Event
from mom_cli.ledger.store import Ledger
from mom_cli.providers.base import CompletionRequest
from mom_cli.providers.ladder_call import (
    LadderResult,
    complete_on_ladder,
    first_usable_tier,
    model_tiers,
    plan_ladder,
)
from mom_cli.providers.pool import ProviderPool
from mom_cli.providers.retry import RetryPolicy

REQUEST = CompletionRequest.from_prompt("hello", max_tokens=8)


def pool_for(groq_url: str, deepseek_url: str, ledger: Ledger, **cost: float) -> ProviderPool:
    cfg = make_config(
        {
            "providers": {
                "groq": {"base_url": groq_url, "timeout": 0.5},
                "deepseek": {"base_url": deepseek_url + "/v1", "timeout": 0.5},
            },
            **({"cost": cost} if cost else {}),
        }
    )
    env = {"GROQ_API_KEY": FAKE_KEY, "DEEPSEEK_API_KEY": FAKE_KEY}
    return ProviderPool(cfg, ledger, policy=RetryPolicy(max_attempts=2, base_delay=0), environ=env)


def climb(pool: ProviderPool, events: list[Event], **kw: Any) -> LadderResult:
    async def go() -> LadderResult:
        try:
            return await complete_on_ladder(pool, REQUEST, sink=events.append, **kw)
        finally:
            await pool.aclose()

    return asyncio.run(go())


def test_failing_provider_escalates_to_next_tier(
    openai_server: FakeServer, openai_server2: FakeServer, ledger: Ledger
) -> None:
    openai_server.script(*[Reply.status_code(500, "groq is down")] * 2)
    events: list[Event] = []
    result = climb(pool_for(openai_server.url, openai_server2.url, ledger), events, tier="groq")
    assert result.completion.tier == "deepseek"
    [step] = result.escalations
    assert (step.from_tier, step.to_tier) == ("groq", "deepseek")
    assert "UnavailableError" in step.reason and "groq is down" in step.reason
    assert [e for e in events if isinstance(e, Escalated)][0].to_tier == "deepseek"
    assert [r.outcome for r in ledger.rows()] == ["UnavailableError", "UnavailableError", "ok"]


def test_tiers_without_keys_are_skipped_with_reason(
    openai_server: FakeServer, anthropic_server: FakeServer, ledger: Ledger
) -> None:
    openai_server.script(Reply.status_code(401, "bad key"))
    cfg = make_config(
        {
            "providers": {
                "groq": {"base_url": openai_server.url, "timeout": 0.5},
                "anthropic": {"base_url": anthropic_server.url, "timeout": 0.5},
            }
        }
    )
    env = {"GROQ_API_KEY": FAKE_KEY, "ANTHROPIC_API_KEY": FAKE_KEY}
    pool = ProviderPool(cfg, ledger, environ=env)
    events: list[Event] = []
    result = climb(pool, events, tier="groq")
    assert result.completion.tier == "haiku"
    assert [(s.from_tier, s.to_tier) for s in result.escalations] == [
        ("groq", "deepseek"),
        ("deepseek", "haiku"),
    ]
    assert "DEEPSEEK_API_KEY not set" in result.escalations[1].reason
    assert FAKE_KEY not in repr(result)


def test_no_tier_answers(ledger: Ledger) -> None:
    pool = ProviderPool(make_config(), ledger, environ={})
    with pytest.raises(UnavailableError, match="no tier could answer"):
        climb(pool, [], tier="groq")


def test_budget_stop_ends_the_climb(
    openai_server: FakeServer, openai_server2: FakeServer, ledger: Ledger
) -> None:
    pool = pool_for(openai_server.url, openai_server2.url, ledger, stop_threshold_usd=0.0,
                    warn_threshold_usd=0.0)  # fmt: skip
    with pytest.raises(BudgetExceededError):
        climb(pool, [], tier="groq")
    assert openai_server.chat_requests == openai_server2.chat_requests == []


def test_plan_and_default_tier() -> None:
    cfg = make_config()
    assert model_tiers(cfg)[:2] == ["local", "groq"]
    assert plan_ladder(cfg, tier="haiku", model=None) == [
        ("haiku", ["haiku"]),
        ("sonnet", ["sonnet"]),
    ]
    assert plan_ladder(cfg, tier=None, model="sonnet") == [("sonnet", ["sonnet"])]
    with pytest.raises(UsageError, match="rules"):
        plan_ladder(cfg, tier="rules", model=None)
    with pytest.raises(UsageError, match="unknown tier"):
        plan_ladder(cfg, tier="gpt9", model=None)
    pool = ProviderPool(cfg, environ={})
    assert first_usable_tier(pool, ["groq", "deepseek"]) is None
