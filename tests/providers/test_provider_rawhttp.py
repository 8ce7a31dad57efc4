"""rawhttp + RawChatProvider against hand-written servers: the framing an upstream may use
(chunked with extensions and trailers, close-delimited, keep-alive that the server drops)
and, with Hypothesis, arbitrary bytes, which must always end as a ProviderError."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from provider_helpers import make_config

from mom_cli.config import ModelConfig, ProviderConfig
from mom_cli.errors import ProviderError
from mom_cli.providers.base import CompletionRequest
from mom_cli.providers.openai_raw import RawChatProvider
from mom_cli.providers.rawhttp import Origin

REQUEST = CompletionRequest.from_prompt("hi", max_tokens=8)
MODEL = ModelConfig(provider="p", tier="t", model_id="m")
ANSWER = json.dumps(
    {"choices": [{"message": {"content": "hello"}, "finish_reason": "stop"}],
     "usage": {"prompt_tokens": 2, "completion_tokens": 1}}
).encode()  # fmt: skip

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = int(head.lower().split(b"content-length: ", 1)[1].split(b"\r\n", 1)[0])
    return await reader.readexactly(length)


async def _with_server(handler: Handler, work: Callable[[str], Awaitable[Any]]) -> Any:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        return await work(f"http://127.0.0.1:{port}/v1")
    finally:
        server.close()


def _provider(timeout: float = 2.0) -> RawChatProvider:
    cfg = ProviderConfig(kind="openai_compat", base_url="http://x", timeout=timeout)
    return RawChatProvider("p", cfg, {})


def test_chunked_with_extensions_and_trailers() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        half = len(ANSWER) // 2
        writer.write(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            + f"{half:x};ext=1\r\n".encode() + ANSWER[:half] + b"\r\n"
            + f"{len(ANSWER) - half:X}\r\n".encode() + ANSWER[half:] + b"\r\n"
            + b"0\r\nX-Trailer: yes\r\n\r\n"
        )  # fmt: skip
        await writer.drain()
        writer.close()

    async def work(url: str) -> Any:
        return await _provider().complete(REQUEST, MODEL, url)

    assert asyncio.run(_with_server(handler, work)) == ("hello", 2, 1, "stop")


def test_close_delimited_body_and_dropped_keep_alive() -> None:
    """No Content-Length (the body ends when the server closes), then a server that
    closes every connection after one reply without saying so: every call succeeds."""
    connections = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        await _read_request(reader)
        if len(connections) == 1:
            writer.write(b"HTTP/1.1 200 OK\r\n\r\n" + ANSWER)
        else:
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(ANSWER) + ANSWER)
        await writer.drain()
        writer.close()

    async def work(url: str) -> list[Any]:
        provider = _provider()
        out = []
        for _ in range(4):
            out.append(await provider.complete(REQUEST, MODEL, url))
            await asyncio.sleep(0.01)
        await provider.aclose()
        return out

    assert [r[0] for r in asyncio.run(_with_server(handler, work))] == ["hello"] * 4
    assert len(connections) == 4


def test_keep_alive_reuses_one_connection() -> None:
    connections = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        while True:
            try:
                await _read_request(reader)
            except asyncio.IncompleteReadError:
                return
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(ANSWER) + ANSWER)
            await writer.drain()

    async def work(url: str) -> None:
        origin = Origin(url)
        for _ in range(5):
            reply = await origin.post("/chat/completions", b"{}", {})
            assert reply.status == 200 and reply.body == ANSWER
        origin.close()

    asyncio.run(_with_server(handler, work))
    assert len(connections) == 1


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300), st.booleans())
def test_any_reply_bytes_end_as_a_provider_error_or_an_answer(data: bytes, framed: bool) -> None:
    if framed:  # a valid status line and length, garbage inside
        data = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(data) + data

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(data)
        await writer.drain()
        writer.close()

    async def work(url: str) -> Any:
        provider = _provider(timeout=1.0)
        try:
            return await provider.complete(REQUEST, MODEL, url)
        finally:
            await provider.aclose()

    try:
        result = asyncio.run(_with_server(handler, work))
    except ProviderError:
        return
    assert isinstance(result, tuple) and isinstance(result[0], str)


def test_config_option_selects_the_client() -> None:
    from mom_cli.providers.openai_compat import OpenAICompatProvider
    from mom_cli.providers.pool import ProviderPool

    cfg = make_config()
    assert cfg.gateway.upstream_client == "raw"
    assert isinstance(ProviderPool(cfg, raw_http=True).adapter("deepseek"), RawChatProvider)
    plain = ProviderPool(cfg).adapter("deepseek")
    assert isinstance(plain, OpenAICompatProvider) and not isinstance(plain, RawChatProvider)
    with pytest.raises(ValueError, match="not an http"):
        Origin("ftp://example.com")


def _event(doc: dict[str, Any]) -> bytes:
    data = b"data: " + json.dumps(doc).encode() + b"\n\n"
    return b"%x\r\n%s\r\n" % (len(data), data)


def _delta(text: str, finish: str | None = None) -> bytes:
    return _event({"choices": [{"delta": {"content": text}, "finish_reason": finish}]})


def test_stream_tokens_that_arrive_together_travel_together() -> None:
    """Three events in one write come out as one piece (one write to the gateway's client,
    not three); a later event is not held back waiting for more."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        writer.write(_delta("a") + _delta("b") + _delta("c"))
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.write(_delta("d", "stop") + b"0\r\n\r\n")
        await writer.drain()
        writer.close()

    async def work(url: str) -> list[Any]:
        provider = _provider()
        try:
            return [p async for p in provider.stream(REQUEST, MODEL, url)]
        finally:
            await provider.aclose()

    pieces = asyncio.run(_with_server(handler, work))
    assert pieces[:2] == ["abc", "d"]
    assert pieces[2].finish_reason == "stop"
