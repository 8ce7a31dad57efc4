"""Deadlines: a server that trickles one byte every second defeats the SDKs' per-read
timeout; the total deadline and the stream idle limit end it as ProviderTimeoutError."""

from __future__ import annotations

import asyncio
import importlib
import time
from typing import Any

import pytest
from fakes import FakeServer, Reply
from provider_helpers import FAKE_KEY, make_config

from mom_cli.errors import Action, ProviderTimeoutError
from mom_cli.ledger.store import Ledger
from mom_cli.providers.base import CompletionRequest
from mom_cli.providers.deadline import bounded_stream
from mom_cli.providers.openai_compat import OpenAICompatProvider
from mom_cli.providers.pool import ProviderPool
from mom_cli.providers.retry import RetryPolicy

REQUEST = CompletionRequest.from_prompt("hello", max_tokens=16)
ENV = {"GROQ_API_KEY": FAKE_KEY, "DEEPSEEK_API_KEY": FAKE_KEY, "ANTHROPIC_API_KEY": FAKE_KEY}
ONE_TRY = RetryPolicy(max_attempts=1, base_delay=0.01, max_delay=0.01)


def _pool(provider: str, url: str, ledger: Ledger, **limits: float) -> ProviderPool:
    # timeout 5 s per read: far longer than the 1 s between bytes, so only the deadline ends it
    cfg = make_config({"providers": {provider: {"base_url": url, "timeout": 5, **limits}}})
    return ProviderPool(cfg, ledger, policy=ONE_TRY, environ=ENV)


async def _call(pool: ProviderPool, model: str) -> Any:
    try:
        return await pool.complete(REQUEST, model=model)
    finally:
        await pool.aclose()


@pytest.mark.parametrize(
    ("provider", "model", "server_fixture", "suffix"),
    [
        ("groq", "groq-llama", "openai_server", ""),
        ("deepseek", "deepseek-chat", "openai_server", "/v1"),
        ("anthropic", "haiku", "anthropic_server", ""),
    ],
)
def test_a_trickling_reply_ends_at_the_deadline(
    provider: str,
    model: str,
    server_fixture: str,
    suffix: str,
    ledger: Ledger,
    request: pytest.FixtureRequest,
) -> None:
    server: FakeServer = request.getfixturevalue(server_fixture)
    server.script(Reply(kind="trickle", trickle_seconds=1.0))
    pool = _pool(provider, server.url + suffix, ledger, deadline=2.5)
    importlib.import_module("anthropic" if provider == "anthropic" else "openai")
    started = time.monotonic()
    with pytest.raises(ProviderTimeoutError, match=r"within 2.5 s .*deadline") as caught:
        asyncio.run(_call(pool, model))
    took = time.monotonic() - started
    # the whole body would take 300+ s at a byte a second, and no read ever waits 5 s:
    # only the deadline can have ended it (a wide margin: this machine is shared)
    assert 2.4 <= took < 60, took
    assert caught.value.action is Action.RETRY  # a typed error the ladder acts on
    assert len(server.chat_requests) == 1
    row = ledger.rows()[-1]
    assert row.outcome != "ok"


def test_the_deadline_is_retried_then_the_ladder_gets_the_timeout(
    openai_server: FakeServer, ledger: Ledger
) -> None:
    openai_server.script(
        Reply(kind="trickle", trickle_seconds=1.0), Reply(kind="trickle", trickle_seconds=1.0)
    )
    cfg = make_config({"providers": {"groq": {"base_url": openai_server.url, "deadline": 1.5}}})
    policy = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.01)
    pool = ProviderPool(cfg, ledger, policy=policy, environ=ENV)
    with pytest.raises(ProviderTimeoutError):
        asyncio.run(_call(pool, "groq-llama"))
    assert len(openai_server.chat_requests) == 2


def test_a_stream_that_goes_quiet_ends_at_the_idle_limit(openai_server: FakeServer) -> None:
    openai_server.script(Reply(kind="trickle", trickle_seconds=3.0))
    cfg = make_config({"providers": {"deepseek": {"base_url": openai_server.url + "/v1"}}})
    provider_cfg = cfg.providers["deepseek"].model_copy(update={"stream_idle": 1.0})
    adapter = OpenAICompatProvider("deepseek", provider_cfg, ENV)

    async def consume() -> list[str]:
        got: list[str] = []
        try:
            pieces = adapter.stream(REQUEST, cfg.models["deepseek-chat"], provider_cfg.base_url)
            async for piece in bounded_stream(
                pieces, provider_cfg, provider="deepseek", model="deepseek-chat"
            ):
                got.append(piece)
        finally:
            await adapter.aclose()
        return got

    started = time.monotonic()
    with pytest.raises(ProviderTimeoutError, match=r"sent nothing for 1 s \(idle\)"):
        asyncio.run(consume())
    assert time.monotonic() - started < 60  # the stream would take minutes


def test_a_steady_trickle_stream_still_ends_at_the_total_deadline(
    openai_server: FakeServer,
) -> None:
    openai_server.script(Reply(kind="trickle", trickle_seconds=0.3))
    cfg = make_config({"providers": {"deepseek": {"base_url": openai_server.url + "/v1"}}})
    provider_cfg = cfg.providers["deepseek"].model_copy(update={"stream_idle": 2, "deadline": 2})
    adapter = OpenAICompatProvider("deepseek", provider_cfg, ENV)

    async def consume() -> int:
        count = 0
        try:
            pieces = adapter.stream(REQUEST, cfg.models["deepseek-chat"], provider_cfg.base_url)
            async for _ in bounded_stream(
                pieces, provider_cfg, provider="deepseek", model="deepseek-chat"
            ):
                count += 1
        finally:
            await adapter.aclose()
        return count

    with pytest.raises(ProviderTimeoutError, match=r"did not finish within 2 s"):
        asyncio.run(consume())
