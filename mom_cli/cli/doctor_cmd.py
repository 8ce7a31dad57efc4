"""`mom doctor`: which tiers, providers, models and tools are usable here, and why not.

Exit 0 when at least one model tier works (missing cloud keys are normal); 1 when none does.
"""

from __future__ import annotations

from typing import Any

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
from mom_cli.errors import ExitCode


def _print(report: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table(title="tiers", show_lines=False)
    for col in ("tier", "usable", "models / why not"):
        table.add_column(col)
    for t in report["tiers"]:
        mark = "[green]yes[/]" if t["usable"] else "[red]no[/]"
        table.add_row(t["tier"], mark, ", ".join(t["models"]) or t["reason"])
    console.print(table)
    table = Table(title="providers")
    for col in ("provider", "kind", "usable", "why not"):
        table.add_column(col)
    for p in report["providers"]:
        mark = "[green]yes[/]" if p["usable"] else "[red]no[/]"
        table.add_row(p["provider"], p["kind"], mark, p["reason"])
    console.print(table)
    from mom_cli.service.doctor import detail_lines

    for line in detail_lines(report):
        missing = line.startswith("tools missing: ") and not line.endswith(": none")
        console.print(line, style="yellow" if missing else "", markup=False)
    verdict = "[green]ok[/]" if report["ok"] else "[red]no model tier is usable[/]"
    console.print(f"doctor: {verdict}")


def doctor(
    repo: RepoOption = None, config: ConfigOption = None, json_out: JsonOption = False
) -> None:
    """Which tiers, providers, models and tools are usable here, and exactly why not."""
    from mom_cli.service.doctor import doctor_report

    with cli_errors(json_out):
        root = resolve_repo(repo)
        cfg = load(root, config).config
        report = doctor_report(root, cfg)
        if json_out:
            print_json(report)
        else:
            _print(report)
        if not report["ok"]:
            raise typer.Exit(ExitCode.FAILED)


def register(app: typer.Typer) -> None:
    """Add `mom doctor` to the root app."""
    app.command("doctor")(doctor)
