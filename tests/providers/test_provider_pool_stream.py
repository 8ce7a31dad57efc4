"""ProviderPool.stream: the streamed twin of call(), with one ledger row per attempt."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fakes import FakeServer, Reply
from provider_helpers import FAKE_KEY, make_config

from mom_cli.errors import MalformedResponseError
from mom_cli.events import CostRecorded, Event
from mom_cli.ledger.store import Ledger
from mom_cli.providers.base import CompletionRequest, StreamEnd
from mom_cli.providers.pool import ProviderPool
from mom_cli.providers.retry import RetryPolicy

REQUEST = CompletionRequest.from_prompt("hello there", max_tokens=16)


def deepseek_pool(
    url: str, ledger: Ledger, policy: RetryPolicy, *, raw_http: bool, events: list[Event]
) -> ProviderPool:
    cfg = make_config({"providers": {"deepseek": {"base_url": url + "/v1", "timeout": 0.5}}})

    async def no_sleep(_seconds: float) -> None:
        return None

    return ProviderPool(
        cfg, ledger, events.append, policy=policy, environ={"DEEPSEEK_API_KEY": FAKE_KEY},
        sleep=no_sleep, raw_http=raw_http,
    )  # fmt: skip


async def _drain(pool: ProviderPool) -> list[Any]:
    try:
        return [p async for p in pool.stream(REQUEST, model="deepseek-chat", category="c")]
    finally:
        await pool.aclose()


@pytest.mark.parametrize("raw_http", [False, True], ids=["sdk", "raw"])
def test_stream_is_recorded_priced_and_ends_with_usage(
    openai_server: FakeServer, ledger: Ledger, fast_policy: RetryPolicy, raw_http: bool
) -> None:
    events: list[Event] = []
    pool = deepseek_pool(openai_server.url, ledger, fast_policy, raw_http=raw_http, events=events)
    pieces = asyncio.run(_drain(pool))
    assert "".join(p for p in pieces if isinstance(p, str)) == "Hello from the fake server."
    end = pieces[-1]
    assert isinstance(end, StreamEnd) and end.finish_reason == "stop"
    [row] = ledger.rows()
    assert (row.outcome, row.category, row.model) == ("ok", "c", "deepseek-chat")
    assert (row.input_tokens, row.output_tokens) == (end.input_tokens, end.output_tokens)
    assert row.cost_usd > 0 and any(isinstance(e, CostRecorded) for e in events)
    # both clients ask for the stream's usage: the upstream's own counts (5 words out)
    assert row.output_tokens == 5 and row.detail == ""


@pytest.mark.parametrize("raw_http", [False, True], ids=["sdk", "raw"])
def test_stream_retries_before_the_first_piece_only(
    openai_server: FakeServer, ledger: Ledger, fast_policy: RetryPolicy, raw_http: bool
) -> None:
    openai_server.script(Reply.status_code(500, "boom"))
    pool = deepseek_pool(openai_server.url, ledger, fast_policy, raw_http=raw_http, events=[])
    pieces = asyncio.run(_drain(pool))
    assert "".join(p for p in pieces if isinstance(p, str)) == "Hello from the fake server."
    assert [r.outcome for r in ledger.rows()] == ["UnavailableError", "ok"]

    openai_server.script(Reply(kind="truncated_stream", content="a b c d e f"))
    pool = deepseek_pool(openai_server.url, ledger, fast_policy, raw_http=raw_http, events=[])
    with pytest.raises(MalformedResponseError):
        asyncio.run(_drain(pool))  # text was already out: no retry
    assert [r.outcome for r in ledger.rows()][-1] == "MalformedResponseError"
    assert len(openai_server.chat_requests) == 3
