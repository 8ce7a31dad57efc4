"""OpenAI-compatible chat completions over rawhttp, without the `openai` SDK.

The gateway's pass-through hot path: the SDK's request transform, httpx pool and pydantic
response models cost ~5 ms of CPU per call, the raw path a few hundred microseconds. It
speaks the same wire format as `openai_compat.py` (which stays the default everywhere
else and is what the SDK-level tests drive), reads only what mom needs from the reply
(text, finish reason, usage), asks streams for their usage (`stream_options`) so the
ledger records the upstream's counts, and maps failures onto the same error types.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

from mom_cli.config import ModelConfig, ProviderConfig
from mom_cli.errors import MalformedResponseError, ProviderError, ProviderTimeoutError
from mom_cli.providers._support import LoopLocal, api_key, secret_value
from mom_cli.providers.base import CompletionRequest, StreamEnd
from mom_cli.providers.errors_map import from_status, scrub
from mom_cli.providers.openai_compat import ChatCompletionsProvider
from mom_cli.providers.rawhttp import Origin, ProtocolError
from mom_cli.providers.usage import reported_count

PATH = "/chat/completions"

try:  # orjson (in the serve extra) parses each streamed event several times faster
    from orjson import dumps as _dumps
    from orjson import loads as _loads
except ImportError:  # pragma: no cover

    def _dumps(doc: Any) -> bytes:  # type: ignore[misc]
        return json.dumps(doc).encode()

    _loads = json.loads  # type: ignore[assignment]


class RawChatProvider(ChatCompletionsProvider):
    """kind = "openai_compat" on the gateway (config: gateway.upstream_client = "raw")."""

    def __init__(
        self, name: str, config: ProviderConfig, environ: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(name, config, environ)
        self._origins: LoopLocal[Origin] = LoopLocal(
            lambda endpoint: Origin(endpoint, min(config.timeout, 10.0))
        )

    def _headers(self) -> dict[str, str]:
        return {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Authorization": f"Bearer {api_key(self.config, self._environ, self.name)}",
            "User-Agent": "mom-gateway",
        }

    def _fail(self, exc: BaseException, model: ModelConfig, endpoint: str) -> ProviderError:
        where = {"provider": self.name, "model": model.model_id}
        if isinstance(exc, ProviderError):
            return exc
        if isinstance(exc, TimeoutError):
            return ProviderTimeoutError(f"{self.name} timed out at {endpoint}", **where)
        if isinstance(exc, ProtocolError):
            return MalformedResponseError(f"{self.name} at {endpoint}: {exc}", **where)
        if isinstance(exc, OSError | EOFError):
            from mom_cli.errors import UnavailableError

            return UnavailableError(
                f"{self.name} unreachable at {endpoint}: {type(exc).__name__}", **where
            )
        return MalformedResponseError(
            scrub(f"{self.name}: unexpected {type(exc).__name__}: {exc}", self._secret())[:500],
            **where,
        )

    def _secret(self) -> str | None:
        return secret_value(self.config, self._environ)

    def _status_error(
        self, status: int, body: bytes, headers: dict[str, str], model: ModelConfig
    ) -> ProviderError:
        message = body[:2000].decode("utf-8", "replace")
        try:
            doc = _loads(body)
            err = doc.get("error", doc) if isinstance(doc, dict) else doc
            if isinstance(err, dict):
                message = str(err.get("message") or err.get("type") or err)
        except ValueError:
            pass
        return from_status(
            status, message, headers, provider=self.name, model=model.model_id,
            secret=self._secret(),
        )  # fmt: skip

    def _malformed(self, model: ModelConfig, why: str) -> MalformedResponseError:
        return MalformedResponseError(
            f"{self.name}: {why}", provider=self.name, model=model.model_id
        )

    async def complete(
        self, request: CompletionRequest, model: ModelConfig, endpoint: str
    ) -> tuple[str, int, int, str]:
        body = _dumps(self._params(request, model))
        try:
            async with asyncio.timeout(self.config.timeout):  # as the SDK's read timeout
                reply = await self._origins.get(endpoint).post(PATH, body, self._headers())
        except Exception as exc:
            raise self._fail(exc, model, endpoint) from None
        if reply.status >= 400:
            raise self._status_error(reply.status, reply.body, reply.headers, model)
        try:
            doc = _loads(reply.body)
            choice = doc["choices"][0]
            content = choice["message"].get("content") or ""
            usage = doc.get("usage") or {}
            return (
                str(content),
                reported_count(usage.get("prompt_tokens") or 0),
                reported_count(usage.get("completion_tokens") or 0),
                str(choice.get("finish_reason") or "stop"),
            )
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise self._malformed(
                model, f"response without choices/message ({type(exc).__name__})"
            ) from None

    async def stream(
        self, request: CompletionRequest, model: ModelConfig, endpoint: str
    ) -> AsyncIterator[str | StreamEnd]:
        params = self._params(request, model)
        params["stream"] = True
        params["stream_options"] = {"include_usage": True}
        body = _dumps(params)
        headers = {**self._headers(), "Accept": "text/event-stream"}
        finish = ""
        usage: dict[str, Any] | None = None
        try:
            async with asyncio.timeout(self.config.timeout):  # until the headers arrive
                status, fields, chunks = await self._origins.get(endpoint).post_stream(
                    PATH, body, headers
                )
            if status >= 400:
                data = b"".join([c async for c in chunks])
                raise self._status_error(status, data, fields, model)
            buffer = b""
            done = False
            async for chunk in chunks:  # all that one network read brought
                buffer += chunk.replace(b"\r\n", b"\n")
                arrived: list[str] = []  # tokens that came together travel on together
                while not done and b"\n\n" in buffer:
                    event, buffer = buffer.split(b"\n\n", 1)
                    for line in event.split(b"\n"):
                        if not line.startswith(b"data:"):
                            continue
                        payload = line[5:].strip()
                        if payload == b"[DONE]":
                            done = True
                            break
                        doc = _loads(payload)
                        if not isinstance(doc, dict):
                            raise self._malformed(model, "stream event is not an object")
                        if "error" in doc:
                            if arrived:  # what came before the error still reaches the client
                                yield "".join(arrived)
                            err = doc["error"]
                            text = err.get("message") if isinstance(err, dict) else err
                            raise self._malformed(model, f"stream error: {text}")
                        for choice in doc.get("choices") or ():
                            piece = (choice.get("delta") or {}).get("content")
                            if piece:
                                arrived.append(piece)
                            if choice.get("finish_reason"):
                                finish = choice["finish_reason"]
                        if doc.get("usage"):
                            usage = doc["usage"]
                if arrived:
                    yield "".join(arrived)
        except ProviderError:
            raise
        except (ValueError, TypeError, AttributeError) as exc:
            raise self._malformed(model, f"malformed stream event ({type(exc).__name__})") from None
        except Exception as exc:
            raise self._fail(exc, model, endpoint) from None
        if not finish:
            raise self._malformed(model, "stream ended before a finish_reason (truncated)")
        yield StreamEnd(
            reported_count(usage["prompt_tokens"]) if usage and "prompt_tokens" in usage else None,
            reported_count(usage["completion_tokens"])
            if usage and "completion_tokens" in usage
            else None,
            str(finish),
        )

    async def aclose(self) -> None:
        for origin in self._origins.pop_current():
            origin.close()
        await super().aclose()
