"""Read-only services: cost (the ledger report), money (today's spend vs the budget), and
the context preview (what a step would be sent). Nothing here writes to the repository."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mom_cli.config import MomConfig
    from mom_cli.ledger.report import CostReport
    from mom_cli.ledger.store import Ledger


def cost(config: MomConfig, since_ts: float | None = None, ledger: Ledger | None = None) -> Any:
    """The `mom cost` report: calls, tokens, $ per tier/model and savings vs the top tier."""
    from mom_cli.ledger.report import build_report
    from mom_cli.ledger.store import Ledger

    ledger = ledger or Ledger()
    rows = ledger.rows(since_ts)
    today = {name: ledger.requests_today(name) for name in config.providers}
    report: CostReport = build_report(rows, config, today)
    return report


@dataclass(frozen=True)
class Money:
    """Today's spend against the budget, from the ledger (never an estimate)."""

    spent_today_usd: float
    daily_budget_usd: float
    warn_threshold_usd: float
    stop_threshold_usd: float
    savings_today_usd: float
    baseline_model: str
    calls_today: int

    @property
    def level(self) -> str:
        """ "ok" | "warn" (past warn_threshold) | "stop" (at or past stop_threshold)."""
        if self.spent_today_usd >= self.stop_threshold_usd:
            return "stop"
        if self.spent_today_usd > self.warn_threshold_usd:
            return "warn"
        return "ok"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "level": self.level}


def money(config: MomConfig, ledger: Ledger | None = None) -> Money:
    from mom_cli.ledger.store import start_of_today

    report = cost(config, start_of_today(), ledger)
    c = config.cost
    return Money(
        spent_today_usd=round(report.cost_usd, 6),
        daily_budget_usd=c.daily_budget_usd,
        warn_threshold_usd=c.warn_threshold_usd,
        stop_threshold_usd=c.stop_threshold_usd,
        savings_today_usd=round(report.savings_usd, 6),
        baseline_model=report.baseline_model,
        calls_today=report.calls,
    )
