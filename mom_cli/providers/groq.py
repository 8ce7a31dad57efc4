"""Groq through the `groq` SDK. Same chat-completions wire format as OpenAI, served under
`{base_url}/openai/v1/`; the SDK adds that path itself, so base_url is the bare host."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from mom_cli.config import ModelConfig
from mom_cli.providers._support import api_key
from mom_cli.providers.base import CompletionRequest
from mom_cli.providers.openai_compat import ChatCompletionsProvider


class GroqProvider(ChatCompletionsProvider):
    """kind = "groq"."""

    def _sdk(self) -> ModuleType:
        import groq

        return groq

    def _stream_params(self, request: CompletionRequest, model: ModelConfig) -> dict[str, Any]:
        """Groq's SDK takes no stream_options; Groq reports usage in `x_groq` anyway."""
        return self._params(request, model)

    def _make_client(self, endpoint: str) -> Any:
        return self._sdk().AsyncGroq(
            api_key=api_key(self.config, self._environ, self.name),
            base_url=endpoint,
            timeout=self.config.timeout,
            max_retries=0,
        )
