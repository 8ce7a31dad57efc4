"""`mom models`: configured models with tier, provider, prices, context window, availability."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:  # core modules are imported inside the command: `mom --help` stays fast
    from mom_cli.config import MomConfig
    from mom_cli.providers.pool import ProviderPool


def _rows(config: MomConfig, pool: ProviderPool) -> list[dict[str, Any]]:
    from mom_cli.providers.ladder_call import model_tiers

    order = {tier: i for i, tier in enumerate(model_tiers(config))}
    rows = []
    for name, m in config.models.items():
        verdict = pool.availability(name)
        rows.append(
            {
                "model": name,
                "tier": m.tier,
                "provider": m.provider,
                "model_id": m.model_id,
                "price_input": m.price_input,
                "price_output": m.price_output,
                "context_window": m.context_window,
                "available": verdict.ok,
                "reason": verdict.reason,
            }
        )
    return sorted(rows, key=lambda r: (order.get(r["tier"], len(order)), r["model"]))


def models(
    repo: RepoOption = None, config: ConfigOption = None, json_out: JsonOption = False
) -> None:
    """Configured models, their tiers, prices (USD per million tokens) and availability."""
    from rich.table import Table

    from mom_cli.ledger.store import Ledger
    from mom_cli.providers.pool import ProviderPool

    with cli_errors(json_out):
        cfg = load(resolve_repo(repo), config).config
        rows = _rows(cfg, ProviderPool(cfg, Ledger()))
        if json_out:
            print_json({"models": rows, "ladder": cfg.ladder()})
            return
        table = Table(title="models (prices: USD per million tokens)")
        for col in (
            "tier",
            "model",
            "provider",
            "model id",
            "$ in",
            "$ out",
            "context",
            "available / why not",
        ):
            table.add_column(col, justify="right" if col.startswith(("$", "context")) else "left")
        for r in rows:
            table.add_row(
                r["tier"],
                r["model"],
                r["provider"],
                r["model_id"],
                f"{r['price_input']:.2f}",
                f"{r['price_output']:.2f}",
                f"{r['context_window']:,}",
                "[green]yes[/]" if r["available"] else f"[red]{r['reason']}[/]",
            )
        console.print(table)
        console.print(f"ladder: {' → '.join(cfg.ladder())}")


def register(app: typer.Typer) -> None:
    """Add `mom models` to the root app."""
    app.command("models")(models)
