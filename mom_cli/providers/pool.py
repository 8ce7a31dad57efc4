"""ProviderPool: the one place model calls go through (implements base.ModelCaller).

For each call it: checks the provider's daily quota and (for paid models) the budget,
picks the least-loaded endpoint that is not cooling down, runs the adapter, retries by
mom's single policy (retry.py), records every attempt in the ledger, prices the tokens
from the config's price table and emits CostRecorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import time
from collections import Counter
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping

from mom_cli.config import ModelConfig, MomConfig, ProviderConfig
from mom_cli.errors import ProviderError, QuotaExhaustedError, UnavailableError, UsageError
from mom_cli.events import AttemptFailed, CostRecorded, EventSink, Notice, null_sink
from mom_cli.ledger.backend import LedgerStore
from mom_cli.ledger.budget import BudgetGuard
from mom_cli.ledger.store import LedgerEntry
from mom_cli.providers.base import (
    Availability,
    Completion,
    CompletionRequest,
    Provider,
    StreamEnd,
)
from mom_cli.providers.deadline import bounded_stream, within_deadline
from mom_cli.providers.retry import EndpointHealth, RetryPolicy
from mom_cli.providers.usage import CheckedUsage, checked_usage, estimate_tokens

Sleep = Callable[[float], Awaitable[None]]


def make_adapter(
    name: str,
    cfg: ProviderConfig,
    config: MomConfig,
    environ: Mapping[str, str] | None = None,
    *,
    raw_http: bool = False,
) -> Provider:
    """The adapter for a provider's `kind`. SDKs are imported only when needed. With
    `raw_http`, openai_compat upstreams go through the lean client instead of the SDK."""
    if cfg.kind == "embedded":
        from mom_cli.providers.embedded import EmbeddedProvider

        return EmbeddedProvider(name, cfg, environ, config.local_models)
    if cfg.kind == "ollama":
        from mom_cli.providers.ollama import OllamaProvider

        return OllamaProvider(name, cfg, environ)
    if cfg.kind == "groq":
        from mom_cli.providers.groq import GroqProvider

        return GroqProvider(name, cfg, environ)
    if cfg.kind == "anthropic":
        from mom_cli.providers.anthropic import AnthropicProvider

        return AnthropicProvider(name, cfg, environ)
    if raw_http:
        from mom_cli.providers.openai_raw import RawChatProvider

        return RawChatProvider(name, cfg, environ)
    from mom_cli.providers.openai_compat import OpenAICompatProvider

    return OpenAICompatProvider(name, cfg, environ)


_SDK_MODULES = {"groq": "groq", "openai_compat": "openai", "anthropic": "anthropic",
                "ollama": "ollama"}  # fmt: skip


def _import_sdk(kind: str) -> None:
    """Import a provider's SDK (seconds, once per process) before a call's deadline clock
    starts: the adapters import lazily, and a cold import must not eat the deadline."""
    name = _SDK_MODULES.get(kind)
    if name:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


def _stream_usage(
    request: CompletionRequest,
    pieces: list[str],
    end: StreamEnd | None,
    error: ProviderError | None,
) -> CheckedUsage:
    """The token counts of one streamed attempt; `note` says which were estimated (and
    `implausible` whether the provider's own counts were refused)."""
    text = "".join(pieces)
    if end is not None and end.output_tokens is not None:
        sent_in = end.input_tokens
        checked = checked_usage(request, 0 if sent_in is None else sent_in, end.output_tokens,
                                text)  # fmt: skip
        if sent_in is not None:
            return checked
        note = "; ".join(filter(None, ["input tokens estimated", checked.note]))
        return CheckedUsage(estimate_tokens(request), checked.output_tokens, note,
                            checked.implausible)  # fmt: skip
    tokens_in = estimate_tokens(request) if text or error is None else 0
    return CheckedUsage(tokens_in, (len(text) + 3) // 4, "usage estimated from the streamed text")


class ProviderPool:
    """Implements ModelCaller over every configured provider."""

    def __init__(
        self,
        config: MomConfig,
        ledger: LedgerStore | None = None,
        sink: EventSink = null_sink,
        *,
        policy: RetryPolicy | None = None,
        environ: Mapping[str, str] | None = None,
        adapters: Mapping[str, Provider] | None = None,
        sleep: Sleep = asyncio.sleep,
        raw_http: bool = False,
    ) -> None:
        self.config = config
        self.ledger = ledger
        self.sink = sink
        self.policy = policy or RetryPolicy()
        self.health = EndpointHealth(self.policy)
        self.budget = BudgetGuard(config.cost, ledger, sink) if ledger is not None else None
        self._environ = environ
        self._adapters: dict[str, Provider] = dict(adapters or {})
        self._in_flight: Counter[tuple[str, str]] = Counter()
        self._sleep = sleep
        self._raw_http = raw_http

    # -- lookup ---------------------------------------------------------------------------
    def model(self, name: str) -> ModelConfig:
        try:
            return self.config.models[name]
        except KeyError:
            known = ", ".join(sorted(self.config.models)) or "none"
            raise UsageError(f"unknown model {name!r}; configured: {known}") from None

    def adapter(self, provider: str) -> Provider:
        if provider not in self._adapters:
            cfg = self.config.providers[provider]
            self._adapters[provider] = make_adapter(
                provider, cfg, self.config, self._environ, raw_http=self._raw_http
            )
        return self._adapters[provider]

    # -- ModelCaller ----------------------------------------------------------------------
    def availability(self, model: str) -> Availability:
        """Usable here, or exactly why not (missing key, no server, quota, cooling down)."""
        cfg = self.config.models.get(model)
        if cfg is None:
            return Availability(False, f"unknown model {model!r}")
        verdict = self.adapter(cfg.provider).availability(cfg)
        if not verdict.ok:
            return verdict
        quota = self._quota_reason(cfg.provider)
        if quota:
            return Availability(False, quota, verdict.endpoints)
        healthy = [e for e in verdict.endpoints if not self.health.cooling((cfg.provider, e))]
        if not healthy:
            reasons = {self.health.why((cfg.provider, e)) for e in verdict.endpoints}
            return Availability(False, "; ".join(sorted(reasons)), verdict.endpoints)
        return Availability(True, "", tuple(healthy))

    def in_flight(self, model: str) -> int:
        provider = self.model(model).provider
        return sum(n for (p, _), n in self._in_flight.items() if p == provider)

    async def complete(
        self, request: CompletionRequest, *, model: str, run_id: str = "", task_id: str = ""
    ) -> Completion:
        return await self.call(request, model=model, run_id=run_id, task_id=task_id)

    # -- the call loop --------------------------------------------------------------------
    async def call(
        self,
        request: CompletionRequest,
        *,
        model: str,
        run_id: str = "",
        task_id: str = "",
        category: str = "",
    ) -> Completion:
        """`complete` plus the request's category for the ledger row."""
        cfg = self.model(model)
        adapter = self.adapter(cfg.provider)
        _import_sdk(self.config.providers[cfg.provider].kind)
        attempt = 0
        while True:
            attempt += 1
            key = self._claim_endpoint(model, cfg, request)
            endpoint = key[1]
            started = time.perf_counter()
            try:
                content, tokens_in, tokens_out, finish = await within_deadline(
                    adapter.complete(request, cfg, endpoint),
                    self.config.providers[cfg.provider],
                    provider=cfg.provider,
                    model=cfg.model_id,
                )
            except ProviderError as exc:
                latency = (time.perf_counter() - started) * 1000
                self.health.failed(key, exc)
                self._record(cfg, model, endpoint, 0, 0, latency, exc, run_id, task_id, category)
                self.sink(AttemptFailed(task_id, cfg.tier, model, f"{type(exc).__name__}: {exc}"))
                delay = self.policy.delay(attempt, exc)
                if delay is None:
                    raise
                await self._sleep(delay)
                continue
            finally:
                self._in_flight[key] -= 1
            latency = (time.perf_counter() - started) * 1000
            self.health.succeeded(key)
            checked = checked_usage(request, tokens_in, tokens_out, content)
            tokens_in, tokens_out = checked.input_tokens, checked.output_tokens
            if checked.implausible:
                self._warn_usage(task_id, model, checked.note)
            cost = cfg.cost_usd(tokens_in, tokens_out)
            ledger_id = self._record(
                cfg, model, endpoint, tokens_in, tokens_out, latency, None, run_id, task_id,
                category, cost, note=checked.note,
            )  # fmt: skip
            self.sink(CostRecorded(task_id, cfg.tier, model, tokens_in, tokens_out, cost))
            return Completion(
                content=content,
                model=model,
                model_id=cfg.model_id,
                provider=cfg.provider,
                tier=cfg.tier,
                endpoint=endpoint,
                input_tokens=tokens_in,
                output_tokens=tokens_out,
                cost_usd=cost,
                latency_ms=latency,
                finish_reason=finish,
                ledger_id=ledger_id,
            )

    async def stream(
        self,
        request: CompletionRequest,
        *,
        model: str,
        run_id: str = "",
        task_id: str = "",
        category: str = "",
    ) -> AsyncGenerator[str | StreamEnd, None]:
        """`call`, streamed: the same availability, budget, endpoint choice and ledger row
        per attempt, with the deadline and idle limits of `bounded_stream`. Yields text
        pieces, then one StreamEnd with the tokens recorded: the upstream's counts when the
        adapter reported them, else ~4 characters a token (and the row says "estimated").
        Retries happen only before the first piece: what the caller has seen is final.
        Drive it to its end or `aclose()` it in the calling task, so the row of a
        cancelled stream is written in that task's context."""
        cfg = self.model(model)
        adapter = self.adapter(cfg.provider)
        limits = self.config.providers[cfg.provider]
        _import_sdk(limits.kind)
        attempt = 0
        while True:
            attempt += 1
            key = self._claim_endpoint(model, cfg, request)
            endpoint = key[1]
            started = time.perf_counter()
            pieces: list[str] = []
            end: StreamEnd | None = None
            error: ProviderError | None = None
            cancelled = False
            try:
                upstream = adapter.stream(request, cfg, endpoint)
                async for item in bounded_stream(
                    upstream, limits, provider=cfg.provider, model=cfg.model_id
                ):
                    if isinstance(item, StreamEnd):
                        end = item
                    elif item:
                        pieces.append(item)
                        yield item
            except ProviderError as exc:
                error = exc
            except (asyncio.CancelledError, GeneratorExit):
                cancelled = True
                raise
            finally:
                self._in_flight[key] -= 1
                latency = (time.perf_counter() - started) * 1000
                usage = _stream_usage(request, pieces, end, error)
                tokens_in, tokens_out, note = usage.input_tokens, usage.output_tokens, usage.note
                if usage.implausible:
                    self._warn_usage(task_id, model, note)
                if cancelled:
                    note = "cancelled by the caller; " + note
                cost = cfg.cost_usd(tokens_in, tokens_out)
                if self.ledger is not None:
                    self.ledger.record(
                        LedgerEntry(
                            provider=cfg.provider, model=model, model_id=cfg.model_id,
                            tier=cfg.tier, endpoint=endpoint, input_tokens=tokens_in,
                            output_tokens=tokens_out, cost_usd=cost,
                            latency_ms=round(latency, 3),
                            outcome="cancelled" if cancelled else
                            ("ok" if error is None else type(error).__name__),
                            run_id=run_id, task_id=task_id, category=category,
                            detail=(str(error)[:300] if error is not None else note),
                        )
                    )  # fmt: skip
            if error is None:
                self.health.succeeded(key)
                self.sink(CostRecorded(task_id, cfg.tier, model, tokens_in, tokens_out, cost))
                yield StreamEnd(tokens_in, tokens_out, end.finish_reason if end else "stop")
                return
            self.health.failed(key, error)
            self.sink(AttemptFailed(task_id, cfg.tier, model, f"{type(error).__name__}: {error}"))
            delay = self.policy.delay(attempt, error)
            if pieces or delay is None:
                raise error
            await self._sleep(delay)

    async def aclose(self) -> None:
        """Close the SDK clients opened on this event loop."""
        for adapter in self._adapters.values():
            await adapter.aclose()

    # -- helpers --------------------------------------------------------------------------
    def _quota_reason(self, provider: str) -> str:
        limit = self.config.providers[provider].requests_per_day
        if not limit or self.ledger is None:
            return ""
        used = self.ledger.requests_today(provider)
        if used >= limit:
            return f"daily quota used up ({used}/{limit} requests today)"
        return ""

    def _unavailable(self, cfg: ModelConfig, reason: str) -> ProviderError:
        where = {"provider": cfg.provider, "model": cfg.model_id}
        if reason.startswith("daily quota"):
            return QuotaExhaustedError(f"{cfg.provider}: {reason}", **where)
        return UnavailableError(f"{cfg.provider}: {reason}", **where)

    def _claim_endpoint(
        self, model: str, cfg: ModelConfig, request: CompletionRequest
    ) -> tuple[str, str]:
        """One attempt's start, shared by `call` and `stream`: the model must be usable and
        the budget allow it; the least busy endpoint is counted in flight (the caller
        releases it)."""
        verdict = self.availability(model)
        if not verdict.ok:
            raise self._unavailable(cfg, verdict.reason)
        self._check_budget(cfg, request)
        endpoint = min(verdict.endpoints, key=lambda e: self._in_flight[(cfg.provider, e)])
        key = (cfg.provider, endpoint)
        self._in_flight[key] += 1
        return key

    def _check_budget(self, cfg: ModelConfig, request: CompletionRequest) -> None:
        paid = cfg.price_input > 0 or cfg.price_output > 0
        if self.budget is not None and paid:
            estimate = cfg.cost_usd(estimate_tokens(request), request.max_tokens)
            self.budget.check(paid=True, estimated_usd=estimate)

    def _warn_usage(self, task_id: str, model: str, note: str) -> None:
        """A warning the front ends show: the ledger row holds an estimate, not the count
        the provider sent."""
        self.sink(Notice(f"{model}: {note}", level="warning", data={"task_id": task_id}))

    def _record(
        self,
        cfg: ModelConfig,
        model: str,
        endpoint: str,
        tokens_in: int,
        tokens_out: int,
        latency_ms: float,
        error: ProviderError | None,
        run_id: str,
        task_id: str,
        category: str,
        cost: float = 0.0,
        *,
        note: str = "",
    ) -> int:
        if self.ledger is None:
            return 0
        return self.ledger.record(
            LedgerEntry(
                provider=cfg.provider,
                model=model,
                model_id=cfg.model_id,
                tier=cfg.tier,
                endpoint=endpoint,
                input_tokens=tokens_in,
                output_tokens=tokens_out,
                cost_usd=cost,
                latency_ms=round(latency_ms, 3),
                outcome="ok" if error is None else type(error).__name__,
                run_id=run_id,
                task_id=task_id,
                category=category,
                detail=note if error is None else str(error)[:300],
            )
        )
