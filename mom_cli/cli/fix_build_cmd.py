"""`mom fix-build [--dry-run] [--max-tier T] [--json]`: make build, tests and lint pass."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

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

if TYPE_CHECKING:  # core modules are imported inside the command: `mom --help` stays fast
    from rich.status import Status

    from mom_cli.config import MomConfig
    from mom_cli.events import Event
    from mom_cli.validate.diagnostics import Diagnostic
    from mom_cli.workflows.fix_report import FixBuildResult


class _Progress:
    """Live progress on stderr from the workflow's events (stdout stays for results)."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.status: Status | None = None

    def __call__(self, event: Event) -> None:
        if self.quiet:
            return
        line = _describe(event)
        if line is None:
            return
        if self.status is not None:
            self.status.update(f"[bold]{escape(line[:110])}")
        from mom_cli.events import TaskRouted

        if not isinstance(event, TaskRouted):
            err_console.print(line, markup=False, highlight=False, soft_wrap=True)


def _describe(event: Event) -> str | None:
    from mom_cli.events import (
        AttemptFailed,
        Escalated,
        Notice,
        TaskFinished,
        TaskRouted,
        TaskStarted,
    )

    if isinstance(event, Notice):
        return f"· {event.message}"
    if isinstance(event, TaskStarted):
        return f"▶ {event.description}"
    if isinstance(event, TaskRouted):
        return f"  trying {event.tier}/{event.model} on {event.task_id}"
    if isinstance(event, AttemptFailed):
        return f"  ✗ {event.tier}/{event.model}: {event.reason[:160]}"
    if isinstance(event, Escalated):
        return f"  ↑ escalated {event.from_tier} → {event.to_tier}"
    if isinstance(event, TaskFinished):
        mark = "✓" if event.status == "passed" else "✗"
        return f"  {mark} {event.task_id}: {event.status} {event.detail[:120]}".rstrip()
    return None


def _run(
    root: Path,
    cfg: MomConfig,
    max_tier: str | None,
    dry_run: bool,
    progress: _Progress,
    lint: str = "changed",
) -> FixBuildResult:
    from mom_cli.service.fix import fix_build
    from mom_cli.service.workspace import Workspace

    result = fix_build(
        Workspace(root, cfg), sink=progress, dry_run=dry_run, max_tier=max_tier, lint=lint
    )
    assert result is not None  # only a cancel token makes it None; the CLI has none
    return result


def _summary(result: FixBuildResult, lint: str) -> None:
    from rich.table import Table

    from mom_cli.validate.failure_keys import failure_key, failure_label

    title = "fix-build plan (nothing changed)" if result.dry_run else "fix-build summary"
    table = Table(title=title, title_justify="left")
    for col in ("step", "status", "tier", "model", "attempts", "tokens", "$", "seconds"):
        numeric = col in ("attempts", "tokens", "$", "seconds")
        table.add_column(col, justify="right" if numeric else "left", no_wrap=col != "model")
    for step in result.steps:
        cost = step.estimated_cost_usd if result.dry_run else step.cost_usd
        table.add_row(
            escape(step.file),
            step.status + (" (at HEAD)" if step.preexisting else ""),
            step.tier,
            escape(step.model or "-"),
            str(len(step.attempts)),
            str(step.tokens),
            f"{'~' if result.dry_run else ''}${cost or 0:.4f}",
            f"{step.seconds:.1f}",
        )
    t = result.totals()
    table.add_section()
    table.add_row(
        "total", f"{t['fixed']}/{t['steps']} fixed", "", f"{t['fixed_by_rules']} by rules",
        str(t["rule_attempts"] + t["model_attempts"]), str(t["tokens"]),
        f"${t['cost_usd']:.4f}", f"{t['seconds']:.1f}",
    )  # fmt: skip
    console.print(table)
    if t["paid_calls"]:
        console.print(
            f"paid calls: {t['paid_calls']} (per fixed step: "
            f"{', '.join(map(str, t['paid_calls_per_fixed_step'])) or 'none fixed'}); "
            f"median input tokens per paid call: {t['median_input_tokens_per_paid_call']}"
        )
    if result.dry_run:
        console.print("[dim]$ figures in a plan are estimates; rules cost $0.[/]")
    elif result.contributions:
        from mom_cli.workflows.fix_contributions import summary_line

        console.print(f"contributions: {escape(summary_line(result.contributions))}")
    _scope_lines(result, lint)
    if result.passed:
        at_base = len({failure_label(d) for d in result.debt if d.stage == "tests"})
        but = f", apart from {at_base} test(s) already failing at the base" if at_base else ""
        console.print(
            f"[bold green]build, tests and lint pass[/]{but} (the project's own toolchain)"
        )
        if result.head is not None and result.head.note:
            console.print(f"[dim]base check: {escape(result.head.note)}[/]")
        return
    from mom_cli.validate.head_tests import PREEXISTING_LABEL

    errors = [d for d in result.remaining if d.severity == "error"]
    shown = _once_per_place(errors)
    old = sum(1 for d, _ in shown if result.preexisting(d))
    if not result.dry_run:
        console.print(
            f"[bold red]still failing:[/] {len(shown)} diagnostic(s)"
            + (f", {old} of them {_AT_HEAD}" if old else "")
        )
    for d, stages in shown[:15]:
        tag = f" ({PREEXISTING_LABEL})" if result.preexisting(d) else ""
        where = ", ".join(stages)
        console.print(f"  {d.location()}: [{where}] {d.message[:160]}{tag}", markup=False)
    nowhere = [d for d, _ in shown if not d.file and not result.preexisting(d)]
    if nowhere and not result.dry_run:
        console.print(
            f"[yellow]the tool's output named no file for {len(nowhere)} failure(s)[/], so no "
            "rule or model worked on them; the project's own command shows its full output"
        )
    # tests left alone at the base are listed by _scope_lines already
    left_alone = {failure_key(d) for d in result.debt if d.stage == "tests"}
    _head_note(result, {failure_key(d) for d in errors} | left_alone)
    for hint in result.environment:
        console.print(f"[yellow]environment:[/] {escape(hint)}")
    for need in result.needs:
        console.print(f"[yellow]next tier needed:[/] {escape(need)}")


_AT_HEAD = "already failing at the base (not caused by the recent change, nor by mom)"


def _once_per_place(diags: list[Diagnostic]) -> list[tuple[Diagnostic, list[str]]]:
    """One line per error, with every stage that reported it: a Rust compile error comes
    back from cargo check, cargo test and clippy alike, and was listed (and counted) three
    times (rapidfuzz/strsim-rs: "3 diagnostic(s)" for one misspelt name)."""
    out: dict[tuple[str, int, int, str], tuple[Diagnostic, list[str]]] = {}
    for i, d in enumerate(diags):
        key = (d.file, d.line, d.column, d.message) if d.file else ("", i, 0, d.message)
        if key not in out:
            out[key] = (d, [d.stage])
        elif d.stage not in out[key][1]:
            out[key][1].append(d.stage)
    return list(out.values())


def _scope_lines(result: FixBuildResult, lint: str) -> None:
    """What was in scope, what was left alone and why, and the user's files mom edited."""
    from mom_cli.validate.failure_keys import failure_label
    from mom_cli.workflows.fix_lint_all import sweepable
    from mom_cli.workflows.fix_scope import debt_summary

    if result.base:
        console.print(f"[dim]scope: changes since {escape(result.base)}, and the working tree[/]")
    debt = debt_summary(result.debt)
    if debt:
        hint = (
            "; `mom fix-build --lint all` applies ruff's safe fixes to it"
            if lint != "all" and sweepable(result.debt)
            else ""
        )
        console.print(
            f"[yellow]left alone (lint debt outside the changed lines):[/] {escape(debt)}{hint}"
        )
    at_base = sorted({failure_label(d) for d in result.debt if d.stage == "tests"})
    if at_base:
        console.print(f"[yellow]left alone ({len(at_base)} test(s) failing at the base too):[/]")
        for test_id in at_base[:10]:
            console.print(f"  {test_id}", markup=False)
    if result.user_files_edited:
        console.print(
            "[bold]your uncommitted files mom edited[/] (only where an in-scope failure was; "
            "your other lines are kept byte for byte): "
            + escape(", ".join(result.user_files_edited))
        )
    if result.staged_files_edited:
        files = " ".join(shlex.quote(f) for f in result.staged_files_edited)
        console.print(
            "[yellow]the fix is in the work tree only; the staged version is unchanged, "
            f"so before committing run:[/] {escape(f'git add {files}')}"
        )


def _head_note(result: FixBuildResult, shown: set[str]) -> None:
    """Tests HEAD fails that no line above names (e.g. masked by a syntax error), and why
    the HEAD check could not say."""
    head = result.head
    if head is None:
        return
    hidden = [t for t in head.failing if t not in shown]
    if hidden:
        console.print(f"[yellow]{len(hidden)} test(s) {_AT_HEAD}:[/]")
        for test_id in hidden[:10]:
            console.print(f"  {test_id}", markup=False)
    if head.note:
        console.print(f"[dim]base check: {escape(head.note)}[/]")


def register(app: typer.Typer) -> None:
    """Add `mom fix-build` to the root app."""

    @app.command("fix-build")
    def fix_build(
        dry_run: Annotated[
            bool,
            typer.Option("--dry-run", help="Show the plan and a cost estimate; touch nothing."),
        ] = False,
        max_tier: Annotated[
            str | None,
            typer.Option("--max-tier", metavar="TIER", help="Never climb above this tier."),
        ] = None,
        lint: Annotated[
            str,
            typer.Option(
                "--lint",
                metavar="changed|all",
                help="changed: lint findings on changed lines only (default); all: also "
                "apply ruff's safe fixes to the whole project's lint debt.",
            ),
        ] = "changed",
        repo: RepoOption = None,
        config: ConfigOption = None,
        json_out: JsonOption = False,
    ) -> None:
        """Make build, tests and lint pass: rules first ($0), then the model ladder."""
        with cli_errors(json_out):
            if lint not in ("changed", "all"):
                from mom_cli.errors import UsageError

                raise UsageError(f"--lint must be 'changed' or 'all', not {lint!r}")
            root = resolve_repo(repo, require_git=not dry_run)
            cfg = load(root, config).config
            progress = _Progress(quiet=json_out)
            if json_out:  # the service holds the repo lock (not on a dry run)
                result = _run(root, cfg, max_tier, dry_run, progress, lint)
            else:
                with err_console.status("fix-build", spinner="dots") as status:
                    progress.status = status
                    result = _run(root, cfg, max_tier, dry_run, progress, lint)
            if json_out:
                print_json(result.to_dict())
            else:
                _summary(result, lint)
            if dry_run:
                return
            raise typer.Exit(result.exit_code)
