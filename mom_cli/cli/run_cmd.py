"""`mom run REQUEST`: analyze → decompose → graph → route → execute → synthesize.

When the request asks for a change to the code (engine.edit_intent), the run edits the
repository: edit steps are applied, validated and rolled back on failure by a RepoEditor
(engine.edit_checker); questions stay answer-only. `--dry-run` never edits.

Progress is drawn on stderr from engine events (a live table of steps), so stdout holds
only the answer and summary, or exactly one JSON document with --json.
"""

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
    from rich.console import Group
    from rich.live import Live

    from mom_cli.config import MomConfig
    from mom_cli.engine.diagnosis import StepDiagnosis
    from mom_cli.engine.pipeline import PlannedRun, RunResult
    from mom_cli.events import Event, EventSink
    from mom_cli.providers.base import ModelCaller


def build_caller(config: MomConfig, sink: EventSink) -> tuple[ModelCaller, Any]:
    """The one place `mom run` gets its ModelCaller: the provider pool with the ledger."""
    from mom_cli.ledger.store import Ledger
    from mom_cli.providers.pool import ProviderPool

    ledger = Ledger()
    return ProviderPool(config, ledger=ledger, sink=sink), ledger


class RunProgress:
    """Event sink that keeps one row per step and redraws a rich table."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.rows: dict[str, dict[str, Any]] = {}
        self.notes: list[str] = []
        self.live: Live | None = None

    def __call__(self, event: Event) -> None:
        from mom_cli.events import (
            AttemptFailed,
            CostRecorded,
            Escalated,
            Notice,
            TaskFinished,
            TaskRouted,
            TaskStarted,
        )

        if self.quiet:
            return
        task_id = getattr(event, "task_id", "")
        row = self.rows.setdefault(task_id, {"status": "", "route": "", "cost": 0.0, "note": ""})
        if isinstance(event, TaskStarted):
            row.update(status="running", note=event.description[:60])
        elif isinstance(event, TaskRouted):
            row["route"] = f"{event.tier}/{event.model}"
        elif isinstance(event, AttemptFailed):
            row["note"] = f"failed on {event.tier}: {event.reason[:50]}"
        elif isinstance(event, Escalated):
            row["note"] = f"escalated {event.from_tier} → {event.to_tier}"
        elif isinstance(event, CostRecorded):
            row["cost"] += event.cost_usd
        elif isinstance(event, TaskFinished):
            row["status"] = event.status
            if event.detail:
                row["note"] = event.detail[:60]
        elif isinstance(event, Notice):
            self.notes.append(("⚠ " if event.level == "warning" else "") + event.message)
        if not task_id:
            self.rows.pop("", None)
        if self.live is not None:
            self.live.update(self.render())

    def render(self) -> Group:
        from rich.console import Group
        from rich.table import Table

        table = Table(box=None, show_header=True, header_style="bold")
        for col in ("step", "status", "tier/model", "$", "note"):
            table.add_column(col)
        for task_id, row in self.rows.items():  # ids, notes and reasons are model-written
            cells = (task_id, row["status"], row["route"], f"{row['cost']:.5f}", row["note"])
            table.add_row(*map(escape, cells))
        return Group(*map(escape, self.notes[-5:]), table)


def _print_plan(planned: PlannedRun) -> None:
    from rich.table import Table

    plan = planned.plan
    console.print(
        f"[bold]plan[/]: {plan.kind} · {plan.complexity} · {', '.join(plan.categories)}"
        f" · quality {plan.quality} · decomposer: {planned.decomposition.source}",
        markup=True,
        highlight=False,
    )
    table = Table(show_header=True, header_style="bold")
    for col in ("id", "category", "complexity", "depends on", "tier/model", "est $"):
        table.add_column(col)
    for tid in planned.graph.topological_order():
        task, sel = planned.graph.tasks[tid], planned.selections[tid]
        route = f"{sel.tier}/{sel.model}" if sel.model else "-"
        route += "" if sel.available else (" (unavailable)" if sel.model else " (no usable model)")
        deps = ", ".join(task.all_upstream()) or "-"
        cost = f"{sel.estimated_cost_usd:.5f}"
        table.add_row(tid, task.category, task.complexity, deps, route, cost)
    console.print(table)
    for tid, sel in planned.selections.items():
        console.print(f"[dim]{tid}: " + escape("; ".join(sel.reasons[:4])) + "[/]")
    for warning in planned.decomposition.warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
    est = planned.estimate
    console.print(
        f"estimated: {est.calls} calls, ~{est.input_tokens}+{est.output_tokens} tokens,"
        f" ~${est.cost_usd:.5f} (estimate)",
        highlight=False,
    )


def _print_result(result: RunResult) -> None:
    from rich.table import Table

    console.print(result.answer or "(no answer)", markup=False, highlight=False)
    table = Table(title="contributions", show_header=True, header_style="bold")
    for col in ("step", "tier/model", "endpoint", "tokens in/out", "$", "weight"):
        table.add_column(col)
    for c in result.contributions:
        table.add_row(
            c.subtask_id,
            f"{c.tier}/{c.model}",
            c.endpoint,
            f"{c.input_tokens}/{c.output_tokens}",
            f"{c.cost_usd:.5f}",
            f"{c.weight:.2f}",
        )
    if result.contributions:  # a run that failed before any answer has nothing to credit
        err_console.print(table)
    t = result.totals
    err_console.print(
        f"{result.status}: {t.calls} calls, {t.input_tokens}+{t.output_tokens} tokens,"
        f" ${t.cost_usd:.5f} · run {result.run_id}",
        highlight=False,
    )


def execute_run(
    config: MomConfig,
    repo: Path,
    request: str,
    *,
    dry_run: bool,
    max_tier: str | None,
    json_mode: bool,
) -> int:
    """The service layer runs it (service.run); this renders its events and result."""
    from contextlib import nullcontext

    from mom_cli.service.run import run_request
    from mom_cli.service.workspace import Workspace

    progress = RunProgress(quiet=json_mode)
    live: Any = nullcontext()
    if not json_mode and not dry_run:
        from rich.live import Live

        live = Live(progress.render(), console=err_console, transient=False)
    with live:
        progress.live = live if not json_mode and not dry_run else None
        outcome = run_request(
            Workspace(repo, config),
            request,
            sink=progress,
            dry_run=dry_run,
            max_tier=max_tier,
            caller_factory=lambda cfg, sink: build_caller(cfg, sink),
        )
    progress.live = None
    if dry_run:
        assert outcome.planned is not None
        print_json(outcome.planned.to_json()) if json_mode else _print_plan(outcome.planned)
        return 0
    if outcome.result is None:
        err_console.print("[yellow]interrupted[/]")
        return outcome.exit_code
    if json_mode:
        print_json(outcome.document)
    else:
        _print_result(outcome.result)
        _print_edits(outcome.document, outcome.diagnoses)
    return outcome.result.exit_code


def _print_edits(document: dict[str, Any], diagnoses: list[StepDiagnosis]) -> None:
    from rich.table import Table

    table = Table(title="steps", show_header=True, header_style="bold")
    for col in ("step", "status", "tier/model", "attempts", "changed files"):
        table.add_column(col)
    for sub in document["subtasks"]:
        route = f"{sub['tier']}/{sub['model']}" if sub["model"] else "-"
        files = ", ".join(sub["changed_files"]) or "-"
        cells = (sub["id"], sub["status"], route, str(sub["attempts"]), files)
        table.add_row(*map(escape, cells))
    err_console.print(table)
    edits = document.get("edits")
    if edits is not None:
        changed = ", ".join(edits["changed_files"]) or "nothing"
        console.print(f"changed (validated, uncommitted unless configured): {escape(changed)}")
    for diagnosis in diagnoses:
        for line in diagnosis.lines():
            console.print(line, markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    """Add `mom run` to the root app."""

    @app.command("run")
    def run(
        request: Annotated[str, typer.Argument(help="What to do, in plain words.")],
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Show plan, graph, routes and estimated cost.")
        ] = False,
        max_tier: Annotated[
            str | None,
            typer.Option("--max-tier", metavar="TIER", help="Never route above this tier."),
        ] = None,
        json_out: JsonOption = False,
        repo: RepoOption = None,
        config: ConfigOption = None,
    ) -> None:
        """Analyze a request, split it into steps, run each on the cheapest adequate model."""
        with cli_errors(json_out):
            repo_path = resolve_repo(repo)
            cfg = load(repo_path, config).config
            code = execute_run(
                cfg, repo_path, request, dry_run=dry_run, max_tier=max_tier, json_mode=json_out
            )
        raise typer.Exit(code)
