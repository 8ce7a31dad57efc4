"""`mom cost`: spend per tier and model from the ledger, and savings vs all-top-tier."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from mom_cli.cli.common import (
    ConfigOption,
    JsonOption,
    RepoOption,
    cli_errors,
    console,
    load,
    print_json,
    resolve_repo,
)
from mom_cli.errors import UsageError


def _parse_since(value: str | None) -> float | None:
    if not value:
        return None
    if value == "today":
        return datetime.now().replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        raise UsageError(f"--since {value!r}: expected a date like 2026-11-01 or 'today'") from None


def register(app: typer.Typer) -> None:
    @app.command("cost")
    def cost(
        since: Annotated[
            str | None, typer.Option("--since", help="Only calls on or after DATE (YYYY-MM-DD).")
        ] = None,
        repo: RepoOption = None,
        config: ConfigOption = None,
        json_out: JsonOption = False,
    ) -> None:
        """Ledger report: calls, tokens and $ per tier and model, and savings vs all-sonnet."""
        from rich.table import Table

        from mom_cli.ledger.store import Ledger
        from mom_cli.service.info import cost as cost_report

        with cli_errors(json_out):
            cfg = load(resolve_repo(repo), config).config
            since_ts = _parse_since(since)
            ledger = Ledger()
            report = cost_report(cfg, since_ts, ledger)
            if json_out:
                print_json(report.to_dict())
                return
            table = Table(title=f"mom cost — {ledger.path}" + (f" since {since}" if since else ""))
            for col in (
                "tier",
                "model",
                "calls",
                "share",
                "tokens in",
                "tokens out",
                "$",
                "failed",
            ):
                table.add_column(col, justify="left" if col in ("tier", "model") else "right")
            for ln in report.lines:
                table.add_row(
                    ln.tier,
                    ln.model,
                    str(ln.calls),
                    f"{ln.share_of_calls:.0%}",
                    f"{ln.input_tokens:,}",
                    f"{ln.output_tokens:,}",
                    f"{ln.cost_usd:.4f}",
                    str(ln.failures),
                )
            table.add_section()
            table.add_row(
                "total",
                "",
                str(report.calls),
                "100%" if report.calls else "0%",
                f"{report.input_tokens:,}",
                f"{report.output_tokens:,}",
                f"{report.cost_usd:.4f}",
                "",
            )
            console.print(table)
            console.print(
                f"All-{report.baseline_model or 'top tier'} cost of the same tokens: "
                f"${report.baseline_cost_usd:.4f} → savings ${report.savings_usd:.4f}"
            )
            for name in report.exhausted_providers:
                console.print(
                    f"[yellow]{name}: daily request quota used up; skipped as unavailable[/]"
                )
