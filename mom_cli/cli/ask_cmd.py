"""`mom ask PROMPT`: one request, answered by the cheapest usable tier (escalating on failure)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mom_cli.cli.common import (
    ConfigOption,
    JsonOption,
    RepoOption,
    cli_errors,
    console,
    err_console,
    escape,
    load,
    print_json,
    resolve_repo,
)

if TYPE_CHECKING:  # core modules are imported inside the command: `mom --help` stays fast
    from mom_cli.config import MomConfig
    from mom_cli.events import Event
    from mom_cli.providers.ladder_call import LadderResult


def _render(event: Event) -> None:
    """Progress goes to stderr, so stdout holds only the answer (or the JSON document)."""
    from mom_cli.events import AttemptFailed, Escalated, Notice

    if isinstance(event, Escalated):
        err_console.print(
            f"[yellow]escalated {event.from_tier} → {event.to_tier}:[/] {escape(event.reason)}",
            markup=True,
            highlight=False,
            soft_wrap=True,
        )
    elif isinstance(event, AttemptFailed):
        err_console.print(
            f"[dim]{escape(f'{event.tier}/{event.model} attempt failed: {event.reason}')}[/]",
            markup=True,
            highlight=False,
            soft_wrap=True,
        )
    elif isinstance(event, Notice):
        style = "yellow" if event.level == "warning" else "dim"
        err_console.print(f"[{style}]{escape(event.message)}[/]", markup=True, highlight=False)


def _category(prompt: str, config: MomConfig) -> str:
    """The analyzer's category for the ledger row, when the analyzer is there."""
    try:
        from mom_cli.routing.analyzer import analyze
    except ImportError:
        return ""
    try:
        plan = analyze(prompt, config)
    except Exception:  # the category is a nicety; never fail a question over it
        return ""
    category = getattr(plan, "category", "") or next(iter(getattr(plan, "categories", ())), "")
    return str(category or "")


def _document(result: LadderResult) -> dict[str, Any]:
    c = result.completion
    return {
        "content": c.content,
        "model": c.model,
        "provider": c.provider,
        "tier": c.tier,
        "input_tokens": c.input_tokens,
        "output_tokens": c.output_tokens,
        "cost_usd": c.cost_usd,
        "latency_ms": round(c.latency_ms, 1),
        "escalations": [
            {"from_tier": s.from_tier, "to_tier": s.to_tier, "reason": s.reason}
            for s in result.escalations
        ],
    }


def ask(
    prompt: Annotated[str, typer.Argument(help="The question or instruction.")],
    tier: Annotated[
        str | None, typer.Option("--tier", help="Start at this tier (default: cheapest usable).")
    ] = None,
    model: Annotated[
        str | None, typer.Option("--model", help="Use this configured model first.")
    ] = None,
    max_tokens: Annotated[
        int, typer.Option("--max-tokens", min=1, help="Longest answer, in tokens.")
    ] = 512,
    system: Annotated[str, typer.Option("--system", help="A system prompt.")] = "",
    repo: RepoOption = None,
    config: ConfigOption = None,
    json_out: JsonOption = False,
) -> None:
    """One routed request. Escalates up the tier ladder when a tier fails, and says so."""
    from mom_cli.service.ask import ask as ask_service
    from mom_cli.service.ask import cut_off_note
    from mom_cli.service.workspace import Workspace

    with cli_errors(json_out):
        root: Path = resolve_repo(repo)
        cfg = load(root, config).config
        result = ask_service(
            Workspace(root, cfg), prompt, sink=_render, tier=tier, model=model, system=system,
            max_tokens=max_tokens, category=_category(prompt, config=cfg),
        )  # fmt: skip
        if json_out:
            print_json(_document(result))
            return
        c = result.completion
        console.print(c.content, markup=False, highlight=False, soft_wrap=True)
        note = " (escalated)" if result.escalations else ""
        cut = cut_off_note(c)
        err_console.print(
            f"[dim]{c.tier}/{c.model}{note} · {c.input_tokens}→{c.output_tokens} tokens · "
            f"${c.cost_usd:.6f} · {c.latency_ms:.0f} ms{' · ' + cut if cut else ''}[/]",
            markup=True,
            highlight=False,
        )


def register(app: typer.Typer) -> None:
    """Add `mom ask` to the root app."""
    app.command("ask")(ask)
