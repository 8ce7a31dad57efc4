"""`mom tui [--repo PATH] [--config PATH]`: the interactive session (also plain `mom`)."""

from __future__ import annotations

import typer

from mom_cli.cli.common import ConfigOption, RepoOption


def register(app: typer.Typer) -> None:
    @app.command("tui")
    def tui(repo: RepoOption = None, config: ConfigOption = None) -> None:
        """Open the interactive session: requests, plan, diffs, review, money (Textual)."""
        from mom_cli.tui import launch

        raise typer.Exit(launch(repo, config))
