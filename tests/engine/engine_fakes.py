"""A scripted ModelCaller: the engine's tests run against it instead of real providers."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from mom_cli.config import MomConfig, load_config
from mom_cli.errors import MomError
from mom_cli.providers.base import Availability, Completion, CompletionRequest

Reply = str | MomError | Callable[[CompletionRequest], "str | MomError"]


@dataclass
class Call:
    model: str
    task_id: str
    prompt: str
    started: float
    ended: float = 0.0


def default_config() -> MomConfig:
    return load_config(environ={}).config


class ScriptedCaller:
    """Answers per (model) or per (model, task_id); queues are consumed in order.

    `unavailable` maps model → reason. `latency` (seconds) simulates slow calls so tests
    can observe concurrency. Prices come from the config, as the real pool's do.
    """

    def __init__(
        self,
        config: MomConfig | None = None,
        *,
        unavailable: dict[str, str] | None = None,
        latency: float = 0.0,
        default: Callable[[str, CompletionRequest], str] | None = None,
    ) -> None:
        self.config = config or default_config()
        self.unavailable = dict(
            unavailable if unavailable is not None else {"ollama-coder": "no server"}
        )
        self.latency = latency
        self.scripts: dict[tuple[str, str], list[Reply]] = {}
        self.calls: list[Call] = []
        self.busy: Counter[str] = Counter()
        self.default = default or (lambda model, req: f"answer from {model}")

    def script(self, model: str, replies: Iterable[Reply], task_id: str = "*") -> None:
        self.scripts.setdefault((model, task_id), []).extend(replies)

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
        try:
            if self.latency:
                await asyncio.sleep(self.latency)
            text = self._next(model, task_id, request)
        finally:
            self.busy[model] -= 1
            call.ended = time.perf_counter()
        cfg = self.config.models[model]
        tokens_in = sum(len(m.content) for m in request.messages) // 4 + 1
        tokens_out = len(text) // 4 + 1
        return Completion(
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

    def availability(self, model: str) -> Availability:
        if model in self.unavailable:
            return Availability(False, self.unavailable[model])
        return Availability(True, "", (f"fake://{model}",))

    def in_flight(self, model: str) -> int:
        return self.busy[model]

    def models_called(self, task_id: str | None = None) -> list[str]:
        return [c.model for c in self.calls if task_id is None or c.task_id == task_id]
