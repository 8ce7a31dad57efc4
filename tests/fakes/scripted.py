"""The one in-process scripted model for tests that exercise the engine, routing,
milestones or hooks but not the providers (those drive the real SDKs against the
loopback servers in this package instead).

`ScriptedCaller` stands in for the provider pool's `ModelCaller` interface;
`ScriptedProvider` stands in for one provider adapter (the embedded model) inside a
real `ProviderPool`, so the pool's ledger and routing code still run."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, replace

from mom_cli.config import ModelConfig, MomConfig, load_config
from mom_cli.errors import MomError
from mom_cli.ledger.store import Ledger, LedgerEntry
from mom_cli.providers.base import Availability, Capabilities, Completion, CompletionRequest

Reply = str | MomError | Callable[[CompletionRequest], "str | MomError"]
Answer = Callable[[str, CompletionRequest], str]


@dataclass
class Call:
    model: str
    task_id: str
    prompt: str  # the last message's text
    started: float
    ended: float = 0.0


def default_config(**overrides: object) -> MomConfig:
    """The packaged default config (no user files, no environment)."""
    return load_config(environ={}, overrides=overrides or None).config


def in_order(*replies: str | BaseException) -> Answer:
    """Replies in call order, whichever model is asked; the last one repeats. An
    exception in the queue is raised instead of answered."""
    queue = list(replies)

    def answer(model: str, request: CompletionRequest) -> str:
        reply = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(reply, BaseException):
            raise reply
        return reply

    return answer


def always(reply: str) -> Answer:
    return lambda model, request: reply


class ScriptedCaller:
    """A ModelCaller answering per model or per (model, task_id) from queues consumed in
    order, then from `default(model, request)`.

    Availability: `usable` (when given) lists the only available models, the rest report
    `<PROVIDER>_API_KEY not set`; otherwise `unavailable` maps model → reason. `latency`
    (seconds) makes calls overlap so tests can observe concurrency (`peak`). Prices come
    from the config, as the real pool's do. With a `ledger`, each call writes a row as
    the provider pool does, and the Completion carries its id.
    """

    def __init__(
        self,
        config: MomConfig | None = None,
        *,
        unavailable: dict[str, str] | None = None,
        usable: Iterable[str] | None = None,
        latency: float = 0.0,
        default: Answer | None = None,
        ledger: Ledger | None = None,
        busy: dict[str, int] | None = None,
    ) -> None:
        self._config = config
        self.unavailable = dict(
            unavailable if unavailable is not None else {"ollama-coder": "no server"}
        )
        self.usable = None if usable is None else tuple(usable)
        self.latency = latency
        self.scripts: dict[tuple[str, str], list[Reply]] = {}
        self.calls: list[Call] = []
        self.busy: Counter[str] = Counter(busy or {})
        self.active = 0
        self.peak = 0
        self.default = default or (lambda model, req: f"answer from {model}")
        self.ledger = ledger

    @property
    def config(self) -> MomConfig:
        if self._config is None:
            self._config = default_config()
        return self._config

    def script(self, model: str, replies: Iterable[Reply], task_id: str = "*") -> None:
        self.scripts.setdefault((model, task_id), []).extend(replies)

    @property
    def prompts(self) -> list[str]:
        return [c.prompt for c in self.calls]

    def _next(self, model: str, task_id: str, request: CompletionRequest) -> str:
        for key in ((model, task_id), (model, "*")):
            queue = self.scripts.get(key)
            if queue:
                reply = queue.pop(0)
                if callable(reply) and not isinstance(reply, MomError):
                    reply = reply(request)
                if isinstance(reply, MomError):
                    raise reply
                return reply
        return self.default(model, request)

    async def complete(
        self, request: CompletionRequest, *, model: str, run_id: str = "", task_id: str = ""
    ) -> Completion:
        call = Call(model, task_id, request.messages[-1].content, time.perf_counter())
        self.calls.append(call)
        self.busy[model] += 1
        self.active += 1
        self.peak = max(self.peak, self.active)
        try:
            if self.latency:
                await asyncio.sleep(self.latency)
            text = self._next(model, task_id, request)
        finally:
            self.busy[model] -= 1
            self.active -= 1
            call.ended = time.perf_counter()
        cfg = self.config.models[model]
        tokens_in = sum(len(m.content) for m in request.messages) // 4 + 1
        tokens_out = len(text) // 4 + 1
        done = Completion(
            content=text,
            model=model,
            model_id=cfg.model_id,
            provider=cfg.provider,
            tier=cfg.tier,
            endpoint=f"fake://{cfg.provider}",
            input_tokens=tokens_in,
            output_tokens=tokens_out,
            cost_usd=cfg.cost_usd(tokens_in, tokens_out),
            latency_ms=self.latency * 1000,
        )
        if self.ledger is None:
            return done
        row = self.ledger.record(
            LedgerEntry(
                done.provider, done.model, done.model_id, done.tier, done.endpoint,
                done.input_tokens, done.output_tokens, done.cost_usd, done.latency_ms, "ok",
                run_id=run_id, task_id=task_id,
            )
        )  # fmt: skip
        return replace(done, ledger_id=row)

    def availability(self, model: str) -> Availability:
        if self.usable is not None and model not in self.usable:
            return Availability(False, f"{model.split('-')[0].upper()}_API_KEY not set")
        if model in self.unavailable:
            return Availability(False, self.unavailable[model])
        return Availability(True, "", (f"fake://{model}",))

    def in_flight(self, model: str) -> int:
        return self.busy[model]

    def models_called(self, task_id: str | None = None) -> list[str]:
        return [c.model for c in self.calls if task_id is None or c.task_id == task_id]


def _refuse(model: str, request: CompletionRequest) -> str:
    raise AssertionError(f"this test must not call a model (asked {model})")


def no_calls(
    down: dict[str, str] | None = None, busy: dict[str, int] | None = None
) -> ScriptedCaller:
    """Availability and load only, for selector tests: `down` maps model → reason (the
    local Ollama model by default), `busy` model → calls in flight; any call fails."""
    return ScriptedCaller(unavailable=down, busy=busy, default=_refuse)


class ScriptedProvider:
    """An embedded-provider stand-in for a real ProviderPool: answers from a queue (then
    a polite refusal) and keeps every prompt."""

    name = "embedded"
    capabilities = Capabilities(streaming=False, paid=False)

    def __init__(self, replies: list[str]) -> None:
        self.replies = list(replies)
        self.prompts: list[str] = []

    def availability(self, model: ModelConfig | None = None) -> Availability:
        return Availability(True, "", ("in-process",))

    async def complete(
        self, request: CompletionRequest, model: ModelConfig, endpoint: str
    ) -> tuple[str, int, int, str]:
        prompt = "\n".join(m.content for m in request.messages)
        self.prompts.append(prompt)
        reply = self.replies.pop(0) if self.replies else "I cannot help."
        return reply, len(prompt) // 4, len(reply) // 4, "stop"

    async def stream(
        self, request: CompletionRequest, model: ModelConfig, endpoint: str
    ) -> AsyncIterator[str]:
        yield (await self.complete(request, model, endpoint))[0]

    async def aclose(self) -> None:
        return None
