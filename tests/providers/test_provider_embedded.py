"""The embedded model: real inference with llama-cpp-python and SmolLM2 (no fakes)."""

from __future__ import annotations

import asyncio
import importlib.util
import json
from pathlib import Path

import pytest
from provider_helpers import closed_port_url, make_config
from typer.testing import CliRunner

from mom_cli.cli.app import app
from mom_cli.ledger.store import Ledger
from mom_cli.providers.base import Completion, CompletionRequest, StreamEnd
from mom_cli.providers.pool import ProviderPool

pytestmark = [
    pytest.mark.embedded,
    pytest.mark.skipif(
        importlib.util.find_spec("llama_cpp") is None,
        reason="llama-cpp-python is not installed in this venv (run ./scripts/setup)",
    ),
]

PROMPT = "Fix the syntax error and return only the code: def add(a, b) return a + b"


def test_real_inference_with_real_token_counts(ledger: Ledger) -> None:
    pool = ProviderPool(make_config(), ledger)
    request = CompletionRequest.from_prompt(PROMPT, max_tokens=48)
    done = asyncio.run(pool.complete(request, model="smollm2", task_id="t"))
    # A 135M model's wording varies; that it talks about the code it was given does not.
    assert "add" in done.content
    assert done.input_tokens > 10 and 0 < done.output_tokens <= 48
    assert (done.provider, done.tier, done.cost_usd) == ("embedded", "local", 0.0)
    [row] = ledger.rows()
    assert row.outcome == "ok" and row.cost_usd == 0 and row.output_tokens == done.output_tokens


def test_streaming_and_serialised_concurrent_calls() -> None:
    pool = ProviderPool(make_config())
    adapter = pool.adapter("embedded")
    model = pool.config.models["smollm2"]
    request = CompletionRequest.from_prompt("Say hi.", max_tokens=6, temperature=0.0)

    async def go() -> tuple[list[object], list[Completion]]:
        pieces = [p async for p in adapter.stream(request, model, "embedded")]
        both = await asyncio.gather(
            pool.complete(request, model="smollm2"), pool.complete(request, model="smollm2")
        )
        return pieces, list(both)

    pieces, both = asyncio.run(go())
    assert "".join(p for p in pieces if isinstance(p, str)).strip()
    assert all(c.content.strip() for c in both)
    assert pool.in_flight("smollm2") == 0
    # the stream's counts are llama.cpp's, the same as the same call unstreamed (temp 0)
    end, done = pieces[-1], both[0]
    assert isinstance(end, StreamEnd)
    assert (end.input_tokens, end.output_tokens, end.finish_reason) == (
        done.input_tokens, done.output_tokens, done.finish_reason,
    )  # fmt: skip


def test_prompt_larger_than_context_is_context_overflow() -> None:
    from mom_cli.errors import ContextOverflowError

    pool = ProviderPool(make_config({"local_models": {"embedded_context": 256}}))
    request = CompletionRequest.from_prompt("word " * 600, max_tokens=8)
    with pytest.raises(ContextOverflowError):
        asyncio.run(pool.complete(request, model="smollm2"))


def test_mom_ask_local_with_nothing_configured(tmp_path: Path) -> None:
    config = tmp_path / "routing.toml"
    config.write_text(f'[providers.ollama]\nbase_url = "{closed_port_url()}"\n')
    result = CliRunner().invoke(
        app,
        [
            "ask",
            "--repo",
            str(tmp_path),
            "--config",
            str(config),
            "--tier",
            "local",
            "--json",
            "--max-tokens",
            "48",
            PROMPT,
        ],  # fmt: skip
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["model"] == "smollm2" and doc["cost_usd"] == 0 and doc["output_tokens"] > 0
    assert "add" in doc["content"]
    rows = Ledger().rows()
    assert [(r.model, r.cost_usd, r.outcome) for r in rows] == [("smollm2", 0.0, "ok")]


def test_a_cancelled_call_stops_generating_at_once() -> None:
    """A worker thread cannot be cancelled: the generation used to run on to max_tokens
    (Ctrl+C in the session waited 24 s for it). Now llama.cpp aborts the decode under way."""
    from mom_cli.providers import embedded

    pool = ProviderPool(make_config())
    adapter = pool.adapter("embedded")
    model = pool.config.models["smollm2"]
    long = CompletionRequest.from_prompt(
        "Write the numbers from 1 to 400, one per line.", max_tokens=400, temperature=0.0
    )
    prompt = CompletionRequest.from_prompt(long.messages[-1].content, max_tokens=1)
    prompt_tokens = asyncio.run(adapter.complete(prompt, model, "embedded"))[1]
    natural = asyncio.run(adapter.complete(long, model, "embedded"))[2]  # temperature 0

    async def cancel_soon() -> None:
        call = asyncio.ensure_future(adapter.complete(long, model, "embedded"))
        await asyncio.sleep(0.5)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call

    asyncio.run(cancel_soon())  # returns once the worker thread has finished
    produced = embedded._loaded["llama"].n_tokens - prompt_tokens
    assert natural > 100 and 0 <= produced < natural // 2, (produced, natural)
