"""Token counts a provider's reply makes up (negative, absurd) never reach the ledger as
such: they are replaced by an estimate, the row says so, and a warning is emitted. Real
SDKs and the raw client against the loopback servers, with a crafted usage block."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fakes import FakeServer, Reply
from hypothesis import given
from hypothesis import strategies as st
from provider_helpers import FAKE_KEY, make_config

from mom_cli.events import CostRecorded, Event, Notice
from mom_cli.ledger.store import Ledger
from mom_cli.providers.base import CompletionRequest, StreamEnd
from mom_cli.providers.pool import ProviderPool
from mom_cli.providers.retry import RetryPolicy
from mom_cli.providers.usage import MAX_CALL_TOKENS, checked_usage

REQUEST = CompletionRequest.from_prompt("hello there, count my tokens", max_tokens=64)
CONTENT = "Hello from the fake server."
CRAFTED = [
    {"prompt_tokens": -5, "completion_tokens": 7},
    {"prompt_tokens": 1e12, "completion_tokens": 7},
    {"prompt_tokens": 9, "completion_tokens": -1},
    {"prompt_tokens": 9, "completion_tokens": 10**15},
    {"prompt_tokens": "lots", "completion_tokens": 7},  # no number at all: still answered
]


def _pool(url: str, ledger: Ledger, policy: RetryPolicy, events: list[Event], raw: bool) -> Any:
    cfg = make_config({"providers": {"deepseek": {"base_url": url + "/v1", "timeout": 2}}})
    return ProviderPool(cfg, ledger, events.append, policy=policy,
                        environ={"DEEPSEEK_API_KEY": FAKE_KEY}, raw_http=raw)  # fmt: skip


async def _complete(pool: ProviderPool) -> Any:
    try:
        return await pool.complete(REQUEST, model="deepseek-chat")
    finally:
        await pool.aclose()


async def _stream(pool: ProviderPool) -> list[Any]:
    try:
        return [p async for p in pool.stream(REQUEST, model="deepseek-chat")]
    finally:
        await pool.aclose()


def _assert_estimated(ledger: Ledger, events: list[Event], crafted: dict[str, Any]) -> None:
    [row] = ledger.rows()
    assert row.outcome == "ok"
    assert 0 < row.input_tokens < 1000 and 0 < row.output_tokens < 1000
    assert 0 <= row.cost_usd < 0.01
    assert "implausible" in row.detail and "estimated" in row.detail
    [warning] = [e for e in events if isinstance(e, Notice) and e.level == "warning"]
    assert "implausible" in warning.message
    [cost] = [e for e in events if isinstance(e, CostRecorded)]
    assert (cost.input_tokens, cost.output_tokens) == (row.input_tokens, row.output_tokens)
    sane = {k: v for k, v in crafted.items() if isinstance(v, int) and 0 <= v < 1000}
    if "completion_tokens" in sane:  # the plausible count of the pair is kept
        assert row.output_tokens == sane["completion_tokens"]
    if "prompt_tokens" in sane:
        assert row.input_tokens == sane["prompt_tokens"]


@pytest.mark.parametrize("raw", [False, True], ids=["sdk", "raw"])
@pytest.mark.parametrize("crafted", CRAFTED, ids=lambda c: repr(c))
def test_a_completion_with_absurd_usage_is_estimated(
    openai_server: FakeServer, ledger: Ledger, fast_policy: RetryPolicy,
    raw: bool, crafted: dict[str, Any],
) -> None:  # fmt: skip
    openai_server.script(Reply(usage=crafted))
    events: list[Event] = []
    done = asyncio.run(_complete(_pool(openai_server.url, ledger, fast_policy, events, raw)))
    assert done.content == CONTENT
    _assert_estimated(ledger, events, crafted)


@pytest.mark.parametrize("raw", [False, True], ids=["sdk", "raw"])
@pytest.mark.parametrize("crafted", [CRAFTED[0], CRAFTED[1], CRAFTED[-1]], ids=lambda c: repr(c))
def test_a_stream_with_absurd_usage_is_estimated(
    openai_server: FakeServer, ledger: Ledger, fast_policy: RetryPolicy,
    raw: bool, crafted: dict[str, Any],
) -> None:  # fmt: skip
    openai_server.script(Reply(kind="stream", usage=crafted))
    events: list[Event] = []
    pieces = asyncio.run(_stream(_pool(openai_server.url, ledger, fast_policy, events, raw)))
    end = pieces[-1]
    assert isinstance(end, StreamEnd)
    [row] = ledger.rows()
    assert (end.input_tokens, end.output_tokens) == (row.input_tokens, row.output_tokens)
    _assert_estimated(ledger, events, crafted)


def test_honest_usage_is_kept_and_not_flagged(
    openai_server: FakeServer, ledger: Ledger, fast_policy: RetryPolicy
) -> None:
    openai_server.script(Reply(usage={"prompt_tokens": 12, "completion_tokens": 5}))
    events: list[Event] = []
    asyncio.run(_complete(_pool(openai_server.url, ledger, fast_policy, events, False)))
    [row] = ledger.rows()
    assert (row.input_tokens, row.output_tokens, row.detail) == (12, 5, "")
    assert not any(isinstance(e, Notice) for e in events)


_COUNTS = st.one_of(st.integers(), st.floats(allow_nan=True), st.none(), st.text(max_size=5),
                    st.booleans())  # fmt: skip


@given(_COUNTS, _COUNTS, st.text(max_size=200))
def test_checked_usage_is_always_a_plausible_count(
    tokens_in: object, tokens_out: object, content: str
) -> None:
    checked = checked_usage(REQUEST, tokens_in, tokens_out, content)
    for n in (checked.input_tokens, checked.output_tokens):
        assert type(n) is int and 0 <= n <= MAX_CALL_TOKENS
    assert checked.implausible == bool(checked.note)
