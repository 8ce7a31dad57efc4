"""`mom hook install | uninstall [--force]`: mom's git pre-commit hook."""

from __future__ import annotations

from typing import Annotated

import typer

from mom_cli.cli.common import ConfigOption, RepoOption, cli_errors, console, load, resolve_repo
from mom_cli.cli.help_style import MomTyper

ForceOption = Annotated[
    bool, typer.Option("--force", help="Replace or remove a pre-commit hook that is not mom's.")
]

hook_app = MomTyper(help="Install or remove mom's git pre-commit hook.", no_args_is_help=True)


@hook_app.command("install")
def install(
    force: ForceOption = False, repo: RepoOption = None, config: ConfigOption = None
) -> None:
    """Validate staged content on every commit (syntax, build, lint; tests if configured)."""
    from mom_cli.hooks.install import install_hook

    with cli_errors():
        root = resolve_repo(repo, require_git=True)
        load(root, config)
        path = install_hook(root, force=force)
    console.print(f"installed {path}", markup=False)


@hook_app.command("uninstall")
def uninstall(
    force: ForceOption = False, repo: RepoOption = None, config: ConfigOption = None
) -> None:
    """Remove mom's pre-commit hook (a hook it replaced with --force is put back)."""
    from mom_cli.hooks.install import uninstall_hook

    with cli_errors():
        root = resolve_repo(repo, require_git=True)
        load(root, config)
        path, restored = uninstall_hook(root, force=force)
    restored_note = " and restored the previous hook" if restored else ""
    console.print(f"removed {path}{restored_note}", markup=False)


def register(app: typer.Typer) -> None:
    """Add the `mom hook` group to the root app."""
    app.add_typer(hook_app, name="hook")
