"""The money and tiers header: today's spend vs the budget, savings vs the top tier (both
from the ledger) and which tiers are usable here (the doctor data).

Two rows that never wrap (mom.tcss): at 80 columns the spend line wrapped onto the second
row and pushed the tiers off the bar. What matters most comes first on each row (spend and
a budget warning; a running command and how to cancel it), so a narrow terminal cuts the
savings and the tier list, not those."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static

from mom_cli.service.info import Money


class MoneyBar(Static):
    def __init__(self, repo_name: str, **kwargs: Any) -> None:
        super().__init__("", **kwargs)
        self.repo_name = repo_name
        self.money: Money | None = None
        self.tiers: list[dict[str, Any]] = []
        self.busy = ""

    def show(
        self,
        money: Money | None = None,
        tiers: list[dict[str, Any]] | None = None,
        busy: str | None = None,
    ) -> None:
        if money is not None:
            self.money = money
        if tiers is not None:
            self.tiers = tiers
        if busy is not None:
            self.busy = busy
        self.set_class(self.money is not None and self.money.level == "warn", "warn")
        self.set_class(self.money is not None and self.money.level == "stop", "stop")
        self.update(self.render_text())

    def render_text(self) -> Text:
        text = Text()
        text.append(" mom ", style="bold reverse")
        text.append(f" {self.repo_name} ")
        m = self.money
        if m is None:
            text.append(" spend: …")
        else:
            text.append(f" today ${m.spent_today_usd:.4f} / ${m.daily_budget_usd:.2f}")
            if m.level == "warn":
                text.append(f"  ⚠ past warn ${m.warn_threshold_usd:.2f}", style="bold yellow")
            elif m.level == "stop":
                text.append(f"  ■ stop at ${m.stop_threshold_usd:.2f}", style="bold red")
            text.append(f" · saved {usd(m.savings_today_usd)} vs {m.baseline_model or 'top tier'}")
        text.append("\n")
        if self.busy:
            text.append(f" [{self.busy}] ", style="bold cyan")
        text.append(" tiers: ")
        for t in self.tiers:
            ok = bool(t.get("usable"))
            text.append(f"{t['tier']}{'✓' if ok else '✗'} ", style="green" if ok else "dim red")
        return text

    def why_not(self) -> list[str]:
        return [f"{t['tier']}: {t['reason']}" for t in self.tiers if not t.get("usable")]


def usd(amount: float) -> str:
    """-$0.0028, not $-0.0028: savings go negative when calls that failed validation
    (paid for, saved nothing) outweigh the ones that answered."""
    return f"{'-' if amount < 0 else ''}${abs(amount):.4f}"
