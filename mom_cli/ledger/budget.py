"""Budget checks that run before every paid call. A $0 local call is never blocked."""

from __future__ import annotations

from mom_cli.config import CostSection
from mom_cli.errors import BudgetExceededError
from mom_cli.events import EventSink, Notice, null_sink
from mom_cli.ledger.backend import LedgerStore


class BudgetGuard:
    """Warns past `warn_threshold_usd`, refuses past `stop_threshold_usd` (today's spend)."""

    def __init__(self, cost: CostSection, ledger: LedgerStore, sink: EventSink = null_sink) -> None:
        self.cost = cost
        self.ledger = ledger
        self.sink = sink
        self._warned = False

    def check(self, *, paid: bool, estimated_usd: float = 0.0) -> None:
        if not paid:
            return
        spent = self.ledger.spent_today()
        projected = spent + max(estimated_usd, 0.0)
        if projected > self.cost.stop_threshold_usd:
            raise BudgetExceededError(
                f"budget: today's spend ${spent:.4f} + this call's estimate "
                f"${estimated_usd:.4f} would pass cost.stop_threshold_usd "
                f"(${self.cost.stop_threshold_usd:.2f}); no paid call was made"
            )
        if projected > self.cost.warn_threshold_usd and not self._warned:
            self._warned = True
            self.sink(
                Notice(
                    f"budget: today's spend ${spent:.4f} is past cost.warn_threshold_usd "
                    f"(${self.cost.warn_threshold_usd:.2f}); mom stops paid calls at "
                    f"${self.cost.stop_threshold_usd:.2f}",
                    level="warning",
                )
            )
