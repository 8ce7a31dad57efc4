"""The `mom` command: a Typer root app; each command group lives in its own module."""

from __future__ import annotations

import contextlib
import sys

import typer

from mom_cli import __version__
from mom_cli.cli import (
    ask_cmd,
    config_cmd,
    cost_cmd,
    doctor_cmd,
    fix_build_cmd,
    hook_cmd,
    index_cmd,
    milestone_cmd,
    models_cmd,
    run_cmd,
    serve_cmd,
    trust_cmd,
    tui_cmd,
    undo_cmd,
    validate_cmd,
)
from mom_cli.cli.help_style import MomTyper

app = MomTyper(
    name="mom",
    help=(
        "mom (Mixture of Models): a coding agent that sends each step to the cheapest model "
        "tier that passes your project's own checks.\n\n"
        "Tiers, cheapest first: rules (no model) → local → groq → deepseek → haiku → sonnet.\n"
        "Exit codes: 0 done, 1 work failed, 2 usage/config error, 3 budget stop, 130 interrupted."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for module in (
    ask_cmd,
    run_cmd,
    fix_build_cmd,
    milestone_cmd,
    validate_cmd,
    index_cmd,
    cost_cmd,
    doctor_cmd,
    models_cmd,
    config_cmd,
    hook_cmd,
    trust_cmd,
    undo_cmd,
    serve_cmd,
    tui_cmd,
):
    module.register(app)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mom {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """mom (Mixture of Models)."""
    for stream in (sys.stdout, sys.stderr):  # a model's lone surrogate must print, not crash
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors="backslashreplace")


def main() -> None:
    app()
