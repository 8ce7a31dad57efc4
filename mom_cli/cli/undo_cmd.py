"""`mom undo`: revert mom's last change (the whole last run), refusing if you changed
those files since. `--step` reverts one step only; `--list` shows recent runs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from mom_cli.cli.common import (
    ConfigOption,
    JsonOption,
    RepoOption,
    cli_errors,
    console,
    load,
    print_json,
    repo_lock,
    resolve_repo,
)
from mom_cli.errors import UsageError

if TYPE_CHECKING:
    from mom_cli.edits.checkpoint import CheckpointStore, StepRecord
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
        from mom_cli.edits.checkpoint import CheckpointStore

        with cli_errors(json_out):
            if step and list_runs:
                raise UsageError("--step and --list cannot be combined")
            root = resolve_repo(repo)
            load(root, config)  # a broken config is reported before anything is touched
            store = CheckpointStore(root)
            if list_runs:
                _list(store, limit, json_out)
                return
            with repo_lock(root, "undo"):
                recovered = store.recover_interrupted()
                if step:
                    record = store.undo_last() if not recovered else None
                    _print_step(record, recovered, json_out)
                    return
                _undo_run(store, recovered, json_out)


def _undo_run(store: CheckpointStore, recovered: list[StepRecord], json_out: bool) -> None:
    from mom_cli.edits.runs import RunUndoRefusedError, last_live_run, undo_last_run

    done: RunUndo | None = None
    if not recovered:  # the interrupted step was the change to undo; the rest can follow
        try:
            done = undo_last_run(store)
        except RunUndoRefusedError as exc:
            if not json_out:
                raise
            error = {"error": str(exc), "kind": type(exc).__name__}
            print_json({**error, "run_id": exc.run_id, "files": exc.files})
            raise typer.Exit(exc.exit_code) from None
    if json_out:
        print_json(
            {
                "mode": "run",
                "undone": done.to_dict() if done else None,
                "recovered": [r.to_dict() for r in recovered],
            }
        )
        return
    _print_recovered(recovered)
    if done is not None:
        _print_run_undo(done)
    elif last_live_run(store) is not None:
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


def _print_step(record: StepRecord | None, recovered: list[StepRecord], json_out: bool) -> None:
    if json_out:
        print_json(
            {
                "mode": "step",
                "undone": record.to_dict() if record else None,
                "recovered": [r.to_dict() for r in recovered],
            }
        )
        return
    _print_recovered(recovered)
    if record is not None:
        was = " (and its commit)" if record.commit else ""
        console.print(
            f"undid step {escape(record.summary)}{was} of run {escape(record.run_id or '?')}: "
            f"restored {escape(', '.join(record.paths))}"
        )


def _print_recovered(recovered: list[StepRecord]) -> None:
    for r in recovered:
        files = escape(", ".join(r.paths))
        console.print(f"rolled back interrupted step {r.id}: {escape(r.summary)} ({files})")


def _list(store: CheckpointStore, limit: int, json_out: bool) -> None:
    from mom_cli.edits.runs import recent_runs

    runs = recent_runs(store, limit)
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
