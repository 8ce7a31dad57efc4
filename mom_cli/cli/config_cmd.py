"""`mom config show | path | set KEY VALUE`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mom_cli.cli.common import (
    ConfigOption,
    JsonOption,
    RepoOption,
    cli_errors,
    console,
    load,
    print_json,
    resolve_repo,
)
from mom_cli.cli.help_style import MomTyper
from mom_cli.paths import user_config_file


def register(app: typer.Typer) -> None:
    group = MomTyper(
        help="Show, locate or change configuration (routing.toml layers).",
        no_args_is_help=True,
    )
    app.add_typer(group, name="config")

    @group.command("show")
    def show(
        repo: RepoOption = None, config: ConfigOption = None, json_out: JsonOption = False
    ) -> None:
        """Print the effective configuration after every layer is merged."""
        with cli_errors(json_out):
            loaded = load(resolve_repo(repo), config)
            import tomli_w

            data = loaded.config.model_dump(mode="json")
            if json_out:
                print_json({"sources": loaded.sources, "config": data})
                return
            console.print(f"# layers: {' → '.join(loaded.sources)}", markup=False)
            console.print(tomli_w.dumps(data), markup=False)

    @group.command("path")
    def path(
        repo: RepoOption = None, config: ConfigOption = None, json_out: JsonOption = False
    ) -> None:
        """List the config files mom reads, in order, and whether each exists."""
        with cli_errors(json_out):
            root = resolve_repo(repo)
            candidates = [("user", config or user_config_file()), ("repo", root / "routing.toml")]
            rows = [{"layer": k, "path": str(p), "exists": p.is_file()} for k, p in candidates]
            if json_out:
                print_json({"files": rows})
                return
            console.print("packaged default  (built in)", markup=False)
            for row in rows:
                state = "exists" if row["exists"] else "not present"
                console.print(f"{row['layer']:<17} {row['path']}  ({state})", markup=False)
            console.print(
                "environment       MOM_SECTION__KEY variables, e.g. MOM_COST__DAILY_BUDGET_USD=3"
            )

    @group.command("set")
    def set_(
        key: Annotated[str, typer.Argument(help="SECTION.KEY, e.g. cost.daily_budget_usd")],
        value: Annotated[str, typer.Argument(help='A TOML value: 3, true, "text", ["a"]')],
        repo_file: Annotated[
            bool,
            typer.Option(
                "--repo-file", help="Write the repo's routing.toml instead of the user file."
            ),
        ] = False,
        repo: RepoOption = None,
        config: ConfigOption = None,
    ) -> None:
        """Set one key in the user config (or the repo's, with --repo-file); other keys are kept."""
        from mom_cli.config import set_key

        with cli_errors():
            target: Path = (
                (resolve_repo(repo) / "routing.toml")
                if repo_file
                else (config or user_config_file())
            )
            stored = set_key(target, key, value)
            console.print(f"{target}: {key} = {stored!r}", markup=False)
