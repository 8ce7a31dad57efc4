"""mom's paid tiers served from loopback, each in its own provider's wire format.

groq (groq SDK) and deepseek (openai SDK) get an OpenAI-wire server each; haiku and
sonnet (anthropic SDK) an Anthropic-wire server each, so every tier's replies are
scripted and counted on their own. `overrides()` points mom's config at them with a
dummy key per tier (the env var names are returned too: set them, or leave one unset to
make that tier unusable). Used by the fix-build tests and scripts/bench_fixbuild.py.
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any

from .server import FakeServer, Reply
from .wire import AnthropicWire, OpenAIWire

PAID_TIERS = ("groq", "deepseek", "haiku", "sonnet")
KEY_ENV = {tier: f"MOM_LOOPBACK_{tier.upper()}_KEY" for tier in PAID_TIERS}
_MODEL = {"groq": "groq-llama", "deepseek": "deepseek-chat", "haiku": "haiku", "sonnet": "sonnet"}


def _text(body: Any) -> str:
    """A chat request's text: system prompt and messages (both wire formats)."""
    body = body if isinstance(body, dict) else {}
    parts = [str(body.get("system", ""))]
    parts += [str(m.get("content", "")) for m in body.get("messages", [])]
    return "\n".join(parts)


class LoopbackTiers:
    """Four loopback servers, one per paid tier; a context manager."""

    def __init__(self) -> None:
        self.servers = {
            "groq": FakeServer(OpenAIWire()),
            "deepseek": FakeServer(OpenAIWire()),
            "haiku": FakeServer(AnthropicWire()),
            "sonnet": FakeServer(AnthropicWire()),
        }

    def __enter__(self) -> LoopbackTiers:
        for server in self.servers.values():
            server.__enter__()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for server in self.servers.values():
            server.__exit__(kind, exc, tb)

    def script(self, tier: str, *contents: str) -> None:
        """The tier's next replies, in order (after they run out: a polite non-answer)."""
        self.servers[tier].script(*(Reply(content=c) for c in contents))

    def answer_when(self, tier: str, needle: str, *contents: str) -> None:
        """Like `script`, but only a request whose text contains `needle` (the faulty
        line) takes the next reply; any other question gets a polite non-answer. A
        strong model that knows the fix still has to be shown the code."""
        queue = list(contents)
        lock = threading.Lock()

        def respond(body: Any) -> Reply:
            with lock:
                if queue and needle in _text(body):
                    return Reply(content=queue.pop(0))
            return Reply(content="I could not find the problem in the code I was shown.")

        self.servers[tier].responder = respond

    def calls(self, tier: str | None = None) -> int:
        tiers = [tier] if tier else list(PAID_TIERS)
        return sum(len(self.servers[t].chat_requests) for t in tiers)

    def prompts(self, tier: str) -> list[str]:
        """The text each request to `tier` carried (system prompt and messages)."""
        return [_text(req.body) for req in self.servers[tier].chat_requests]

    def overrides(self) -> dict[str, Any]:
        """Config layer: each paid tier's provider at its loopback server, no retries."""
        kinds = {"groq": "groq", "deepseek": "openai_compat"}
        providers: dict[str, Any] = {}
        models: dict[str, Any] = {}
        for tier, server in self.servers.items():
            name = f"loopback_{tier}"
            url = server.url + ("/v1" if tier == "deepseek" else "")
            providers[name] = {
                "kind": kinds.get(tier, "anthropic"),
                "base_url": url,
                "api_key_env": KEY_ENV[tier],
                "timeout": 30,
                "requests_per_day": 0,
            }
            models[_MODEL[tier]] = {"provider": name}
        return {"providers": providers, "models": models}
