"""Each SDK adapter (openai_compat, groq, anthropic, ollama) runs its REAL SDK against a
loopback server speaking that API's wire format: replies, streams and every failure mode."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fakes import AnthropicWire, FakeServer, OllamaWire, OpenAIWire, Reply
from provider_helpers import FAKE_KEY, closed_port_url, make_config

from mom_cli.config import ModelConfig, ProviderConfig
from mom_cli.errors import (
    AuthError,
    ContextOverflowError,
    MalformedResponseError,
    ProviderError,
    ProviderTimeoutError,
    RateLimitedError,
    UnavailableError,
)
from mom_cli.providers.base import CompletionRequest, Provider, StreamEnd
from mom_cli.providers.pool import make_adapter

KEY_ENV = "FAKE_PROVIDER_KEY"


@dataclass(frozen=True)
class Case:
    kind: str
    wire: Any
    suffix: str  # appended to the server URL to make base_url
    chat_path: str  # where the SDK must POST
    keyed: bool = True
    raw_http: bool = False  # the gateway's lean client instead of the SDK
    id: str = ""


CASES = [
    Case("openai_compat", OpenAIWire, "/v1", "/v1/chat/completions"),
    Case("openai_compat", OpenAIWire, "/v1", "/v1/chat/completions", raw_http=True, id="raw"),
    Case("groq", OpenAIWire, "", "/openai/v1/chat/completions"),
    Case("anthropic", AnthropicWire, "", "/v1/messages"),
    Case("ollama", OllamaWire, "", "/api/chat", keyed=False),
]
MODEL_IDS = {"ollama": "qwen2.5-coder:7b"}


@pytest.fixture(params=CASES, ids=[c.id or c.kind for c in CASES])
def case(request: pytest.FixtureRequest) -> Case:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def server(case: Case) -> Iterator[FakeServer]:
    with FakeServer(case.wire()) as fake:
        yield fake


def adapter_for(case: Case, base_url: str) -> tuple[Provider, ModelConfig]:
    cfg = ProviderConfig(
        kind=case.kind,
        base_url=base_url,
        api_key_env=KEY_ENV if case.keyed else "",
        timeout=0.5,
    )
    adapter = make_adapter(
        "fakeprov", cfg, make_config(), {KEY_ENV: FAKE_KEY}, raw_http=case.raw_http
    )
    model = ModelConfig(
        provider="fakeprov", tier="t", model_id=MODEL_IDS.get(case.kind, "fake-model-1")
    )
    return adapter, model


REQUEST = CompletionRequest.from_prompt("say hello please", system="be brief", max_tokens=20)


async def _complete(adapter: Provider, model: ModelConfig, endpoint: str) -> Any:
    try:
        return await adapter.complete(REQUEST, model, endpoint)
    finally:
        await adapter.aclose()


async def _stream(adapter: Provider, model: ModelConfig, endpoint: str) -> str:
    try:
        pieces = [piece async for piece in adapter.stream(REQUEST, model, endpoint)]
        return "".join(p for p in pieces if isinstance(p, str))
    finally:
        await adapter.aclose()


def run_complete(case: Case, server: FakeServer) -> Any:
    adapter, model = adapter_for(case, server.url + case.suffix)
    return asyncio.run(_complete(adapter, model, server.url + case.suffix))


def run_stream(case: Case, server: FakeServer) -> str:
    adapter, model = adapter_for(case, server.url + case.suffix)
    return asyncio.run(_stream(adapter, model, server.url + case.suffix))


def failure(fn: Any, *args: Any) -> ProviderError:
    with pytest.raises(ProviderError) as info:
        fn(*args)
    return info.value


def stream_pieces(case: Case, server: FakeServer) -> list[object]:
    adapter, model = adapter_for(case, server.url + case.suffix)

    async def go() -> list[object]:
        try:
            return [p async for p in adapter.stream(REQUEST, model, server.url + case.suffix)]
        finally:
            await adapter.aclose()

    return asyncio.run(go())


def test_normal_reply_with_usage(case: Case, server: FakeServer) -> None:
    content, tokens_in, tokens_out, finish = run_complete(case, server)
    assert content == "Hello from the fake server."
    assert tokens_in > 0 and tokens_out == 5
    assert finish == "stop"  # in OpenAI's words, whatever the wire says (end_turn, ...)


def test_every_stream_ends_with_the_upstream_usage(case: Case, server: FakeServer) -> None:
    """A paid stream's ledger row holds the tokens the provider billed, not a guess from
    the text: each wire's own usage (OpenAI's include_usage chunk, Groq's x_groq,
    Anthropic's message_start/message_delta, Ollama's done part) ends the stream."""
    end = stream_pieces(case, server)[-1]
    assert isinstance(end, StreamEnd), end
    assert end.output_tokens == 5 and (end.input_tokens or 0) > 0 and end.finish_reason == "stop"
    if case.kind == "openai_compat":
        assert server.chat_requests[-1].body["stream_options"] == {"include_usage": True}


def test_an_answer_cut_at_max_tokens_says_length(case: Case, server: FakeServer) -> None:
    """Anthropic's max_tokens and Ollama's done_reason reach callers as "length": the
    ladder escalates truncated answers and OpenAI clients look for exactly that word."""
    server.script(Reply(finish="length"))
    assert run_complete(case, server)[3] == "length"
    server.script(Reply(kind="stream", finish="length"))
    end = stream_pieces(case, server)[-1]
    assert isinstance(end, StreamEnd) and end.finish_reason == "length"
    sent = server.chat_requests[-1]
    assert sent.path == case.chat_path
    assert "say hello please" in str(sent.body)
    if case.keyed:
        auth = sent.headers.get("authorization", "") + sent.headers.get("x-api-key", "")
        assert FAKE_KEY in auth
    assert sent.headers.get("x-stainless-retry-count", "0") == "0"


def test_streaming(case: Case, server: FakeServer) -> None:
    assert run_stream(case, server) == "Hello from the fake server."


def test_401_is_auth_error_and_key_is_scrubbed(case: Case, server: FakeServer) -> None:
    server.script(Reply.status_code(401, f"Incorrect API key provided: {FAKE_KEY}"))
    err = failure(run_complete, case, server)
    assert isinstance(err, AuthError)
    if case.keyed:
        assert FAKE_KEY not in str(err)
    assert len(server.chat_requests) == 1  # SDK retries are off


def test_429_carries_retry_after(case: Case, server: FakeServer) -> None:
    server.script(Reply.status_code(429, "slow down", retry_after="2"))
    err = failure(run_complete, case, server)
    assert isinstance(err, RateLimitedError)
    if case.kind != "ollama":  # the ollama client does not expose response headers
        assert err.retry_after == 2.0
    assert len(server.chat_requests) == 1


def test_500_is_unavailable(case: Case, server: FakeServer) -> None:
    server.script(Reply.status_code(500, "internal"))
    assert isinstance(failure(run_complete, case, server), UnavailableError)
    assert len(server.chat_requests) == 1


def test_hang_past_timeout(case: Case, server: FakeServer) -> None:
    server.script(Reply(kind="hang", hang_seconds=5))
    assert isinstance(failure(run_complete, case, server), ProviderTimeoutError)


def test_malformed_json(case: Case, server: FakeServer) -> None:
    server.script(Reply(kind="malformed"))
    assert isinstance(failure(run_complete, case, server), MalformedResponseError)


def test_truncated_body(case: Case, server: FakeServer) -> None:
    server.script(Reply(kind="truncated"))
    assert isinstance(failure(run_complete, case, server), MalformedResponseError)


def test_truncated_stream(case: Case, server: FakeServer) -> None:
    server.script(Reply(kind="truncated_stream"))
    assert isinstance(failure(run_stream, case, server), MalformedResponseError)


def test_context_overflow(case: Case, server: FakeServer) -> None:
    server.script(Reply.status_code(400, "This model's maximum context length is 8192 tokens"))
    assert isinstance(failure(run_complete, case, server), ContextOverflowError)


def test_unreachable_server(case: Case) -> None:
    url = closed_port_url()
    adapter, model = adapter_for(case, url + case.suffix)
    err = failure(lambda: asyncio.run(_complete(adapter, model, url + case.suffix)))
    assert isinstance(err, UnavailableError)
    if case.kind == "ollama":
        assert str(err) == f"no Ollama at {url}"


def test_missing_key_makes_cloud_adapters_unavailable() -> None:
    for kind in ("openai_compat", "groq", "anthropic"):
        cfg = ProviderConfig(kind=kind, base_url="http://127.0.0.1:9", api_key_env="NOPE_KEY")
        verdict = make_adapter("p", cfg, make_config(), {}).availability()
        assert not verdict.ok and verdict.reason == "NOPE_KEY not set"


def test_ollama_availability_probes_hosts(ollama_server: FakeServer) -> None:
    dead = closed_port_url()
    cfg = ProviderConfig(kind="ollama", base_url=dead, hosts=[ollama_server.url])
    adapter = make_adapter("ollama", cfg, make_config(), {})
    coder = ModelConfig(provider="ollama", tier="local", model_id="qwen2.5-coder:7b")
    verdict = adapter.availability(coder)
    assert verdict.ok and verdict.endpoints == (ollama_server.url,)
    missing = ModelConfig(provider="ollama", tier="local", model_id="llama3:70b")
    assert "not pulled" in adapter.availability(missing).reason
    nobody = make_adapter("ollama", ProviderConfig(kind="ollama", base_url=dead), make_config())
    assert nobody.availability().reason == f"no Ollama at {dead}"


def test_raw_client_reuses_its_connection(openai_server: FakeServer) -> None:
    """Keep-alive: two calls on one event loop, both answered (the second on the pooled
    connection, or a fresh one when the server closed it)."""
    adapter, model = adapter_for(CASES[1], openai_server.url + "/v1")

    async def go() -> list[Any]:
        try:
            url = openai_server.url + "/v1"
            return [await adapter.complete(REQUEST, model, url) for _ in range(3)]
        finally:
            await adapter.aclose()

    assert [r[0] for r in asyncio.run(go())] == ["Hello from the fake server."] * 3
