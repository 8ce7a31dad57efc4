"""`mom milestone N`: carry a plan-file milestone to validated code, item by item."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

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
from mom_cli.errors import ExitCode

if TYPE_CHECKING:  # core modules are imported inside the command: `mom --help` stays fast
    from rich.table import Table

    from mom_cli.config import MomConfig
    from mom_cli.events import Event
    from mom_cli.service.workspace import Workspace
    from mom_cli.workflows.milestone.report import RunReport
    from mom_cli.workflows.milestone.runner import StalePolicy

_STYLE = {"validated": "green", "done": "green", "failed": "red", "skipped": "yellow"}


class Progress:
    """Live item table fed by engine events (the core never prints)."""

    def __init__(self, enabled: bool) -> None:
        from rich.live import Live

        self.rows: dict[int, dict[str, str]] = {}
        self.notes: list[str] = []
        self.live = (
            Live(self._table(), console=err_console, refresh_per_second=4, transient=True)
            if enabled
            else None
        )

    def __call__(self, event: Event) -> None:
        from mom_cli.events import (
            AttemptFailed,
            Escalated,
            Notice,
            TaskFinished,
            TaskRouted,
            TaskStarted,
        )

        if isinstance(event, Notice):
            self.notes.append(event.message)
            if self.live is not None:
                self.live.console.print(f"[dim]{escape(event.message)}[/]")
            return
        task = getattr(event, "task_id", "")
        index = _index(task)
        if index is None:
            return
        row = self.rows.setdefault(index, {"status": "", "tier": "", "note": ""})
        if isinstance(event, TaskStarted):
            row.update(status="running", note=event.description[:60])
        elif isinstance(event, TaskRouted):
            row.update(tier=f"{event.tier} ({event.model})")
        elif isinstance(event, AttemptFailed):
            row.update(note=f"failed on {event.tier}")
        elif isinstance(event, Escalated):
            row.update(note=f"escalating {event.from_tier} → {event.to_tier}")
        elif isinstance(event, TaskFinished):
            row.update(status=event.status, note=event.detail[:80])
        if self.live is not None:
            self.live.update(self._table())

    def _table(self) -> Table:
        from rich.table import Table

        table = Table("item", "status", "tier", "", box=None)
        for index, row in sorted(self.rows.items()):
            table.add_row(str(index), row["status"], row["tier"], escape(row["note"]))
        return table


def _index(task_id: str) -> int | None:
    tail = task_id.rsplit(".", 1)[-1]
    return int(tail) if tail.isdigit() else None


def render(report: RunReport) -> None:
    from rich.table import Table

    kind = "plan (dry run)" if report.dry_run else "run " + report.run_id
    table = Table(title=f"Milestone {report.milestone}: {report.title} — {kind}")
    for col in ("#", "item", "status", "tier", "model", "tries", "tokens", "$", "s"):
        table.add_column(col, justify="right" if col in ("tries", "tokens", "$", "s") else "left")
    for it in report.items:
        deps = f" (after {', '.join(map(str, it.depends_on))})" if it.depends_on else ""
        style = _STYLE.get(it.status, "")
        table.add_row(
            str(it.index),
            escape(it.text[:60] + deps),
            f"[{style}]{it.status}[/]" if style else it.status,
            it.tier + (" +rules" if it.helped_by else ""),
            it.model,
            str(it.attempts),
            f"{it.tokens_in + it.tokens_out:,}",
            f"{it.cost_usd:.4f}",
            f"{it.seconds:.1f}",
        )
    console.print(table)
    for it in report.items:
        if it.diagnosis:
            console.print(f"  item {it.index}: {escape(it.diagnosis)}", soft_wrap=True)
    for note in report.notes:
        console.print(f"[dim]{escape(note)}[/]")
    t = report.totals
    est = " (estimate)" if t.estimated else ""
    console.print(
        f"escalation rate {t.escalation_rate:.0%} · handled locally {t.local_handling_rate:.0%}"
        f" · tokens {t.tokens_in + t.tokens_out:,} · spent ${t.cost_usd:.4f}{est} · "
        f"all-{t.baseline_model or 'top-tier'} ${t.baseline_cost_usd:.4f} → savings "
        f"${t.savings_usd:.4f}{est}"
    )


def _run(
    ws: Workspace,
    number: int,
    stale: StalePolicy,
    test_first: bool,
    json_out: bool,
    progress: Progress,
) -> RunReport:
    from mom_cli.service.milestone import milestone
    from mom_cli.workflows.milestone.runner import StaleRunError

    try:
        return milestone(ws, number, sink=progress, stale=stale, test_first=test_first)
    except StaleRunError as exc:
        if json_out or not sys.stdin.isatty():
            raise
        if progress.live is not None:
            progress.live.stop()  # a prompt under a live display would be overdrawn
        err_console.print(f"[yellow]{escape(str(exc))}[/]")
        choice = typer.confirm(
            "Resume it? (no = roll back its unfinished item, start over)", default=True
        )
        policy: StalePolicy = "resume" if choice else "discard"
        return milestone(ws, number, sink=progress, stale=policy, test_first=test_first)


def register(app: typer.Typer) -> None:
    @app.command("milestone")
    def milestone(
        number: Annotated[int, typer.Argument(help="Milestone number in MILESTONES.md.")],
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Show checklist, graph, tiers, est. cost.")
        ] = False,
        resume: Annotated[
            bool, typer.Option("--resume", help="Continue an interrupted run of N.")
        ] = False,
        test_first: Annotated[
            bool, typer.Option("--test-first", help="Generate failing tests before each item.")
        ] = False,
        repo: RepoOption = None,
        config: ConfigOption = None,
        json_out: JsonOption = False,
    ) -> None:
        """Checklist-driven milestone: every item routed, validated, checked off."""
        from mom_cli.service.milestone import milestone as plan_milestone
        from mom_cli.service.workspace import Workspace

        with cli_errors(json_out):
            root: Path = resolve_repo(repo)
            cfg: MomConfig = load(root, config).config
            ws = Workspace(root, cfg)
            progress = Progress(enabled=not json_out and not dry_run)
            stale: StalePolicy = "resume" if resume else "error"
            if dry_run:
                report = plan_milestone(ws, number, sink=progress, dry_run=True)
            elif progress.live is not None:
                with progress.live:
                    report = _run(ws, number, stale, test_first, json_out, progress)
            else:
                report = _run(ws, number, stale, test_first, json_out, progress)
            if json_out:
                print_json(report.to_dict())
            else:
                render(report)
            if not report.ok:
                raise typer.Exit(ExitCode.FAILED)
