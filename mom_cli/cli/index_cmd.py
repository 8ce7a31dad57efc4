"""`mom index` and `mom context` as Typer commands (for --help and the usual option errors).

The work is in `mom_cli.cli.index_run`, shared with the fast entry in `mom_cli.cli.fast`,
so both ways in print the same thing and exit with the same code.
"""

from __future__ import annotations

from typing import Annotated

import typer

from mom_cli.cli.common import ConfigOption, JsonOption, RepoOption


def register(app: typer.Typer) -> None:
    """Add `index` and `context` to the root app."""

    @app.command("index")
    def index_command(
        repo: RepoOption = None,
        config: ConfigOption = None,
        json: JsonOption = False,
    ) -> None:
        """Build or refresh the code index (.mom/index.sqlite3).

        Files git ignores, vendored directories, binary and huge files are left out and
        listed. A refresh re-parses only files whose content changed.
        """
        from mom_cli.cli.index_run import run_index

        code = run_index(repo, config, json)
        if code:
            raise typer.Exit(code)

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
            typer.Option("--file", metavar="PATH", help="A file already in play (repeatable)."),
        ] = None,
        session: Annotated[
            str | None,
            typer.Option(
                "--session",
                help="Differential context: excerpts this named session was already sent "
                "(and that did not change) are only referenced. Kept in .mom/sessions/.",
            ),
        ] = None,
        repo: RepoOption = None,
        config: ConfigOption = None,
        json: JsonOption = False,
    ) -> None:
        """Show exactly what a step for QUERY would be sent, within the token budget.

        The text goes to stdout; a one-line summary (excerpts, bytes, tokens) to stderr.
        --json gives {files: [{path, score}], bytes, tokens, excerpts}.
        """
        from mom_cli.cli.index_run import run_context

        code = run_context(query, budget, summarized, in_play or (), repo, config, json, session)
        if code:
            raise typer.Exit(code)
