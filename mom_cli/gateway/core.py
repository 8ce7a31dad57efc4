"""The gateway's one door into mom's core: config, provider pool, router, compete, ledger.

Everything the HTTP layer needs is a method here, in core types, so the lead can later
point these methods at the service layer (issue 14) without touching the HTTP code.
Strategies by model name: `mom` routes (analyzer → selector → escalate on provider
errors, empty or truncated answers), `mom-compete` fans out and lets a critic merge,
any configured model passes straight through. All of them go through the pool, so every
upstream call is budget-checked, retried by mom's policy and written to the ledger.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from mom_cli.config import MomConfig
from mom_cli.engine.compete import CompeteResult, compete
from mom_cli.errors import ProviderError, UnavailableError
from mom_cli.gateway.metrics import Metrics
from mom_cli.gateway.scope import (
    RequestScope,
    ReservingBudget,
    ScopedLedger,
    current_scope,
)
from mom_cli.gateway.streaming import Piece, stream_answer
from mom_cli.ledger.backend import open_ledger
from mom_cli.ledger.store import LedgerEntry
from mom_cli.ledger.writer import LedgerWriter
from mom_cli.providers.base import Completion, CompletionRequest
from mom_cli.providers.pool import ProviderPool, estimate_tokens
from mom_cli.providers.retry import RetryPolicy
from mom_cli.routing.analyzer import analyze
from mom_cli.routing.ladder import Rung
from mom_cli.routing.selector import ModelSelector, StepProfile

CRITIC_CHECK_SYSTEM = (
    "You review another assistant's answer. Be strict about correctness, lenient about style. "
    "Start your reply with PASS or FAIL."
)
ROUTED = "mom"
COMPETE = "mom-compete"


@dataclass
class Answer:
    """One finished chat request, whatever the strategy."""

    text: str
    finish_reason: str
    strategy: str  # "mom" | "compete" | "direct"
    final: Completion | None
    tiers: list[str]
    models: list[str]
    escalations: list[dict[str, str]] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)


class GatewayCore:
    def __init__(
        self,
        config: MomConfig,
        ledger_url: str | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        policy: RetryPolicy | None = None,
        metrics: Metrics | None = None,
        batch_ledger: bool = True,
    ) -> None:
        self.config = config
        self.metrics = metrics or Metrics()
        store, reservations = open_ledger(ledger_url)
        writer = LedgerWriter(store, reservations) if batch_ledger else None
        self.ledger = ScopedLedger(store, reservations, self._observe, writer)
        self.pool = ProviderPool(
            config,
            self.ledger,
            policy=policy,
            environ=environ,
            raw_http=config.gateway.upstream_client == "raw",
        )
        slowest = max((p.timeout for p in config.providers.values()), default=60.0)
        ttl = 2 * slowest * self.pool.policy.max_attempts + 60
        self.pool.budget = ReservingBudget(config.cost, self.ledger, reservations, ttl)

    def warm_up(self) -> None:
        """Import the SDKs and the analyzer now: a first request should not wait seconds
        for imports while holding the event loop (embedded models still load lazily)."""
        import importlib

        sdks = {"openai_compat": "openai", "groq": "groq", "anthropic": "anthropic",
                "ollama": "ollama"}  # fmt: skip
        used = {self.config.providers[m.provider].kind for m in self.config.models.values()}
        for kind in sorted(used):
            if kind in sdks:
                try:
                    importlib.import_module(sdks[kind])
                except ImportError:
                    continue
        self.profile(CompletionRequest.from_prompt("warm up"))

    # -- bookkeeping -----------------------------------------------------------------------
    def _observe(self, entry: LedgerEntry) -> None:
        m = self.metrics
        labels = {"tier": entry.tier, "model": entry.model}
        m.inc("mom_gateway_upstream_calls_total", outcome=entry.outcome, **labels)
        m.observe("mom_gateway_upstream_seconds", entry.latency_ms / 1000, **labels)
        m.inc("mom_gateway_tokens_total", entry.input_tokens, direction="in", **labels)
        m.inc("mom_gateway_tokens_total", entry.output_tokens, direction="out", **labels)
        m.inc("mom_gateway_cost_usd_total", entry.cost_usd, **labels)

    def open_scope(self, client: str, budget_usd: float) -> RequestScope:
        scope = RequestScope(client, budget_usd)
        current_scope.set(scope)
        return scope

    async def settle_scope(self, scope: RequestScope) -> None:
        """The request's ledger rows are committed (await before its last byte)."""
        await self.ledger.settle(scope)

    def close_scope(self, scope: RequestScope) -> None:
        self.ledger.release_open(scope)

    def model_names(self) -> list[str]:
        return [ROUTED, COMPETE, *sorted(self.config.models)]

    def knows(self, model: str) -> bool:
        return model in (ROUTED, COMPETE) or model in self.config.models

    # -- routing ---------------------------------------------------------------------------
    def profile(self, request: CompletionRequest) -> StepProfile:
        prompt = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
        plan = analyze(prompt[:20000], self.config)
        return StepProfile(
            category=plan.category,
            complexity=plan.complexity,
            quality=plan.quality,
            task_type=plan.task_type,
            input_tokens=estimate_tokens(request),
            output_tokens=request.max_tokens,
        )

    def rungs(self, request: CompletionRequest) -> tuple[list[Rung], str]:
        profile = self.profile(request)
        selection = ModelSelector(self.config, self.pool).select(profile)
        if not selection.available or not selection.rungs:
            raise UnavailableError(
                "no model is usable for this request: " + "; ".join(selection.reasons[:4])
            )
        return list(selection.rungs), profile.category

    # -- non-streaming ---------------------------------------------------------------------
    async def answer(
        self,
        model: str,
        request: CompletionRequest,
        *,
        client_max: bool,
        critic_check: bool = False,
    ) -> Answer:
        if model == COMPETE:
            return await self._compete(request)
        if model == ROUTED:
            rungs, category = self.rungs(request)
            critic = self._checker(rungs) if critic_check else None
            return await self._routed(
                request, rungs, category, client_max=client_max, critic=critic
            )
        cfg = self.pool.model(model)
        completion = await self.pool.call(request, model=model)
        return Answer(
            completion.content, completion.finish_reason, "direct", completion, [cfg.tier], [model]
        )

    async def _routed(
        self,
        request: CompletionRequest,
        rungs: list[Rung],
        category: str,
        *,
        client_max: bool,
        critic: str | None = None,
    ) -> Answer:
        escalations: list[dict[str, str]] = []
        tried: list[str] = []
        last: Completion | None = None
        checked = False
        for index, rung in enumerate(rungs):
            tried.append(rung.model)
            reason = ""
            try:
                completion = await self.pool.call(request, model=rung.model, category=category)
            except ProviderError as exc:
                reason = f"{type(exc).__name__}: {exc}"
            else:
                last = completion
                if not completion.content.strip():
                    reason = "empty answer"
                elif completion.finish_reason == "length" and not client_max:
                    reason = "truncated answer (finish_reason=length)"
                elif critic and critic != rung.model:
                    checked = True
                    reason = await self._critic_verdict(critic, request, completion)
                if not reason:
                    return self._routed_answer(completion, tried, escalations, checked, critic)
            if index + 1 < len(rungs):
                nxt = rungs[index + 1]
                escalations.append(
                    {
                        "from": f"{rung.tier}/{rung.model}",
                        "to": f"{nxt.tier}/{nxt.model}",
                        "reason": reason[:300],
                    }
                )
            elif last is not None:
                return self._routed_answer(last, tried, escalations, checked, critic)
            else:
                raise UnavailableError(f"every tier failed; last: {reason}")
        raise UnavailableError("no model to try")

    def _checker(self, rungs: list[Rung]) -> str | None:
        """The model that vets routed answers: gateway.critic, else the strongest usable."""
        if self.config.gateway.critic:
            return self.config.gateway.critic
        profile = StepProfile(quality="critical")
        pick = ModelSelector(self.config, self.pool).select(profile)
        return pick.model if pick.available else (rungs[-1].model if rungs else None)

    async def _critic_verdict(
        self, critic: str, request: CompletionRequest, answer: Completion
    ) -> str:
        """ "" when the critic passes the answer, else why it failed it (escalate)."""
        prompt = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
        check = CompletionRequest.from_prompt(
            f"Request:\n{prompt}\n\nAnswer:\n{answer.content}\n\nDoes the answer correctly "
            "and completely satisfy the request? Reply PASS or FAIL, then one short reason.",
            system=CRITIC_CHECK_SYSTEM,
            max_tokens=64,
        )
        try:
            verdict = await self.pool.call(check, model=critic, category="critic")
        except ProviderError:  # no verdict: keep the answer rather than fail it
            return ""
        text = verdict.content.strip()
        if text.upper().startswith("FAIL"):
            return f"critic {critic}: {text[:200]}"
        return ""

    def _routed_answer(
        self,
        c: Completion,
        tried: list[str],
        escalations: list[dict[str, str]],
        checked: bool = False,
        critic: str | None = None,
    ) -> Answer:
        tiers = [self.config.models[m].tier for m in tried]
        models = tried + ([critic] if checked and critic else [])
        meta = {"tier": c.tier, "model": c.model, "escalations": escalations,
                "critic": critic if checked else None}  # fmt: skip
        return Answer(c.content, c.finish_reason, "mom", c, tiers, models, escalations, meta)

    def contenders(self, request: CompletionRequest) -> tuple[list[Rung], str | None, str]:
        """The critic is the strongest usable model (or gateway.critic); the N best-fitting
        other tiers answer. With a single usable model there is no critic: it answers."""
        profile = self.profile(request)
        selector = ModelSelector(self.config, self.pool)
        critic: str | None = self.config.gateway.critic or None
        if critic is None:
            pick = selector.select(replace(profile, quality="critical"))
            critic = pick.model if pick.available else None
        n = self.config.gateway.compete_models
        rungs = [r for r in selector.contenders(profile, n + 1) if r.model != critic][:n]
        if not rungs and critic is not None:
            rungs, critic = [Rung(self.config.models[critic].tier, critic)], None
        if not rungs:
            raise UnavailableError("mom-compete: no model is usable here")
        return rungs, critic, profile.category

    async def _compete(self, request: CompletionRequest) -> Answer:
        rungs, critic, category = self.contenders(request)
        result = await compete(request, rungs, self.pool, category=category, critic=critic)
        if result.winner is None:
            errors = "; ".join(e.error for e in result.entries if e.error) or "empty answers"
            raise UnavailableError(f"mom-compete: no model answered ({errors})")
        records = contribution_records(result)
        models = [e.rung.model for e in result.entries]
        if result.critic is not None:
            models.append(result.critic.model)
        tiers = [self.config.models[m].tier for m in models]
        meta = {
            "method": result.method,
            "critic": critic if result.critic else None,
            "contributions": records,
        }
        return Answer(
            result.text,
            result.winner.finish_reason,
            "compete",
            result.winner,
            tiers,
            models,
            [],
            meta,
        )

    # -- streaming -------------------------------------------------------------------------
    def stream(self, model: str, request: CompletionRequest) -> AsyncGenerator[Piece, None]:
        """StreamStart, text pieces, StreamEnd (see streaming.py)."""
        return stream_answer(self, model, request)

    async def aclose(self) -> None:
        await self.pool.aclose()

    def close(self) -> None:
        self.ledger.close()


def contribution_records(result: CompeteResult) -> list[dict[str, Any]]:
    """Who shaped the answer: every fan-out answer (with its error, if any) and the critic;
    weights by output tokens over the completions that reached the result (sum to 1)."""
    used = result.contributors
    total = sum(max(c.output_tokens, 1) for c in used) or 1
    records: list[dict[str, Any]] = []
    for entry in result.entries:
        c = entry.completion
        records.append(
            {
                "role": "answer",
                "model": entry.rung.model,
                "tier": entry.rung.tier,
                "provider": c.provider if c else "",
                "input_tokens": c.input_tokens if c else 0,
                "output_tokens": c.output_tokens if c else 0,
                "cost_usd": c.cost_usd if c else 0.0,
                "score": round(entry.score, 4),
                "error": entry.error,
                "weight": round(max(c.output_tokens, 1) / total, 4) if c and c in used else 0.0,
            }
        )
    if result.critic is not None:
        c = result.critic
        records.append(
            {
                "role": "critic",
                "model": c.model,
                "tier": c.tier,
                "provider": c.provider,
                "input_tokens": c.input_tokens,
                "output_tokens": c.output_tokens,
                "cost_usd": c.cost_usd,
                "score": 0.0,
                "error": "",
                "weight": round(max(c.output_tokens, 1) / total, 4),
            }
        )
    return records
