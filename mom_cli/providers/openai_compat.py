"""OpenAI-compatible chat completions through the `openai` SDK (DeepSeek, OpenRouter, vLLM,
llama.cpp server, LM Studio). `groq.py` reuses this class with the `groq` SDK, whose wire
format is the same."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from types import ModuleType
from typing import Any

from mom_cli.config import ModelConfig, ProviderConfig
from mom_cli.errors import MalformedResponseError, ProviderError
from mom_cli.providers._support import (
    LoopLocal,
    api_key,
    chat_messages,
    key_availability,
    secret_value,
)
from mom_cli.providers.base import Availability, Capabilities, CompletionRequest, StreamEnd
from mom_cli.providers.errors_map import map_sdk_error


class ChatCompletionsProvider:
    """Adapter over an SDK exposing `client.chat.completions.create` (openai-shaped)."""

    capabilities = Capabilities(streaming=True, json_mode=True, system_prompt=True, paid=True)

    def __init__(
        self, name: str, config: ProviderConfig, environ: Mapping[str, str] | None = None
    ) -> None:
        self.name = name
        self.config = config
        self._environ = environ
        self._clients: LoopLocal[Any] = LoopLocal(self._make_client)

    def _sdk(self) -> ModuleType:
        """The SDK module, imported on first use: `mom doctor` should not pay for imports."""
        import openai

        return openai

    def _make_client(self, endpoint: str) -> Any:
        return self._sdk().AsyncOpenAI(
            api_key=api_key(self.config, self._environ, self.name),
            base_url=endpoint,
            timeout=self.config.timeout,
            max_retries=0,
        )

    def availability(self, model: ModelConfig | None = None) -> Availability:
        return key_availability(self.config, self._environ)

    def _params(self, request: CompletionRequest, model: ModelConfig) -> dict[str, Any]:
        params: dict[str, Any] = {
            "model": model.model_id,
            "messages": chat_messages(request),
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
        }
        if request.stop:
            params["stop"] = list(request.stop)
        if request.json_mode:
            params["response_format"] = {"type": "json_object"}
        return params

    def _error(self, exc: BaseException, model: ModelConfig, endpoint: str) -> ProviderError:
        return map_sdk_error(
            exc,
            self._sdk(),
            provider=self.name,
            model=model.model_id,
            endpoint=endpoint,
            secret=secret_value(self.config, self._environ),
        )

    async def complete(
        self, request: CompletionRequest, model: ModelConfig, endpoint: str
    ) -> tuple[str, int, int, str]:
        try:
            client = self._clients.get(endpoint)
            response = await client.chat.completions.create(**self._params(request, model))
        except Exception as exc:
            raise self._error(exc, model, endpoint) from None
        try:
            choice = response.choices[0]
            content = choice.message.content or ""
            usage = response.usage
            in_tokens = usage.prompt_tokens if usage else 0
            out_tokens = usage.completion_tokens if usage else 0
            return content, in_tokens, out_tokens, choice.finish_reason or "stop"
        except (AttributeError, IndexError, TypeError) as exc:
            raise MalformedResponseError(
                f"{self.name}: response without choices/message ({type(exc).__name__})",
                provider=self.name,
                model=model.model_id,
            ) from None

    def _stream_params(self, request: CompletionRequest, model: ModelConfig) -> dict[str, Any]:
        """Ask for the stream's usage (OpenAI sends it in one last chunk): without it the
        ledger would have to guess a paid call's tokens from its text."""
        return {**self._params(request, model), "stream_options": {"include_usage": True}}

    async def stream(
        self, request: CompletionRequest, model: ModelConfig, endpoint: str
    ) -> AsyncIterator[str | StreamEnd]:
        finish = ""
        usage: Any = None
        try:
            client = self._clients.get(endpoint)
            chunks = await client.chat.completions.create(
                **self._stream_params(request, model), stream=True
            )
            async for chunk in chunks:
                usage = _stream_usage(chunk) or usage
                for choice in chunk.choices or ():
                    if choice.delta and choice.delta.content:
                        yield choice.delta.content
                    if choice.finish_reason:
                        finish = choice.finish_reason
        except Exception as exc:
            raise self._error(exc, model, endpoint) from None
        if not finish:
            raise MalformedResponseError(
                f"{self.name}: stream ended before a finish_reason (truncated)",
                provider=self.name,
                model=model.model_id,
            )
        tokens_in = getattr(usage, "prompt_tokens", None)
        tokens_out = getattr(usage, "completion_tokens", None)
        yield StreamEnd(tokens_in, tokens_out, finish)

    async def aclose(self) -> None:
        for client in self._clients.pop_current():
            await client.close()


class OpenAICompatProvider(ChatCompletionsProvider):
    """kind = "openai_compat"."""


def _stream_usage(chunk: Any) -> Any:
    """A chunk's usage: OpenAI's `usage` (with stream_options), or Groq's `x_groq.usage`."""
    usage = getattr(chunk, "usage", None)
    if usage is not None:
        return usage
    extra = getattr(chunk, "x_groq", None) or (getattr(chunk, "model_extra", None) or {}).get(
        "x_groq"
    )
    found = extra.get("usage") if isinstance(extra, dict) else getattr(extra, "usage", None)
    if isinstance(found, dict):
        return _Usage(found.get("prompt_tokens"), found.get("completion_tokens"))
    return found


class _Usage:
    """prompt/completion token counts read from a plain dict (Groq's x_groq field)."""

    def __init__(self, prompt_tokens: int | None, completion_tokens: int | None) -> None:
        self.prompt_tokens = prompt_tokens
        self.completion_tokens = completion_tokens
