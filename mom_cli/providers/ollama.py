"""Local models on one or more Ollama servers, through the `ollama` AsyncClient.

`availability` probes each host's /api/tags (briefly, cached for a few seconds) so the
pool only sends work to hosts that answer, and doctor can say "no Ollama at URL".
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any

import httpx
import pydantic

from mom_cli.config import ModelConfig, ProviderConfig
from mom_cli.errors import MalformedResponseError, ProviderError, UnavailableError
from mom_cli.providers._support import LoopLocal, chat_messages
from mom_cli.providers.base import Availability, Capabilities, CompletionRequest, StreamEnd
from mom_cli.providers.errors_map import from_status, is_context_overflow, map_transport_error

if TYPE_CHECKING:
    import ollama

PROBE_TIMEOUT = 1.0  # seconds per host for the /api/tags probe
PROBE_TTL = 10.0  # seconds a probe result is reused


class OllamaProvider:
    """kind = "ollama"."""

    capabilities = Capabilities(streaming=True, json_mode=True, system_prompt=True, paid=False)

    def __init__(
        self, name: str, config: ProviderConfig, environ: Mapping[str, str] | None = None
    ) -> None:
        self.name = name
        self.config = config
        self._clients: LoopLocal[ollama.AsyncClient] = LoopLocal(self._make_client)
        self._probes: dict[str, tuple[float, set[str] | None]] = {}

    def _make_client(self, endpoint: str) -> ollama.AsyncClient:
        import ollama  # imported on first use: doctor and availability need none of it

        return ollama.AsyncClient(host=endpoint, timeout=self.config.timeout)

    def _probe(self, host: str) -> set[str] | None:
        """Model names served at `host`, or None when nothing answers there."""
        cached = self._probes.get(host)
        if cached and time.monotonic() - cached[0] < PROBE_TTL:
            return cached[1]
        try:  # urllib: no client or TLS context to build for a one-off loopback probe
            with urllib.request.urlopen(f"{host.rstrip('/')}/api/tags", timeout=PROBE_TIMEOUT) as r:
                models = json.loads(r.read()).get("models", [])
            names = {str(m.get("name") or m.get("model")) for m in models}
        except (OSError, urllib.error.URLError, ValueError, AttributeError):
            names = None
        self._probes[host] = (time.monotonic(), names)
        return names

    def availability(self, model: ModelConfig | None = None) -> Availability:
        hosts = self.config.endpoints()
        if not hosts:
            return Availability(False, "no Ollama host configured")
        probes = {host: self._probe(host) for host in hosts}
        up = [h for h, names in probes.items() if names is not None]
        if not up:
            return Availability(False, "no Ollama at " + ", ".join(hosts))
        if model is not None:
            wanted = {model.model_id, f"{model.model_id}:latest"}
            serving = [h for h in up if wanted & (probes[h] or set())]
            if not serving:
                return Availability(
                    False,
                    f"{model.model_id} not pulled on {', '.join(up)} "
                    f"(run `ollama pull {model.model_id}`)",
                )
            return Availability(True, "", tuple(serving))
        return Availability(True, "", tuple(up))

    @staticmethod
    def _options(request: CompletionRequest) -> dict[str, Any]:
        options: dict[str, Any] = {
            "num_predict": request.max_tokens,
            "temperature": request.temperature,
        }
        if request.stop:
            options["stop"] = list(request.stop)
        return options

    def _error(self, exc: BaseException, model: ModelConfig, endpoint: str) -> ProviderError:
        import ollama

        where = {"provider": self.name, "model": model.model_id}
        if isinstance(exc, ProviderError):
            return exc
        if isinstance(exc, ConnectionError):
            return UnavailableError(f"no Ollama at {endpoint}", **where)
        if isinstance(exc, ollama.ResponseError):
            if exc.status_code > 0:
                return from_status(
                    exc.status_code, exc.error, provider=self.name, model=model.model_id
                )
            if is_context_overflow(exc.error):
                return from_status(400, exc.error, provider=self.name, model=model.model_id)
            return UnavailableError(f"Ollama at {endpoint}: {exc.error}", **where)
        if isinstance(exc, json.JSONDecodeError | pydantic.ValidationError | ValueError):
            return MalformedResponseError(f"Ollama at {endpoint}: malformed reply: {exc}", **where)
        if isinstance(exc, httpx.HTTPError):
            return map_transport_error(exc, endpoint=endpoint, **where)
        return MalformedResponseError(f"Ollama at {endpoint}: {type(exc).__name__}: {exc}", **where)

    def _kwargs(self, request: CompletionRequest, model: ModelConfig) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "model": model.model_id,
            "messages": chat_messages(request),
            "options": self._options(request),
        }
        if request.json_mode:
            kwargs["format"] = "json"
        return kwargs

    async def complete(
        self, request: CompletionRequest, model: ModelConfig, endpoint: str
    ) -> tuple[str, int, int, str]:
        try:
            client = self._clients.get(endpoint)
            reply = await client.chat(**self._kwargs(request, model))
            content = reply.message.content or ""
            return (
                content,
                reply.prompt_eval_count or 0,
                reply.eval_count or 0,
                "length" if reply.done_reason == "length" else "stop",
            )
        except Exception as exc:
            raise self._error(exc, model, endpoint) from None

    async def stream(
        self, request: CompletionRequest, model: ModelConfig, endpoint: str
    ) -> AsyncIterator[str | StreamEnd]:
        last: Any = None
        try:
            client = self._clients.get(endpoint)
            parts = await client.chat(**self._kwargs(request, model), stream=True)
            async for part in parts:
                if part.message and part.message.content:
                    yield part.message.content
                if part.done:
                    last = part  # the done part carries the counts and done_reason
        except Exception as exc:
            raise self._error(exc, model, endpoint) from None
        if last is None:
            raise MalformedResponseError(
                f"Ollama at {endpoint}: stream ended before done=true (truncated)",
                provider=self.name,
                model=model.model_id,
            )
        finish = "length" if last.done_reason == "length" else "stop"
        yield StreamEnd(last.prompt_eval_count, last.eval_count, finish)

    async def aclose(self) -> None:
        for client in self._clients.pop_current():
            await client._client.aclose()
