"""`mom undo`: revert mom's last applied change, refusing if you changed those files since."""

from __future__ import annotations

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


def register(app: typer.Typer) -> None:
    """Add `mom undo` to the root app."""

    @app.command("undo")
    def undo(
        repo: RepoOption = None, config: ConfigOption = None, json_out: JsonOption = False
    ) -> None:
        """Revert mom's last applied change (and finish any step a crash interrupted)."""
        from mom_cli.edits.checkpoint import CheckpointStore

        with cli_errors(json_out):
            root = resolve_repo(repo)
            load(root, config)  # a broken config is reported before anything is touched
            store = CheckpointStore(root)
            recovered = store.recover_interrupted()
            record = store.undo_last() if not recovered else None
        if json_out:
            print_json(
                {
                    "undone": record.to_dict() if record else None,
                    "recovered": [r.to_dict() for r in recovered],
                }
            )
            return
        for r in recovered:
            console.print(
                f"rolled back interrupted step {r.id}: {r.summary} ({', '.join(r.paths)})"
            )
        if record is not None:
            was = " (and its commit)" if record.commit else ""
            console.print(f"undid {record.summary}{was}: restored {', '.join(record.paths)}")
