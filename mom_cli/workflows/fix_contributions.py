"""ContributionRecords for `mom fix-build`: who fixed what share of the broken build.

One record per (step file, tier, model) that fixed something: each rule under tier
"rules" ($0, no tokens) and each model whose edit passed. The weight is the share of the
fixed diagnostics: a validated rule attempt fixes the one diagnostic it targeted, a
passing model step fixes the diagnostics it was given. Tokens and cost are those of the
winning attempt; failed attempts cost money too, and are in the run's totals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from mom_cli.config import RULES_TIER, MomConfig
from mom_cli.engine.contributions import ContributionRecord

if TYPE_CHECKING:
    from mom_cli.workflows.fix_report import StepReport


def fix_contributions(steps: Sequence[StepReport], config: MomConfig) -> list[ContributionRecord]:
    """Records for the steps that fixed something; weights sum to 1 (none: empty list)."""
    found: list[tuple[ContributionRecord, int]] = []  # (record with weight 0, diagnostics)
    for step in steps:
        if step.status != "fixed":
            continue
        if step.tier == RULES_TIER:
            counts: dict[str, int] = {}
            for a in step.attempts:
                if a.ok and a.tier == RULES_TIER:
                    counts[a.model] = counts.get(a.model, 0) + 1
            found += [(_record(step.file, RULES_TIER, r, RULES_TIER), n) for r, n in counts.items()]
            continue
        win = next((a for a in reversed(step.attempts) if a.ok and a.tier != RULES_TIER), None)
        if win is None:
            continue
        model = config.models.get(win.model)
        record = _record(
            step.file, win.tier, win.model, model.provider if model else win.tier,
            win.endpoint, win.input_tokens, win.output_tokens, win.cost_usd,
        )  # fmt: skip
        found.append((record, max(1, len(step.diagnostics))))
    total = sum(n for _, n in found)
    return [_weighted(rec, n / total) for rec, n in found] if total else []


def _record(
    file: str,
    tier: str,
    model: str,
    provider: str,
    endpoint: str = "",
    input_tokens: int = 0,
    output_tokens: int = 0,
    cost_usd: float = 0.0,
) -> ContributionRecord:
    return ContributionRecord(
        file, model, tier, provider, endpoint, input_tokens, output_tokens, cost_usd, 0.0
    )


def _weighted(rec: ContributionRecord, weight: float) -> ContributionRecord:
    return replace(rec, weight=round(weight, 4), cost_usd=round(rec.cost_usd, 6))


def summary_line(records: Sequence[ContributionRecord]) -> str:
    """`rules/python.missing_colon 40% · local/smollm2 60% $0.0000` for the CLI summary."""
    merged: dict[tuple[str, str], list[float]] = {}
    for c in records:
        acc = merged.setdefault((c.tier, c.model), [0.0, 0.0])
        acc[0] += c.weight
        acc[1] += c.cost_usd
    parts = [
        f"{tier}/{model} {weight:.0%}" + (f" ${cost:.4f}" if tier != RULES_TIER else "")
        for (tier, model), (weight, cost) in sorted(merged.items(), key=lambda kv: -kv[1][0])
    ]
    return " · ".join(parts)
