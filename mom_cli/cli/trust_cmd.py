"""`mom trust`: let this repository's routing.toml set the keys a cloned repo may not
(provider URLs and key variables, the commands validation runs, higher budgets, a looser
sandbox). Trust is a hash of the file: editing the file needs `mom trust` again."""

from __future__ import annotations

from typing import Annotated

import typer

from mom_cli.cli.common import (
    ConfigOption,
    JsonOption,
    RepoOption,
    cli_errors,
    console,
    escape,
    print_json,
    resolve_repo,
)
from mom_cli.errors import UsageError

RevokeOption = Annotated[
    bool, typer.Option("--revoke", help="Forget the trust given to this repo's routing.toml.")
]
StatusOption = Annotated[
    bool, typer.Option("--status", help="Say whether the repo's routing.toml is trusted.")
]


def trust_command(
    repo: RepoOption = None,
    config: ConfigOption = None,
    json_out: JsonOption = False,
    revoke: RevokeOption = False,
    status: StatusOption = False,
) -> None:
    """Trust this repository's routing.toml (as it is now) to set every key."""
    from mom_cli import trust
    from mom_cli.config import load_config

    with cli_errors(json_out):
        if revoke and status:
            raise UsageError("--revoke and --status cannot be combined")
        root = resolve_repo(repo)
        path = root / "routing.toml"
        if not path.is_file() and not revoke:
            raise UsageError(f"{path}: no repo config to trust")
        if revoke:
            done = trust.revoke(path)
            state, message = (
                "untrusted",
                (f"trust revoked for {path}" if done else f"{path} was not trusted"),
            )
        elif status:
            state = trust.trust_status(path)
            ignored = load_config(repo=root, config_path=config).ignored_keys
            message = f"{path}: {state}" + (
                f"; ignored until trusted: {', '.join(ignored)}" if ignored else ""
            )
        else:
            load_config(repo=root, config_path=config, environ={})  # refuse an invalid file
            digest = trust.trust(path)
            state, message = "trusted", f"trusted {path} (sha256 {digest[:12]}…)"
        if json_out:
            print_json({"file": str(path), "status": state, "message": message})
        else:
            console.print(escape(message))


def register(app: typer.Typer) -> None:
    """Add `mom trust` to the root app."""
    app.command("trust")(trust_command)
