"""`undo` and `recent_runs`: what `mom undo` and the session's `/undo` both call.

Undo takes the repo lock (a run in progress here or in another process is never undone
under it), first finishes rolling back any step a crash interrupted, then reverts mom's
last run whole (edits.runs: refused if the user changed those files since) or, with
`step=True`, only its newest step. When an interrupted step was recovered, that
recovery *is* the undo; nothing more is reverted until asked again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mom_cli.service.locking import repo_lock

if TYPE_CHECKING:
    from mom_cli.edits.checkpoint import StepRecord
    from mom_cli.edits.runs import Run, RunUndo


@dataclass
class UndoOutcome:
    mode: str  # "run" | "step"
    run: RunUndo | None = None  # mode "run": what was reverted
    step: StepRecord | None = None  # mode "step": the step reverted
    recovered: list[StepRecord] = field(default_factory=list)  # interrupted steps undone
    more: bool = False  # another applied run remains (`undo` again reverts it)

    @property
    def nothing(self) -> bool:
        return self.run is None and self.step is None and not self.recovered

    def to_json(self) -> dict[str, Any]:
        undone = self.run if self.mode == "run" else self.step
        return {
            "mode": self.mode,
            "undone": undone.to_dict() if undone is not None else None,
            "recovered": [r.to_dict() for r in self.recovered],
        }


def undo(repo: Path, *, step: bool = False) -> UndoOutcome:
    """Revert mom's last run (or newest step). Raises RunUndoRefusedError (exit 1) when
    the user changed those files since, LockedError (exit 2) while a run holds the repo."""
    from mom_cli.edits.checkpoint import CheckpointStore
    from mom_cli.edits.runs import last_live_run, undo_last_run

    with repo_lock(repo, "undo"):
        store = CheckpointStore(repo)
        recovered = store.recover_interrupted()
        if step:
            record = store.undo_last() if not recovered else None
            return UndoOutcome("step", step=record, recovered=recovered)
        done = undo_last_run(store) if not recovered else None
        more = done is None and last_live_run(store) is not None
        return UndoOutcome("run", run=done, recovered=recovered, more=more)


def recent_runs(repo: Path, limit: int = 10) -> list[Run]:
    """mom's recent runs here, newest first, with their steps (changes nothing)."""
    from mom_cli.edits.checkpoint import CheckpointStore
    from mom_cli.edits.runs import recent_runs as runs_of

    return runs_of(CheckpointStore(repo), limit)
