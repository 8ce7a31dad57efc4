"""`mom index` and `mom context`: build the code index, and show what a step would be sent.

The index modules are imported inside the commands so `mom --help` and every other
command never pay for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

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
from mom_cli.errors import UsageError

if TYPE_CHECKING:
    from mom_cli.index.build import IndexReport

SHOW_SKIPPED = 10


def register(app: typer.Typer) -> None:
    """Add `index` and `context` to the root app."""

    @app.command("index")
    def index_command(
        repo: RepoOption = None,
        config: ConfigOption = None,
        json: JsonOption = False,
    ) -> None:
        """Build or refresh the code index (.mom/index.sqlite3)."""
        with cli_errors(json):
            root = resolve_repo(repo)
            load(root, config)
            from mom_cli.index.api import CodeIndex

            report = CodeIndex(root).refresh()
            if json:
                print_json(_report_json(report))
                return
            _print_warnings(report)
            console.print(
                f"indexed {report.files} files, {report.symbols} symbols in "
                f"{report.seconds:.2f}s ({report.parsed} parsed, {report.cache_hits} cache hits, "
                f"{report.removed} removed)"
            )

    @app.command("context")
    def context_command(
        query: Annotated[str, typer.Argument(help="The task text a step would carry.")],
        budget: Annotated[
            int | None,
            typer.Option("--budget", help="Token budget (default: context.max_context_tokens)."),
        ] = None,
        summarized: Annotated[
            bool,
            typer.Option("--summarized", help="Module list + public signatures (planning)."),
        ] = False,
        in_play: Annotated[
            list[str] | None,
            typer.Option("--file", help="A file already in play (repeatable)."),
        ] = None,
        repo: RepoOption = None,
        config: ConfigOption = None,
        json: JsonOption = False,
    ) -> None:
        """Show exactly what a step for QUERY would be sent, within the token budget."""
        with cli_errors(json):
            root = resolve_repo(repo)
            cfg = load(root, config).config
            if budget is not None and budget < 1:
                raise UsageError(f"--budget {budget}: must be a positive number of tokens")
            if summarized and not cfg.context.enable_summarized_context:
                raise UsageError("summarized context is off (context.enable_summarized_context)")
            from mom_cli.index.api import CodeIndex

            index = CodeIndex(root)
            report = index.refresh()
            result = index.context(
                query,
                budget or cfg.context.max_context_tokens,
                mode="summarized" if summarized else "targeted",
                files_in_play=in_play or (),
            )
            result.warnings[:0] = report.warnings
            if json:
                print_json(result.to_json())
                return
            for line in result.warnings:
                err_console.print(f"warning: {line}", markup=False)
            typer.echo(result.text)  # verbatim: no wrapping or markup
            err_console.print(
                f"{len(result.excerpts)} excerpts from {len(result.files)} ranked files, "
                f"{result.bytes} bytes, ~{result.tokens}/{result.budget} tokens (estimate)",
                markup=False,
            )


def _report_json(report: IndexReport) -> dict[str, object]:
    return {
        "files": report.files,
        "symbols": report.symbols,
        "parsed": report.parsed,
        "cache_hits": report.cache_hits,
        "removed": report.removed,
        "seconds": round(report.seconds, 4),
        "edges_rebuilt": report.edges_rebuilt,
        "skipped": [{"path": s.path, "reason": s.reason} for s in report.skipped],
        "partial": [{"path": s.path, "reason": s.reason} for s in report.partial],
        "warnings": report.warnings,
    }


def _print_warnings(report: IndexReport) -> None:
    for line in report.warnings:
        err_console.print(f"warning: {line}", markup=False)
    for title, items in (("skipped", report.skipped), ("partly indexed", report.partial)):
        for item in items[:SHOW_SKIPPED]:
            err_console.print(f"{title}: {item.path}: {item.reason}", markup=False)
        if len(items) > SHOW_SKIPPED:
            err_console.print(
                f"{title}: … and {len(items) - SHOW_SKIPPED} more (see --json)", markup=False
            )
