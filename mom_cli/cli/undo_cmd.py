"""`mom undo`: revert mom's last change (the whole last run), refusing if you changed
those files since. `--step` reverts one step only; `--list` shows recent runs."""

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
from mom_cli.errors import UsageError

if TYPE_CHECKING:
    from mom_cli.edits.checkpoint import StepRecord
    from mom_cli.edits.runs import Run, RunUndo

StepOption = Annotated[
    bool, typer.Option("--step", help="Undo only mom's newest step, not its whole last run.")
]
ListOption = Annotated[
    bool, typer.Option("--list", help="Show mom's recent runs and their steps; change nothing.")
]
LimitOption = Annotated[int, typer.Option("--limit", help="Runs shown by --list.", min=1)]


def register(app: typer.Typer) -> None:
    """Add `mom undo` to the root app."""

    @app.command("undo")
    def undo(
        repo: RepoOption = None,
        config: ConfigOption = None,
        json_out: JsonOption = False,
        step: StepOption = False,
        list_runs: ListOption = False,
        limit: LimitOption = 10,
    ) -> None:
        """Revert mom's last change: every step of its last run (and finish any step a
        crash interrupted)."""
        from mom_cli.service.undo import recent_runs

        with cli_errors(json_out):
            if step and list_runs:
                raise UsageError("--step and --list cannot be combined")
            root = resolve_repo(repo)
            load(root, config)  # a broken config is reported before anything is touched
            if list_runs:
                _list(recent_runs(root, limit), json_out)
                return
            _undo(root, step, json_out)


def _undo(root: Path, step: bool, json_out: bool) -> None:
    """The service's undo (the session's /undo calls the same), printed."""
    from mom_cli.edits.runs import RunUndoRefusedError
    from mom_cli.service.undo import undo

    try:
        outcome = undo(root, step=step)
    except RunUndoRefusedError as exc:
        if not json_out:
            raise
        error = {"error": str(exc), "kind": type(exc).__name__}
        print_json({**error, "run_id": exc.run_id, "files": exc.files})
        raise typer.Exit(exc.exit_code) from None
    if json_out:
        print_json(outcome.to_json())
        return
    _print_recovered(outcome.recovered)
    if outcome.run is not None:
        _print_run_undo(outcome.run)
    if outcome.step is not None:
        record = outcome.step
        was = " (and its commit)" if record.commit else ""
        console.print(
            f"undid step {escape(record.summary)}{was} of run {escape(record.run_id or '?')}: "
            f"restored {escape(', '.join(record.paths))}"
        )
    if outcome.more:
        console.print("run `mom undo` again to undo mom's last applied change")


def _print_run_undo(done: RunUndo) -> None:
    n = len(done.steps)
    console.print(f"undid run {escape(done.run.label())}: {n} step{'s' if n != 1 else ''}")
    for record in reversed(done.steps):  # in the order mom applied them
        console.print(f"  - {escape(record.summary)}")
    restored = [f["path"] for f in done.files if f["action"] == "restored"]
    removed = [f["path"] for f in done.files if f["action"] == "removed"]
    if restored:
        console.print(f"  restored {escape(', '.join(restored))}")
    if removed:
        them = "it" if len(removed) == 1 else "them"
        console.print(f"  removed {escape(', '.join(removed))} (mom created {them})")
    if done.commits:
        k = len(done.commits)
        console.print(f"  dropped mom's {k} commit{'s' if k != 1 else ''} from HEAD")


def _print_recovered(recovered: list[StepRecord]) -> None:
    for r in recovered:
        files = escape(", ".join(r.paths))
        console.print(f"rolled back interrupted step {r.id}: {escape(r.summary)} ({files})")


def _list(runs: list[Run], json_out: bool) -> None:
    if json_out:
        print_json({"runs": [r.to_dict() for r in runs]})
        return
    if not runs:
        console.print("mom has applied no change here")
    for run in runs:
        console.print(_run_line(run))
        for s in run.steps:
            files = escape(", ".join(s.paths))
            console.print(f"    {s.id}  {s.status:<11} {escape(s.summary)}  [dim]{files}[/]")


def _run_line(run: Run) -> str:
    n = len(run.steps)
    live = f", {len(run.live)} still applied" if run.live and run.status != "applied" else ""
    return f"[bold]{escape(run.label())}[/]  {run.status}, {n} step{'s' if n != 1 else ''}{live}"
