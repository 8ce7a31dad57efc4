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
from rich.markup import escape

from mom_cli.cli.common import (
    ConfigOption,
    JsonOption,
    RepoOption,
    cli_errors,
    console,
    err_console,
    load,
    print_json,
    resolve_repo,
)
from mom_cli.paths import repo_state_dir

if TYPE_CHECKING:  # core modules are imported inside the command: `mom --help` stays fast
    from rich.console import Group
    from rich.live import Live

    from mom_cli.config import MomConfig
    from mom_cli.engine.diagnosis import StepDiagnosis
    from mom_cli.engine.edit_checker import RepoEditor
    from mom_cli.engine.edit_prompt import IndexContext
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
        for task_id, row in self.rows.items():
            table.add_row(task_id, row["status"], row["route"], f"{row['cost']:.5f}", row["note"])
        return Group(*self.notes[-5:], table)


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
        route = f"{sel.tier}/{sel.model}" + ("" if sel.available else " (unavailable)")
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
    err_console.print(table)
    t = result.totals
    err_console.print(
        f"{result.status}: {t.calls} calls, {t.input_tokens}+{t.output_tokens} tokens,"
        f" ${t.cost_usd:.5f} · run {result.run_id}",
        highlight=False,
    )


async def execute_run(
    config: MomConfig,
    repo: Path,
    request: str,
    *,
    dry_run: bool,
    max_tier: str | None,
    json_mode: bool,
) -> int:
    from mom_cli.engine.contributions import write_run_record
    from mom_cli.engine.diagnosis import diagnose_failures
    from mom_cli.engine.edit_checker import RepoEditor
    from mom_cli.engine.edit_prompt import IndexContext
    from mom_cli.engine.pipeline import Pipeline
    from mom_cli.routing.learning import OutcomeStats
    from mom_cli.routing.outcome_store import OutcomeStore

    progress = RunProgress(quiet=json_mode)
    caller, ledger = build_caller(config, progress)
    store = OutcomeStore()
    index = IndexContext(repo)
    editor = RepoEditor(repo, config, sink=progress, context=index, ledger=ledger)
    pipeline = Pipeline(
        config,
        caller,
        sink=progress,
        stats=OutcomeStats.from_sources(store),
        outcome_store=store,
        checker=editor.check,
        prompter=editor.prompt,
    )
    try:
        planned = await pipeline.plan(request, max_tier=max_tier)
        if dry_run:
            print_json(planned.to_json()) if json_mode else _print_plan(planned)
            return 0
        if editor.activate(request, planned.plan):
            await _prepare_edits(editor, index, config, caller, pipeline.run_id)
        if json_mode:
            result = await pipeline.execute(planned)
        else:
            from rich.live import Live

            with Live(progress.render(), console=err_console, transient=False) as live:
                progress.live = live
                result = await pipeline.execute(planned)
            progress.live = None
    finally:
        store.close()
        aclose = getattr(caller, "aclose", None)
        if aclose is not None:
            await aclose()
    document = result.to_json()
    _totals_from_ledger(ledger, result.run_id, document)
    diagnoses = diagnose_failures(pipeline, result)
    _add_steps(document, result, editor, diagnoses)
    write_run_record(
        repo_state_dir(repo) / "runs",
        result.run_id,
        {**document, "run_id": result.run_id, "request": request, "answer": result.answer},
    )
    if json_mode:
        print_json(document)
    else:
        _print_result(result)
        _print_edits(document, diagnoses)
    return result.exit_code


async def _prepare_edits(
    editor: RepoEditor, index: IndexContext, config: MomConfig, caller: Any, run_id: str
) -> None:
    """Recover a crashed run's half-applied step, warm the code index, set up review."""
    import asyncio

    from mom_cli.events import Notice

    editor.run_id = run_id  # rule repairs of this run's edits are ledgered under it
    await asyncio.to_thread(editor.prepare)
    if not await asyncio.to_thread(index.refresh):
        editor.sink(Notice(index.warning, level="warning"))
    if config.validation.local_model_review:
        from mom_cli.providers.review import local_reviewer

        loop = asyncio.get_running_loop()
        editor.reviewer = local_reviewer(config, caller, loop=loop, run_id=run_id)
        if editor.reviewer is None:
            editor.sink(Notice("local_model_review is on but no local model is usable", "warning"))


def _add_steps(
    document: dict[str, Any], result: RunResult, editor: RepoEditor, diagnoses: list[StepDiagnosis]
) -> None:
    """Per-step status, attempts and changed files; the edit summary and diagnosis."""
    report = result.report
    for sub in document["subtasks"]:
        tid = sub["id"]
        climbed = result.climbs.get(tid)
        sub["status"] = report.status.get(tid, "") if report is not None else result.status
        sub["attempts"] = len(climbed.attempts) if climbed else 0
        step = editor.steps.get(tid)
        if step is not None and step.status == "satisfied":  # an earlier step made the change
            sub["status"] = "satisfied"
        sub["changed_files"] = step.changed_files if step and step.status != "failed" else []
    if editor.active:
        document["edits"] = {
            "changed_files": editor.changed_files,
            "snapshot": editor.snapshot_ref,
            "steps": {tid: s.to_dict() for tid, s in editor.steps.items()},
        }
    if diagnoses:
        document["diagnosis"] = [d.to_dict() for d in diagnoses]


def _print_edits(document: dict[str, Any], diagnoses: list[StepDiagnosis]) -> None:
    from rich.table import Table

    table = Table(title="steps", show_header=True, header_style="bold")
    for col in ("step", "status", "tier/model", "attempts", "changed files"):
        table.add_column(col)
    for sub in document["subtasks"]:
        route = f"{sub['tier']}/{sub['model']}" if sub["model"] else "-"
        files = ", ".join(sub["changed_files"]) or "-"
        table.add_row(sub["id"], sub["status"], route, str(sub["attempts"]), files)
    err_console.print(table)
    edits = document.get("edits")
    if edits is not None:
        changed = ", ".join(edits["changed_files"]) or "nothing"
        console.print(f"changed (validated, uncommitted unless configured): {changed}")
    for diagnosis in diagnoses:
        for line in diagnosis.lines():
            console.print(line, markup=False, highlight=False)


def _totals_from_ledger(ledger: Any, run_id: str, document: dict[str, Any]) -> None:
    """Printed figures come from the ledger when it has this run's rows."""
    rows = ledger.rows(run_id=run_id) if ledger is not None and hasattr(ledger, "rows") else []
    rows = [r for r in rows if r.tier != "rules"]  # rule repairs: $0 and not model calls
    if rows:
        totals = document["totals"]
        totals["input_tokens"] = sum(r.input_tokens for r in rows)
        totals["output_tokens"] = sum(r.output_tokens for r in rows)
        totals["cost_usd"] = round(sum(r.cost_usd for r in rows), 6)
        totals["calls"] = len(rows)


def register(app: typer.Typer) -> None:
    """Add `mom run` to the root app."""

    @app.command("run")
    def run(
        request: Annotated[str, typer.Argument(help="What to do, in plain words.")],
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Show plan, graph, routes and estimated cost.")
        ] = False,
        max_tier: Annotated[
            str | None, typer.Option("--max-tier", help="Never route above this tier.")
        ] = None,
        json_out: JsonOption = False,
        repo: RepoOption = None,
        config: ConfigOption = None,
    ) -> None:
        """Analyze a request, split it into steps, run each on the cheapest adequate model."""
        import asyncio

        with cli_errors(json_out):
            repo_path = resolve_repo(repo)
            cfg = load(repo_path, config).config
            code = asyncio.run(
                execute_run(
                    cfg, repo_path, request, dry_run=dry_run, max_tier=max_tier, json_mode=json_out
                )
            )
        raise typer.Exit(code)
