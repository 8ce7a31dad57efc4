"""One request up the tier ladder: try a tier's usable models, escalate on failure.

Used by `mom ask` (the engine has its own validation-driven escalation). A tier is left
when none of its models is usable here (missing key, no server, quota, cooldown) or when
every usable one failed after the pool's retries; each move emits an Escalated event and
is returned, so the caller can say that it escalated and why. BudgetExceededError stops
the climb: spending more on a higher tier would be worse.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mom_cli.config import RULES_TIER, MomConfig
from mom_cli.errors import ProviderError, UnavailableError, UsageError
from mom_cli.events import Escalated, EventSink, null_sink
from mom_cli.providers.base import Completion, CompletionRequest
from mom_cli.providers.pool import ProviderPool


@dataclass(frozen=True)
class EscalationStep:
    from_tier: str
    to_tier: str
    reason: str


@dataclass(frozen=True)
class LadderResult:
    completion: Completion
    escalations: tuple[EscalationStep, ...] = ()


def tier_models(config: MomConfig, tier: str, category: str = "general") -> list[str]:
    """A tier's models, best first: highest affinity for the category, then cheapest."""
    models = config.models_in_tier(tier)
    return sorted(
        models,
        key=lambda n: (-models[n].affinity_for(category), models[n].price_output, n),
    )


def model_tiers(config: MomConfig) -> list[str]:
    """The default ladder's model tiers (no `rules`), then any other configured tier."""
    ladder = [t for t in config.ladder() if t != RULES_TIER]
    extra = sorted({m.tier for m in config.models.values()} - set(ladder))
    return ladder + extra


def first_usable_tier(pool: ProviderPool, tiers: Sequence[str]) -> str | None:
    for tier in tiers:
        if any(pool.availability(m).ok for m in tier_models(pool.config, tier)):
            return tier
    return None


def plan_ladder(
    config: MomConfig, *, tier: str | None, model: str | None, category: str = "general"
) -> list[tuple[str, list[str]]]:
    """(tier, models) rungs to try in order, starting at the model's or the given tier."""
    tiers = model_tiers(config)
    if model is not None:
        if model not in config.models:
            known = ", ".join(sorted(config.models))
            raise UsageError(f"--model {model}: not configured; known: {known}")
        tier = config.models[model].tier
    if tier is None:
        raise UsageError("no tier given")
    if tier == RULES_TIER:
        raise UsageError("tier 'rules' repairs code without a model; pick a model tier")
    if tier not in tiers:
        raise UsageError(f"--tier {tier}: unknown tier; known: {', '.join(tiers)}")
    later = tiers[tiers.index(tier) + 1 :]
    first = [model] if model is not None else tier_models(config, tier, category)
    return [(tier, first)] + [(t, tier_models(config, t, category)) for t in later]


async def complete_on_ladder(
    pool: ProviderPool,
    request: CompletionRequest,
    *,
    tier: str | None = None,
    model: str | None = None,
    sink: EventSink = null_sink,
    run_id: str = "",
    task_id: str = "",
    category: str = "",
) -> LadderResult:
    """Answer `request` on the lowest rung that works; raise if no rung does."""
    rungs = plan_ladder(pool.config, tier=tier, model=model, category=category or "general")
    steps: list[EscalationStep] = []
    failures: list[str] = []
    for index, (rung, models) in enumerate(rungs):
        reasons: list[str] = []
        for name in models:
            verdict = pool.availability(name)
            if not verdict.ok:
                reasons.append(f"{name}: {verdict.reason}")
                continue
            try:
                completion = await pool.call(
                    request, model=name, run_id=run_id, task_id=task_id, category=category
                )
            except ProviderError as exc:
                reasons.append(f"{name}: {type(exc).__name__}: {exc}")
                continue
            return LadderResult(completion, tuple(steps))
        reason = "; ".join(reasons) or "no models configured"
        failures.append(f"{rung}: {reason}")
        if index + 1 < len(rungs):
            step = EscalationStep(rung, rungs[index + 1][0], reason)
            steps.append(step)
            sink(Escalated(task_id, step.from_tier, step.to_tier, step.reason))
    raise UnavailableError("no tier could answer — " + " | ".join(failures))
