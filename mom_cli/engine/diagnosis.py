"""Why a failed step stopped, and what would let it go further.

When a step's climb ends without success the user needs three things: what still fails,
what was tried, and which tier (or key) would be needed next. The last one comes from the
provider layer's own availability verdicts ("GROQ_API_KEY not set"), so the advice is
exactly what `mom doctor` would say.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from mom_cli.config import MomConfig
from mom_cli.engine.pipeline import Pipeline, RunResult
from mom_cli.providers.base import ModelCaller
from mom_cli.routing.ladder import ClimbResult

_KEY_MISSING = re.compile(r"^([A-Z][A-Z0-9_]*) not set$")


@dataclass
class StepDiagnosis:
    task_id: str
    still_failing: list[str]
    tried: list[str]  # "tier/model: outcome"
    needs: str
    stopped: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "still_failing": self.still_failing,
            "tried": self.tried,
            "needs": self.needs,
            "stopped": self.stopped,
        }

    def lines(self) -> list[str]:
        out = [f"{self.task_id}: failed ({self.stopped or 'check failed'})"]
        out += [f"  tried {t}" for t in self.tried]
        out += [f"  still failing: {d}" for d in self.still_failing[:8]]
        out.append(f"  next: {self.needs}")
        return out


def next_needed(
    config: MomConfig,
    caller: ModelCaller | None,
    ladder: Sequence[str],
    tried_tiers: Collection[str],
    *,
    max_tier: str | None = None,
    max_retries: int | None = None,
) -> str:
    """The first tier above the highest one tried, and what it lacks here."""
    tried = [ladder.index(t) for t in tried_tiers if t in ladder]
    start = max(tried) + 1 if tried else 0
    for tier in ladder[start:]:
        models = sorted(config.models_in_tier(tier))
        if not models:
            return f"{tier}: no model configured for this tier in routing.toml"
        if caller is None:
            return f"{tier}: no model caller"
        verdicts = {m: caller.availability(m) for m in models}
        if any(v.ok for v in verdicts.values()):
            retries = f"routing.max_retries={max_retries}" if max_retries is not None else ""
            return f"{tier}: usable but not reached ({retries or 'retry limit'}); raise the limit"
        return f"{tier}: " + "; ".join(_advice(m, verdicts[m].reason) for m in models)
    if max_tier:
        return f"a tier above --max-tier {max_tier}"
    return "nothing: the whole ladder was tried; narrow the request or make the change by hand"


def diagnose(
    task_id: str,
    climbed: ClimbResult,
    config: MomConfig,
    caller: ModelCaller | None,
    ladder: Sequence[str],
    *,
    max_tier: str | None = None,
) -> StepDiagnosis:
    """The diagnosis of one failed step."""
    texts = [
        f"{a.tier}/{a.model}: {'passed' if a.ok else (a.error or 'check failed')}"
        for a in climbed.attempts
    ]
    runs = [(text, len(list(group))) for text, group in groupby(texts)]  # free retries
    tried = [f"{text} ×{n}" if n > 1 else text for text, n in runs]
    last = climbed.final
    return StepDiagnosis(
        task_id=task_id,
        still_failing=list(last.diagnostics) if last else [],
        tried=tried,
        needs=next_needed(
            config,
            caller,
            ladder,
            {a.tier for a in climbed.attempts},
            max_tier=max_tier,
            max_retries=config.routing.max_retries,
        ),
        stopped=climbed.stopped,
    )


def _advice(model: str, reason: str) -> str:
    match = _KEY_MISSING.match(reason.strip())
    if match:
        return f"set {match.group(1)} ({model})"
    return f"{model}: {reason or 'unavailable'}"


def diagnose_failures(pipeline: Pipeline, result: RunResult) -> list[StepDiagnosis]:
    """A diagnosis for every step whose climb ended without success."""
    planned = result.planned
    out = []
    for task_id in planned.graph.topological_order():
        climbed = result.climbs.get(task_id)
        if climbed is None or climbed.ok:
            continue
        task = planned.graph.tasks[task_id]
        ladder = pipeline.selector.ladder_for(
            pipeline.profile(planned.graph, task), planned.max_tier
        )
        out.append(
            diagnose(
                task_id,
                climbed,
                pipeline.config,
                pipeline.meter,
                ladder,
                max_tier=planned.max_tier,
            )  # fmt: skip
        )
    return out
