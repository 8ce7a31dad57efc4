"""A cancel stops the real embedded model mid-decode, in prefill as in generation, and
leaves it usable: llama.cpp's abort callback, wired to the call's stop flag."""

from __future__ import annotations

import asyncio
import importlib.util
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from git_repos import init_repo
from provider_helpers import closed_port_url, make_config

from mom_cli.errors import ProviderTimeoutError
from mom_cli.ledger.store import Ledger
from mom_cli.providers.base import CompletionRequest, StreamEnd
from mom_cli.providers.pool import ProviderPool
from mom_cli.providers.retry import RetryPolicy

pytestmark = [
    pytest.mark.embedded,
    pytest.mark.skipif(
        importlib.util.find_spec("llama_cpp") is None,
        reason="llama-cpp-python is not installed in this venv (run ./scripts/setup)",
    ),
]

# ~1,500 prompt tokens: three 512-token prefill batches, seconds to minutes of work
LONG = CompletionRequest.from_prompt("Summarise: " + "word " * 1500, max_tokens=8)
SHORT = CompletionRequest.from_prompt("Say hi.", max_tokens=6, temperature=0.0)


def prompt_tokens() -> int:
    """The long request's size in tokens (tokenizing costs no decode)."""
    from mom_cli.providers import embedded

    return len(embedded._loaded["llama"].tokenize(LONG.messages[-1].content.encode()))


async def cancel_once_decoding(call: Awaitable[Any]) -> None:
    """Run `call`, cancel it as soon as the model is decoding, expect CancelledError."""
    from mom_cli.providers import embedded

    task = asyncio.ensure_future(call)
    while not embedded.running():
        assert not task.done(), task
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not embedded.running()  # the worker thread has returned, the model is free


def test_cancel_in_prefill_aborts_it_and_the_next_call_answers(ledger: Ledger) -> None:
    from mom_cli.providers import embedded

    pool = ProviderPool(make_config(), ledger)

    async def go() -> tuple[str, str]:
        before = await pool.complete(SHORT, model="smollm2")  # loads the model
        await cancel_once_decoding(pool.complete(LONG, model="smollm2"))
        # the prefill stopped part way: fewer tokens in the context than the prompt has
        assert embedded._loaded["llama"].n_tokens < prompt_tokens()
        return before.content, (await pool.complete(SHORT, model="smollm2")).content

    before, after = asyncio.run(go())
    assert after.strip() and after == before  # temperature 0: the aborted batch left no trace
    # a cancelled call records nothing: two rows, both the short calls that answered
    assert [(r.outcome, r.cost_usd) for r in ledger.rows()] == [("ok", 0.0), ("ok", 0.0)]


def test_a_deadline_in_prefill_aborts_it_and_frees_the_model(
    ledger: Ledger, fast_policy: RetryPolicy
) -> None:
    """The deadline cancels the call: it used to raise ProviderTimeoutError while the
    prefill ran on, holding the model from every retry and every later call."""
    from mom_cli.providers import embedded

    short_deadline = make_config({"providers": {"embedded": {"deadline": 0.3}}})
    pool = ProviderPool(short_deadline, ledger, policy=fast_policy)
    asyncio.run(ProviderPool(make_config()).complete(SHORT, model="smollm2"))  # loaded
    with pytest.raises(ProviderTimeoutError):
        asyncio.run(pool.complete(LONG, model="smollm2"))
    assert not embedded.running()
    assert embedded._loaded["llama"].n_tokens < prompt_tokens()
    outcomes = [r.outcome for r in ledger.rows()]
    assert outcomes == ["ProviderTimeoutError"] * fast_policy.max_attempts
    assert asyncio.run(ProviderPool(make_config()).complete(SHORT, model="smollm2")).content


def test_cancel_in_a_streamed_prefill_aborts_it_and_the_next_stream_answers() -> None:
    """The stream used to close its generator while the worker still ran it ("generator
    already executing") and left the prefill running with the model lock."""
    from mom_cli.providers import embedded

    pool = ProviderPool(make_config())
    adapter = pool.adapter("embedded")
    model = pool.config.models["smollm2"]

    async def drain(request: CompletionRequest) -> list[str | StreamEnd]:
        return [piece async for piece in adapter.stream(request, model, "embedded")]

    async def go() -> list[str | StreamEnd]:
        await drain(SHORT)
        await cancel_once_decoding(drain(LONG))
        assert embedded._loaded["llama"].n_tokens < prompt_tokens()
        return await drain(SHORT)

    pieces = asyncio.run(go())
    assert "".join(p for p in pieces if isinstance(p, str)).strip()
    assert isinstance(pieces[-1], StreamEnd) and pieces[-1].output_tokens


def test_a_late_cancel_does_not_abort_the_call_after_it() -> None:
    """The switch belongs to the running call: tripping a finished call's flag is a no-op."""
    from mom_cli.providers.embedded_abort import AbortSwitch

    switch, mine, theirs = AbortSwitch(), threading.Event(), threading.Event()
    with switch.armed(theirs):
        switch.trip(mine)
        assert mine.is_set() and not switch.tripped and switch.armed_call
        switch.trip(theirs)
        assert switch.tripped
    assert not switch.tripped and not switch.armed_call
    with switch.armed(mine):  # a call whose stop was set before it started
        assert switch.tripped


def run_in_thread(call: Callable[[], object]) -> tuple[threading.Thread, list[object]]:
    outcome: list[object] = []

    def target() -> None:
        try:
            outcome.append(call())
        except Exception as exc:
            outcome.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    return thread, outcome


def test_service_ask_cancelled_by_its_token_in_prefill(tmp_path: Path) -> None:
    """What the session's Ctrl+C does: the token is set from another thread while the
    embedded model is in prefill; `ask` raises Cancelled and the next ask answers."""
    from mom_cli.providers import embedded
    from mom_cli.service.ask import ask
    from mom_cli.service.cancel import Cancelled, CancelToken
    from mom_cli.service.workspace import Workspace

    repo = init_repo(tmp_path / "repo", {"README.md": "hello\n"})
    config = tmp_path / "routing.toml"
    config.write_text(f'[providers.ollama]\nbase_url = "{closed_port_url()}"\n')
    ws = Workspace.open(repo, config)
    token = CancelToken()
    thread, outcome = run_in_thread(
        lambda: ask(ws, LONG.messages[-1].content, token=token, tier="local", max_tokens=8)
    )
    while not embedded.running() and thread.is_alive():
        time.sleep(0.01)
    token.cancel()
    thread.join()
    assert len(outcome) == 1 and isinstance(outcome[0], Cancelled), outcome
    assert embedded._loaded["llama"].n_tokens < prompt_tokens()
    answer = ask(ws, "Say hi.", tier="local", max_tokens=6)
    assert answer.completion.content.strip() and answer.completion.model == "smollm2"
    assert [r.outcome for r in Ledger().rows()] == ["ok"]
