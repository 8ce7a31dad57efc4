"""Claude models through the `anthropic` SDK (Messages API; SSE for streaming)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any

from mom_cli.config import ModelConfig, ProviderConfig
from mom_cli.errors import MalformedResponseError, ProviderError
from mom_cli.providers._support import LoopLocal, api_key, key_availability, secret_value
from mom_cli.providers.base import Availability, Capabilities, CompletionRequest, StreamEnd
from mom_cli.providers.errors_map import map_sdk_error

if TYPE_CHECKING:
    import anthropic


class AnthropicProvider:
    """kind = "anthropic"."""

    capabilities = Capabilities(streaming=True, json_mode=False, system_prompt=True, paid=True)

    def __init__(
        self, name: str, config: ProviderConfig, environ: Mapping[str, str] | None = None
    ) -> None:
        self.name = name
        self.config = config
        self._environ = environ
        self._clients: LoopLocal[anthropic.AsyncAnthropic] = LoopLocal(self._make_client)

    def _make_client(self, endpoint: str) -> anthropic.AsyncAnthropic:
        import anthropic  # imported on first use: it takes seconds, doctor needs none of it

        return anthropic.AsyncAnthropic(
            api_key=api_key(self.config, self._environ, self.name),
            base_url=endpoint,
            timeout=self.config.timeout,
            max_retries=0,
        )

    def availability(self, model: ModelConfig | None = None) -> Availability:
        return key_availability(self.config, self._environ)

    @staticmethod
    def _params(request: CompletionRequest, model: ModelConfig) -> dict[str, Any]:
        """Messages API params. No temperature: this SDK generation dropped the parameter."""
        system = "\n\n".join(m.content for m in request.messages if m.role == "system")
        params: dict[str, Any] = {
            "model": model.model_id,
            "max_tokens": request.max_tokens,
            "messages": [
                {"role": m.role, "content": m.content}
                for m in request.messages
                if m.role != "system"
            ],
        }
        if system:
            params["system"] = system
        if request.stop:
            params["stop_sequences"] = list(request.stop)
        return params

    def _error(self, exc: BaseException, model: ModelConfig, endpoint: str) -> ProviderError:
        import anthropic

        return map_sdk_error(
            exc,
            anthropic,
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
            message = await client.messages.create(**self._params(request, model))
        except Exception as exc:
            raise self._error(exc, model, endpoint) from None
        try:
            text = "".join(
                getattr(block, "text", "") for block in message.content if block.type == "text"
            )
            usage = message.usage
            return text, usage.input_tokens, usage.output_tokens, finish_reason(message.stop_reason)
        except (AttributeError, TypeError) as exc:
            raise MalformedResponseError(
                f"{self.name}: message without content/usage ({type(exc).__name__})",
                provider=self.name,
                model=model.model_id,
            ) from None

    async def stream(
        self, request: CompletionRequest, model: ModelConfig, endpoint: str
    ) -> AsyncIterator[str | StreamEnd]:
        stopped = False
        tokens_in: int | None = None
        tokens_out: int | None = None
        stop_reason: str | None = None
        try:
            client = self._clients.get(endpoint)
            events = await client.messages.create(**self._params(request, model), stream=True)
            async for event in events:
                if event.type == "content_block_delta" and event.delta.type == "text_delta":
                    yield event.delta.text
                elif event.type == "message_start":  # input tokens are billed here
                    tokens_in = event.message.usage.input_tokens
                elif event.type == "message_delta":  # output tokens, cumulative, and why
                    tokens_out = event.usage.output_tokens
                    stop_reason = event.delta.stop_reason or stop_reason
                elif event.type == "message_stop":
                    stopped = True
        except Exception as exc:
            raise self._error(exc, model, endpoint) from None
        if not stopped:
            raise MalformedResponseError(
                f"{self.name}: stream ended before message_stop (truncated)",
                provider=self.name,
                model=model.model_id,
            )
        yield StreamEnd(tokens_in, tokens_out, finish_reason(stop_reason))

    async def aclose(self) -> None:
        for client in self._clients.pop_current():
            await client.close()


def finish_reason(stop_reason: str | None) -> str:
    """Anthropic's stop_reason in OpenAI's words: callers (the ladder's truncation check,
    the gateway's clients) look for "length", never "max_tokens"."""
    return {"max_tokens": "length", "tool_use": "tool_calls"}.get(stop_reason or "", "stop")
