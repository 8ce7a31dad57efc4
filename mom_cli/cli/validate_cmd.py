"""`mom validate [PATHS...] [--staged] [--json]`: the four validator stages."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mom_cli.cli.common import (
    ConfigOption,
    JsonOption,
    RepoOption,
    cli_errors,
    console,
    escape,
    load,
    print_json,
    resolve_repo,
)
from mom_cli.errors import ExitCode, UsageError

if TYPE_CHECKING:  # core modules are imported inside the command: `mom --help` stays fast
    from mom_cli.validate.lint_debt import LintDebt
    from mom_cli.validate.result import ValidationResult

SEVERITY_STYLE = {"error": "red", "warning": "yellow", "info": "cyan"}


def register(app: typer.Typer) -> None:
    """Add `mom validate` to the root app."""

    @app.command("validate")
    def validate(
        paths: Annotated[
            list[Path] | None,
            typer.Argument(help="Files to validate (default: the whole project)."),
        ] = None,
        staged: Annotated[
            bool, typer.Option("--staged", help="Validate only the staged content (as the hook).")
        ] = False,
        repo: RepoOption = None,
        config: ConfigOption = None,
        json_out: JsonOption = False,
    ) -> None:
        """Run syntax → build → tests → lint; exit 1 when a stage fails."""
        from mom_cli.validate.pipeline import validate_paths, validate_project, validate_staged

        with cli_errors(json_out):
            root = resolve_repo(repo, require_git=staged)
            cfg = load(root, config).config.validation
            if staged and paths:
                raise UsageError("--staged validates the index; do not pass PATHS with it")
            if staged:
                result = validate_staged(root, config=cfg)
            elif paths:
                result = validate_paths(root, [_inside(root, p) for p in paths], config=cfg)
            else:
                result = validate_project(root, config=cfg)
            debt = None if staged else _lint_debt(result, root)
        if json_out:
            print_json({**result.to_dict(), **({"lint_debt": debt.to_dict()} if debt else {})})
        else:
            render(result)
            if debt is not None:
                _render_debt(debt)
        if not result.passed:
            raise typer.Exit(ExitCode.FAILED)


def _lint_debt(result: ValidationResult, root: Path) -> LintDebt | None:
    from mom_cli.validate.lint_debt import lint_debt

    return lint_debt(result, root)


def _render_debt(debt: LintDebt) -> None:
    """Which part of a failing lint stage the user's uncommitted work added."""
    new = debt.findings - debt.in_head
    head = (
        f"all {debt.findings} finding(s) are already in HEAD"
        if not new
        else f"{debt.in_head} of the {debt.findings} finding(s) are already in HEAD"
    )
    yours = "none comes from your uncommitted work" if not new else f"{new} are new"
    console.print(
        f"[dim]lint: {head} (the project's lint debt); {yours}. `mom fix-build` fixes "
        "what your changes add; `mom fix-build --lint all` takes on the debt too.[/]",
        highlight=False,
    )


def _inside(root: Path, path: Path) -> str:
    absolute = path.expanduser().resolve()
    if not absolute.is_relative_to(root):
        raise UsageError(f"{path}: outside the repository {root}")
    if not absolute.exists():  # a typo must not read "validation passed"
        raise UsageError(f"{path}: no such file or directory")
    return absolute.relative_to(root).as_posix()


def render(result: ValidationResult) -> None:
    from rich.table import Table

    from mom_cli.validate.lint_baseline import is_preexisting

    if not result.stages:
        console.print("nothing to validate")
        return
    table = Table(title="mom validate", title_justify="left")
    for column in ("stage", "result", "seconds", "diagnostics", "tool"):
        table.add_column(column, justify="right" if column == "seconds" else "left")
    for stage in result.stages:
        mark = (
            "[dim]skipped[/]"
            if stage.skipped
            else ("[green]passed[/]" if stage.passed else "[bold red]FAILED[/]")
        )
        old = sum(is_preexisting(d) for d in stage.diagnostics)
        count = f"{len(stage.diagnostics) - old}" + (f" (+{old} in HEAD)" if old else "")
        # a skipped stage says why where its tool would be ("no linter configured for these files")
        why = f"[dim]({escape(stage.note)})[/]" if stage.skipped and stage.note else ""
        tool = escape(stage.tool_used) if stage.tool_used else why
        table.add_row(stage.name, mark, f"{stage.seconds:.2f}", count, tool)
    for name in result.not_run:
        table.add_row(name, "[dim]not run[/]", "", "", "(an earlier stage failed)")
    console.print(table)
    for stage in result.stages:
        shown = [d for d in stage.diagnostics if not is_preexisting(d)]
        for d in shown:
            style = SEVERITY_STYLE.get(d.severity, "white")
            code = f" [dim]\\[{escape(d.code)}][/]" if d.code else ""
            # Paths and messages are data: escaped, and no emoji codes (":100:" is a line).
            console.print(
                f"{escape(d.location())}: [{style}]{d.severity}[/] ({stage.name}) "
                f"{escape(d.message)}{code}",
                markup=True,
                highlight=False,
                emoji=False,
            )
        if hidden := len(stage.diagnostics) - len(shown):
            console.print(
                f"[dim]{stage.name}: {hidden} finding(s) already in HEAD, not counted "
                "(mom's default rules; the project has no ruff config). --json lists them.[/]",
                highlight=False,
            )
    verdict = "[bold green]passed[/]" if result.passed else "[bold red]failed[/]"
    console.print(f"validation {verdict}")
