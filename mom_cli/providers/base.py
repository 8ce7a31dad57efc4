"""The provider interface every adapter implements, and the value types it exchanges."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from mom_cli.config import ModelConfig


@dataclass(frozen=True)
class Message:
    role: str  # "system" | "user" | "assistant"
    content: str


@dataclass(frozen=True)
class CompletionRequest:
    messages: tuple[Message, ...]
    max_tokens: int = 512
    temperature: float = 0.2
    stop: tuple[str, ...] = ()
    json_mode: bool = False  # ask for a JSON object when the provider supports it

    @classmethod
    def from_prompt(cls, prompt: str, system: str = "", **kwargs: object) -> CompletionRequest:
        msgs = ([Message("system", system)] if system else []) + [Message("user", prompt)]
        return cls(messages=tuple(msgs), **kwargs)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Completion:
    """One finished model call, with everything the ledger records."""

    content: str
    model: str  # the config name, e.g. "smollm2"
    model_id: str  # the provider's id, e.g. "SmolLM2-135M-Instruct"
    provider: str
    tier: str
    endpoint: str
    input_tokens: int
    output_tokens: int
    cost_usd: float
    latency_ms: float
    finish_reason: str = "stop"
    ledger_id: int = 0  # the ledger row of this call, so validation can record its verdict


@dataclass(frozen=True)
class StreamEnd:
    """What an adapter may yield after a stream's last text piece: the upstream's own
    token counts (None when it sent none) and finish reason, so the ledger need not guess."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    finish_reason: str = "stop"


@dataclass(frozen=True)
class Capabilities:
    streaming: bool = True
    json_mode: bool = False
    system_prompt: bool = True
    paid: bool = True  # False for $0 local models: never blocked by budget


@dataclass(frozen=True)
class Availability:
    """Whether a provider can be used here, and exactly why not."""

    ok: bool
    reason: str = ""
    endpoints: tuple[str, ...] = field(default_factory=tuple)


@runtime_checkable
class Provider(Protocol):
    """An adapter over one SDK. It raises only mom_cli.errors.ProviderError subclasses."""

    name: str
    capabilities: Capabilities

    def availability(self, model: ModelConfig | None = None) -> Availability:
        """Usable here? With a model, also whether that model is served (e.g. pulled)."""
        ...

    async def complete(
        self, request: CompletionRequest, model: ModelConfig, endpoint: str
    ) -> tuple[str, int, int, str]:
        """Return (content, input_tokens, output_tokens, finish_reason)."""
        ...

    def stream(
        self, request: CompletionRequest, model: ModelConfig, endpoint: str
    ) -> AsyncIterator[str | StreamEnd]:
        """Text pieces as they arrive; optionally one StreamEnd last."""
        ...

    async def aclose(self) -> None:
        """Close the HTTP clients opened on the running event loop."""
        ...


@runtime_checkable
class ModelCaller(Protocol):
    """What the engine needs from the provider layer (implemented by pool.ProviderPool).

    `complete` runs one call on the named model (a key of config.models) with mom's own
    retry policy, budget check and ledger record; it raises ProviderError subclasses or
    BudgetExceededError. `availability` says whether a model can be called here at all.
    `in_flight` is the number of calls currently running on the model's endpoints (load).
    """

    async def complete(
        self, request: CompletionRequest, *, model: str, run_id: str = "", task_id: str = ""
    ) -> Completion: ...

    def availability(self, model: str) -> Availability: ...

    def in_flight(self, model: str) -> int: ...
