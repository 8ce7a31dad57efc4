"""ModelSelector: pick the model (and the escalation path above it) for one step.

The rule, in one sentence: among models on the step's ladder that are usable here
(available, not cooling down, context fits, within budget) and good enough for the step
(blended affinity ≥ the need for its complexity), stay in the cheapest price band and take
the best category fit, discounted by how busy each model's endpoints are. Critical steps
go to the top usable tier. Every decision is returned as a human-readable reason.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from mom_cli.config import RULES_TIER, ModelConfig, MomConfig
from mom_cli.errors import UsageError
from mom_cli.providers.base import ModelCaller
from mom_cli.routing.ladder import Rung
from mom_cli.routing.learning import OutcomeStats

NEED = {"trivial": 0.25, "simple": 0.5, "medium": 0.7, "complex": 0.82}
OUTPUT_TOKENS = {"trivial": 80, "simple": 300, "medium": 700, "complex": 1500}
PRICE_BAND = 0.12  # log10(1 + $/M) width: models this close in price compete on fit
LOAD_PENALTY = 0.05  # affinity lost per call already in flight on the model's endpoints


@dataclass(frozen=True)
class StepProfile:
    """What the selector needs to know about a step."""

    category: str = "general"
    complexity: str = "simple"
    quality: str = "normal"
    task_type: str = "default"
    input_tokens: int = 0
    output_tokens: int = 0  # 0 = estimate from complexity

    @property
    def expected_output(self) -> int:
        return self.output_tokens or OUTPUT_TOKENS.get(self.complexity, 300)


@dataclass(frozen=True)
class Selection:
    tier: str
    model: str
    available: bool
    affinity: float
    estimated_cost_usd: float
    reasons: tuple[str, ...]
    rungs: tuple[Rung, ...]  # escalation path, chosen model first

    def to_dict(self) -> dict[str, Any]:
        return {
            "tier": self.tier,
            "model": self.model,
            "available": self.available,
            "affinity": round(self.affinity, 3),
            "estimated_cost_usd": self.estimated_cost_usd,
            "reasons": list(self.reasons),
            "escalation": [f"{r.tier}:{r.model}" for r in self.rungs],
        }


@dataclass
class _Candidate:
    name: str
    model: ModelConfig
    rank: int
    affinity: float
    score: float
    price: float  # log10(1 + blended $/M)
    note: str = ""  # why unusable; "" when usable


class ModelSelector:
    def __init__(
        self,
        config: MomConfig,
        caller: ModelCaller | None = None,
        stats: OutcomeStats | None = None,
        *,
        budget_left_usd: float | None = None,
    ) -> None:
        self.config = config
        self.caller = caller
        self.stats = stats if config.routing.learn_from_outcomes else None
        self.budget_left_usd = budget_left_usd
        self._by_tier: dict[str, list[tuple[str, ModelConfig]]] = {}
        for name, model in sorted(config.models.items()):
            self._by_tier.setdefault(model.tier, []).append((name, model))
        default = [t for t in config.ladder() if t != RULES_TIER]
        extra = sorted(
            (t for t in self._by_tier if t not in default),
            key=lambda t: max(m.price_output for _, m in self._by_tier[t]),
        )
        self.tier_order = default + extra

    def check_max_tier(self, max_tier: str | None) -> None:
        """UsageError for a `--max-tier` no ladder knows, before any work is done."""
        if max_tier is not None and max_tier != RULES_TIER and max_tier not in self.tier_order:
            known = [RULES_TIER, *self.tier_order]
            raise UsageError(f"--max-tier {max_tier}: unknown tier; known: {known}")

    def ladder_for(self, profile: StepProfile, max_tier: str | None = None) -> list[str]:
        """The step's ladder without the rules tier, capped at `max_tier` (`rules`: no
        model at all, as `mom doctor` and the README list it as the first tier)."""
        key = "critical" if profile.quality == "critical" else profile.task_type
        ladder = [t for t in self.config.ladder(key) if t != RULES_TIER]
        if max_tier is None:
            return ladder
        self.check_max_tier(max_tier)
        if max_tier == RULES_TIER:
            return []
        cap = self.tier_order.index(max_tier)
        capped = [t for t in ladder if t in self.tier_order and self.tier_order.index(t) <= cap]
        if not capped:  # e.g. the critical ladder is all above the cap: fall back to default
            capped = [t for t in self.tier_order[: cap + 1] if t in self._by_tier]
        return capped

    def estimate_cost(self, model: str, profile: StepProfile) -> float:
        return self.config.models[model].cost_usd(profile.input_tokens, profile.expected_output)

    def select(
        self,
        profile: StepProfile,
        *,
        max_tier: str | None = None,
        exclude: Collection[str] = (),
    ) -> Selection:
        ladder = self.ladder_for(profile, max_tier)
        need = NEED.get(profile.complexity, 0.5)
        cands = [
            self._evaluate(name, model, rank, profile, exclude)
            for rank, tier in enumerate(ladder)
            for name, model in self._by_tier.get(tier, [])
        ]
        usable = [c for c in cands if not c.note]
        head = f"{profile.category}/{profile.complexity}"
        reasons = [f"ladder {' → '.join(ladder) or '(empty)'}"]
        if max_tier:
            reasons.append(f"capped at --max-tier {max_tier}")
        if not usable:
            reasons += [f"{c.name}: {c.note}" for c in cands]
            best = max(cands, key=lambda c: c.affinity, default=None)
            return Selection(
                tier=best.model.tier if best else (ladder[0] if ladder else ""),
                model=best.name if best else "",
                available=False,
                affinity=best.affinity if best else 0.0,
                estimated_cost_usd=self.estimate_cost(best.name, profile) if best else 0.0,
                reasons=(f"{head}: no usable model", *reasons),
                rungs=(),
            )
        if profile.quality == "critical":
            top = max(c.rank for c in usable)
            pool = [c for c in usable if c.rank == top]
            chosen = max(pool, key=lambda c: (c.score, -c.price))
            why = f"critical quality → top usable tier {chosen.model.tier}"
        else:
            adequate = [c for c in usable if c.score >= need]
            if adequate:
                floor = min(c.price for c in adequate)
                band = [c for c in adequate if c.price <= floor + PRICE_BAND]
                chosen = max(band, key=lambda c: (round(c.score, 6), -c.rank, -c.price))
                why = f"needs fit ≥ {need:.2f}; cheapest adequate price band"
            else:
                chosen = max(usable, key=lambda c: (c.score, -c.rank))
                why = f"no usable model reaches {need:.2f}; best available"
        reasons.insert(0, f"{head}: {chosen.name} ({chosen.model.tier}), {why}")
        reasons.append(self._fit_reason(chosen, profile.category))
        reasons += [f"{c.name}: {c.note}" for c in cands if c.note]
        reasons += [
            f"{c.name}: fit {c.score:.2f} < {need:.2f}"
            for c in usable
            if c.score < need and c.rank <= chosen.rank and c is not chosen
        ]
        return Selection(
            tier=chosen.model.tier,
            model=chosen.name,
            available=True,
            affinity=chosen.affinity,
            estimated_cost_usd=self.estimate_cost(chosen.name, profile),
            reasons=tuple(reasons),
            rungs=self._rungs(chosen, usable, critical=profile.quality == "critical"),
        )

    def contenders(
        self, profile: StepProfile, n: int = 3, *, max_tier: str | None = None
    ) -> list[Rung]:
        """For compete mode: the best-fitting usable model of each tier, best n overall."""
        best: dict[str, _Candidate] = {}
        for rank, tier in enumerate(self.ladder_for(profile, max_tier)):
            for name, model in self._by_tier.get(tier, []):
                cand = self._evaluate(name, model, rank, profile, ())
                if not cand.note and (tier not in best or cand.score > best[tier].score):
                    best[tier] = cand
        ranked = sorted(best.values(), key=lambda c: (-c.score, c.price))[:n]
        return [Rung(c.model.tier, c.name) for c in ranked]

    def _evaluate(
        self,
        name: str,
        model: ModelConfig,
        rank: int,
        profile: StepProfile,
        exclude: Collection[str],
    ) -> _Candidate:
        prior = model.affinity_for(profile.category)
        affinity = self.stats.blend(name, profile.category, prior) if self.stats else prior
        price = math.log10(1.0 + (model.price_input + model.price_output) / 2.0)
        cand = _Candidate(name, model, rank, affinity, affinity, price)
        if name in exclude:
            cand.note = "excluded (cooling down or failed this run)"
            return cand
        if self.caller is not None:
            avail = self.caller.availability(name)
            if not avail.ok:
                cand.note = f"unavailable: {avail.reason or 'no reason given'}"
                return cand
            busy = self.caller.in_flight(name)
            cand.score = affinity - LOAD_PENALTY * busy
        needed = profile.input_tokens + profile.expected_output
        if needed > model.context_window:
            cand.note = f"context {needed} tokens > window {model.context_window}"
        elif self.budget_left_usd is not None and (
            model.cost_usd(profile.input_tokens, profile.expected_output) > self.budget_left_usd
        ):
            cand.note = f"estimated cost above remaining budget ${self.budget_left_usd:.4f}"
        return cand

    def _fit_reason(self, cand: _Candidate, category: str) -> str:
        text = f"{cand.name}: {category} fit {cand.score:.2f}"
        if self.stats is not None:
            ev = self.stats.evidence(cand.name, category)
            if ev.attempts:
                text += f" (learned from {ev.successes}/{ev.attempts} passes)"
        if cand.score < cand.affinity:
            text += f", {cand.affinity - cand.score:.2f} off for endpoint load"
        return text

    def _rungs(
        self, chosen: _Candidate, usable: list[_Candidate], *, critical: bool
    ) -> tuple[Rung, ...]:
        """Chosen model, same-tier alternates, then every higher usable tier, best fit first."""
        above = [c for c in usable if c is not chosen and c.rank >= chosen.rank]
        if critical:
            above = [c for c in above if c.rank == chosen.rank]
        above.sort(key=lambda c: (c.rank, -c.score, c.price))
        return tuple(Rung(c.model.tier, c.name) for c in [chosen, *above])
