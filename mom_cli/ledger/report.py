"""The `mom cost` report, computed from ledger rows only (no estimates)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass

from mom_cli.config import MomConfig
from mom_cli.ledger.store import OK_OUTCOMES, LedgerRow


@dataclass
class CostLine:
    tier: str
    model: str
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    failures: int = 0
    share_of_calls: float = 0.0


@dataclass
class CostReport:
    lines: list[CostLine]
    calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: float
    baseline_model: str
    # The tokens of the calls that answered (outcome ok/validated) at the top tier's prices:
    # a failed cheap attempt saved nothing, it only cost, so it counts in `cost_usd` alone.
    baseline_cost_usd: float
    savings_usd: float
    exhausted_providers: list[str]

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class ClientLine:
    client: str  # the gateway client's id ("" = calls made outside `mom serve`)
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    failures: int = 0


def by_client(rows: list[LedgerRow]) -> list[ClientLine]:
    """Spend per gateway client id, biggest spender first."""
    grouped: dict[str, ClientLine] = {}
    for row in rows:
        client = getattr(row, "client", "")
        line = grouped.setdefault(client, ClientLine(client))
        line.calls += 1
        line.input_tokens += row.input_tokens
        line.output_tokens += row.output_tokens
        line.cost_usd += row.cost_usd
        line.failures += row.outcome not in OK_OUTCOMES
    return sorted(grouped.values(), key=lambda ln: (-ln.cost_usd, ln.client))


def answered_tokens(rows: list[LedgerRow]) -> tuple[int, int]:
    """Input and output tokens of the calls that answered (ok/validated): what savings are
    priced on, since a failed cheap attempt saved nothing, it only cost."""
    answered = [r for r in rows if r.outcome in OK_OUTCOMES]
    return sum(r.input_tokens for r in answered), sum(r.output_tokens for r in answered)


def build_report(
    rows: list[LedgerRow], config: MomConfig, requests_today: dict[str, int] | None = None
) -> CostReport:
    grouped: dict[tuple[str, str], CostLine] = defaultdict(lambda: CostLine("", ""))
    for row in rows:
        line = grouped[(row.tier, row.model)]
        line.tier, line.model = row.tier, row.model
        line.calls += 1
        line.input_tokens += row.input_tokens
        line.output_tokens += row.output_tokens
        line.cost_usd += row.cost_usd
        line.failures += row.outcome not in OK_OUTCOMES
    total_calls = len(rows)
    ladder = config.ladder()
    order = {tier: i for i, tier in enumerate(ladder)}
    lines = sorted(grouped.values(), key=lambda ln: (order.get(ln.tier, len(order)), ln.model))
    for line in lines:
        line.share_of_calls = line.calls / total_calls if total_calls else 0.0
    top = config.top_tier_model()
    tokens_in = sum(r.input_tokens for r in rows)
    tokens_out = sum(r.output_tokens for r in rows)
    spent = sum(r.cost_usd for r in rows)
    baseline = top.cost_usd(*answered_tokens(rows)) if top else 0.0
    exhausted = [
        name
        for name, provider in config.providers.items()
        if provider.requests_per_day
        and (requests_today or {}).get(name, 0) >= provider.requests_per_day
    ]
    return CostReport(
        lines=lines,
        calls=total_calls,
        input_tokens=tokens_in,
        output_tokens=tokens_out,
        cost_usd=spent,
        baseline_model=top.model_id if top else "",
        baseline_cost_usd=baseline,
        savings_usd=baseline - spent,
        exhausted_providers=exhausted,
    )
