"""`mom cost`: spend per tier and model from the ledger, and savings vs all-top-tier."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

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
        by: Annotated[
            str,
            typer.Option(
                "--by",
                help="Group by 'model' (tier and model) or 'client' (the `mom serve` token id).",
            ),
        ] = "model",
        ledger_url: Annotated[
            str | None,
            typer.Option(
                "--ledger",
                help="Ledger to read: a SQLite path or postgresql://… (default: the user ledger).",
            ),
        ] = None,
        repo: RepoOption = None,
        config: ConfigOption = None,
        json_out: JsonOption = False,
    ) -> None:
        """Ledger report: calls, tokens and $ per tier and model, and savings vs all-sonnet."""
        from rich.table import Table

        from mom_cli.ledger.backend import open_ledger
        from mom_cli.ledger.report import build_report

        with cli_errors(json_out):
            if by not in ("model", "client"):
                raise UsageError(f"--by {by!r}: expected 'model' or 'client'")
            cfg = load(resolve_repo(repo), config).config
            since_ts = _parse_since(since)
            ledger, _ = open_ledger(ledger_url)
            rows = ledger.rows(since_ts)
            today = {name: ledger.requests_today(name) for name in cfg.providers}
            report = build_report(rows, cfg, today)
            if by == "client":
                _print_clients(rows, json_out, since)
                return
            if json_out:
                print_json(report.to_dict())
                return
            table = Table(
                title=f"mom cost — {getattr(ledger, 'path', '')}"
                + (f" since {since}" if since else "")
            )
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
                f"All-{report.baseline_model or 'top tier'} cost of the answered calls' "
                f"tokens: ${report.baseline_cost_usd:.4f} → savings ${report.savings_usd:.4f}"
                " (failed attempts count as spend only)"
            )
            for name in report.exhausted_providers:
                console.print(
                    f"[yellow]{name}: daily request quota used up; skipped as unavailable[/]"
                )


def _print_clients(rows: list[Any], json_out: bool, since: str | None) -> None:
    """`mom cost --by client`: spend per gateway token id (never the token)."""
    from dataclasses import asdict

    from rich.table import Table

    from mom_cli.ledger.report import by_client

    lines = by_client(rows)
    if json_out:
        print_json(
            {"clients": [asdict(ln) for ln in lines], "cost_usd": sum(ln.cost_usd for ln in lines)}
        )
        return
    table = Table(title="mom cost by client" + (f" since {since}" if since else ""))
    for col in ("client", "calls", "tokens in", "tokens out", "$", "failed"):
        table.add_column(col, justify="left" if col == "client" else "right")
    for ln in lines:
        table.add_row(
            ln.client or "(cli)",
            str(ln.calls),
            f"{ln.input_tokens:,}",
            f"{ln.output_tokens:,}",
            f"{ln.cost_usd:.4f}",
            str(ln.failures),
        )
    console.print(table)
