"""ProviderPool: retries by our policy, cooldowns, endpoint load, quota, budget, ledger."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest
from fakes import FakeServer, Reply
from provider_helpers import FAKE_KEY, make_config

from mom_cli.errors import (
    AuthError,
    BudgetExceededError,
    QuotaExhaustedError,
    UnavailableError,
)
from mom_cli.events import AttemptFailed, CostRecorded, Event
from mom_cli.ledger.store import Ledger
from mom_cli.providers.base import CompletionRequest, ModelCaller
from mom_cli.providers.pool import ProviderPool
from mom_cli.providers.retry import RetryPolicy

REQUEST = CompletionRequest.from_prompt("hello there", max_tokens=16)
ENV = {"GROQ_API_KEY": FAKE_KEY}


def groq_pool(
    url: str | list[str],
    ledger: Ledger | None,
    policy: RetryPolicy,
    events: list[Event] | None = None,
    sleeps: list[float] | None = None,
    **groq: Any,
) -> ProviderPool:
    urls = [url] if isinstance(url, str) else url
    cfg = make_config(
        {"providers": {"groq": {"base_url": urls[0], "hosts": urls[1:], "timeout": 0.5, **groq}}}
    )

    async def record_sleep(seconds: float) -> None:
        if sleeps is not None:
            sleeps.append(seconds)

    sink = events.append if events is not None else (lambda e: None)
    return ProviderPool(cfg, ledger, sink, policy=policy, environ=ENV, sleep=record_sleep)


async def _call(pool: ProviderPool, model: str = "groq-llama", **kw: Any) -> Any:
    try:
        return await pool.complete(REQUEST, model=model, **kw)
    finally:
        await pool.aclose()


def test_pool_is_a_model_caller(ledger: Ledger, fast_policy: RetryPolicy) -> None:
    assert isinstance(groq_pool("http://127.0.0.1:9", ledger, fast_policy), ModelCaller)


def test_success_is_priced_and_recorded(
    openai_server: FakeServer, ledger: Ledger, fast_policy: RetryPolicy
) -> None:
    events: list[Event] = []
    pool = groq_pool(openai_server.url, ledger, fast_policy, events)
    done = asyncio.run(_call(pool, run_id="r1", task_id="t1"))
    assert (done.provider, done.tier, done.model_id) == ("groq", "groq", "llama-3.3-70b-versatile")
    expected = (done.input_tokens * 0.59 + done.output_tokens * 0.79) / 1e6
    assert done.cost_usd == pytest.approx(expected) and done.cost_usd > 0
    [row] = ledger.rows()
    assert (row.outcome, row.run_id, row.task_id, row.endpoint) == ("ok", "r1", "t1", done.endpoint)
    assert row.cost_usd == pytest.approx(expected)
    assert any(isinstance(e, CostRecorded) for e in events)
    assert openai_server.chat_requests[0].path == "/openai/v1/chat/completions"


def test_429_retry_after_is_honoured_then_succeeds(
    openai_server: FakeServer, ledger: Ledger, fast_policy: RetryPolicy
) -> None:
    openai_server.script(Reply.status_code(429, "slow down", retry_after="0.3"))
    sleeps: list[float] = []
    done = asyncio.run(_call(groq_pool(openai_server.url, ledger, fast_policy, sleeps=sleeps)))
    assert done.content == "Hello from the fake server."
    assert sleeps == [0.3]
    assert [r.outcome for r in ledger.rows()] == ["RateLimitedError", "ok"]


def test_real_sleep_waits_for_retry_after(openai_server: FakeServer, ledger: Ledger) -> None:
    openai_server.script(Reply.status_code(429, "slow down", retry_after="0.2"))
    cfg = make_config({"providers": {"groq": {"base_url": openai_server.url, "timeout": 0.5}}})
    pool = ProviderPool(cfg, ledger, environ=ENV)
    import time

    started = time.perf_counter()
    asyncio.run(_call(pool))
    assert time.perf_counter() - started >= 0.2


def test_repeated_failures_cool_the_endpoint_down(
    openai_server: FakeServer, ledger: Ledger
) -> None:
    policy = RetryPolicy(max_attempts=2, base_delay=0, cooldown_after=2, cooldown_seconds=60)
    openai_server.script(*[Reply.status_code(500, "down")] * 5)
    events: list[Event] = []
    pool = groq_pool(openai_server.url, ledger, policy, events)
    with pytest.raises(UnavailableError):
        asyncio.run(_call(pool))
    assert len(openai_server.chat_requests) == 2
    verdict = pool.availability("groq-llama")
    assert not verdict.ok and "cooling down" in verdict.reason and "2 failure(s)" in verdict.reason
    with pytest.raises(UnavailableError, match="cooling down"):
        asyncio.run(_call(pool))
    assert len(openai_server.chat_requests) == 2  # no call while cooling down
    assert pool.in_flight("groq-llama") == 0
    assert sum(isinstance(e, AttemptFailed) for e in events) == 2


def test_auth_error_is_not_retried(openai_server: FakeServer, ledger: Ledger) -> None:
    openai_server.script(Reply.status_code(401, "no"))
    with pytest.raises(AuthError):
        asyncio.run(_call(groq_pool(openai_server.url, ledger, RetryPolicy(base_delay=0))))
    assert len(openai_server.chat_requests) == 1


def test_least_loaded_endpoint_is_chosen(
    openai_server: FakeServer, openai_server2: FakeServer, ledger: Ledger, fast_policy: RetryPolicy
) -> None:
    openai_server.script(Reply(delay=0.3))
    openai_server2.script(Reply(delay=0.3))
    pool = groq_pool([openai_server.url, openai_server2.url], ledger, fast_policy)
    seen: list[int] = []

    async def both() -> tuple[Any, ...]:
        async def watch() -> None:
            await asyncio.sleep(0.15)
            seen.append(pool.in_flight("groq-llama"))

        try:
            return await asyncio.gather(
                pool.complete(REQUEST, model="groq-llama"),
                pool.complete(REQUEST, model="groq-llama"),
                watch(),
            )
        finally:
            await pool.aclose()

    first, second, _ = asyncio.run(both())
    assert {first.endpoint, second.endpoint} == {openai_server.url, openai_server2.url}
    assert seen == [2] and pool.in_flight("groq-llama") == 0


def test_exhausted_quota_is_unavailable(
    openai_server: FakeServer, ledger: Ledger, fast_policy: RetryPolicy
) -> None:
    pool = groq_pool(openai_server.url, ledger, fast_policy, requests_per_day=1)
    asyncio.run(_call(pool))
    verdict = pool.availability("groq-llama")
    assert not verdict.ok and verdict.reason == "daily quota used up (1/1 requests today)"
    with pytest.raises(QuotaExhaustedError):
        asyncio.run(_call(pool))
    assert len(openai_server.chat_requests) == 1


def test_budget_stop_blocks_paid_calls_before_any_request(
    openai_server: FakeServer, ollama_server: FakeServer, ledger: Ledger
) -> None:
    cfg = make_config(
        {
            "cost": {"warn_threshold_usd": 0.0, "stop_threshold_usd": 0.0},
            "providers": {
                "groq": {"base_url": openai_server.url, "timeout": 0.5},
                "ollama": {"base_url": ollama_server.url, "timeout": 0.5},
            },
        }
    )
    pool = ProviderPool(cfg, ledger, environ=ENV)
    with pytest.raises(BudgetExceededError):
        asyncio.run(_call(pool))
    assert openai_server.chat_requests == []
    free = asyncio.run(_call(pool, model="ollama-coder"))  # a $0 call is never blocked
    assert free.cost_usd == 0 and free.provider == "ollama"


def test_key_never_reaches_ledger_or_events(
    openai_server: FakeServer, ledger: Ledger, fast_policy: RetryPolicy
) -> None:
    openai_server.script(Reply.status_code(401, f"Incorrect API key provided: {FAKE_KEY}"))
    events: list[Event] = []
    with pytest.raises(AuthError) as info:
        asyncio.run(_call(groq_pool(openai_server.url, ledger, fast_policy, events)))
    asyncio.run(_call(groq_pool(openai_server.url, ledger, fast_policy, events)))
    dumped = repr([dataclasses.asdict(r) for r in ledger.rows()]) + repr(events) + str(info.value)
    assert "Incorrect API key" in dumped and FAKE_KEY not in dumped
    for file in ledger.path.parent.glob(ledger.path.name + "*"):  # db, -wal, -shm
        assert FAKE_KEY.encode() not in file.read_bytes()
