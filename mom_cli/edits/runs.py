"""Runs: the steps one mom command applied, listed and undone together.

A user thinks of "mom's last change" as the last command's changes: a fix-build that fixed
four rules is one change, not four. So `mom undo` reverts a whole run, all-or-nothing:
every file is checked against what mom wrote *before* anything is touched (one file the
user changed since refuses the whole undo), and mom's commits of the run are dropped only
when they are still the newest commits on HEAD. Steps are then restored newest first, so
each step's files hold exactly what that step wrote when its turn comes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from mom_cli.edits.checkpoint import CheckpointStore, StepRecord, UndoRefusedError
from mom_cli.edits.fileio import read_bytes, sha256

LIVE = ("applied", "committed")


class RunUndoRefusedError(UndoRefusedError):
    """Undoing a run would overwrite the user's work or history; nothing was changed."""

    def __init__(self, message: str, *, run_id: str, files: list[str] | None = None) -> None:
        super().__init__(message)
        self.run_id = run_id
        self.files = files or []


@dataclass
class Run:
    """Every step recorded under one run id, oldest first."""

    run_id: str
    command: str
    steps: list[StepRecord]

    @property
    def started(self) -> float:
        return self.steps[0].created

    @property
    def live(self) -> list[StepRecord]:
        """Steps still applied (or committed): what an undo would revert."""
        return [s for s in self.steps if s.status in LIVE]

    @property
    def status(self) -> str:
        statuses = {s.status for s in self.steps}
        if "applying" in statuses:
            return "in progress"
        live = self.live
        if not live:
            return "undone" if "undone" in statuses else "rolled back"
        if "undone" in statuses:
            return "partly undone"
        return "committed" if all(s.status == "committed" for s in live) else "applied"

    @property
    def paths(self) -> list[str]:
        return list(dict.fromkeys(p for s in self.steps for p in s.paths))

    def label(self) -> str:
        """ "fix-build-1a2b (fix-build, 2025-01-02 10:11:12)" for messages."""
        return f"{self.run_id} ({self.command or 'mom'}, {format_time(self.started)})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "command": self.command,
            "started": self.started,
            "status": self.status,
            "live_steps": len(self.live),
            "paths": self.paths,
            "steps": [s.to_dict() for s in self.steps],
        }


@dataclass
class RunUndo:
    """What `undo_last_run` reverted."""

    run: Run
    steps: list[StepRecord]  # newest first, now "undone"
    files: list[dict[str, str]] = field(default_factory=list)  # {path, action}
    commits: list[str] = field(default_factory=list)  # dropped from HEAD, newest first

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run.run_id,
            "command": self.run.command,
            "started": self.run.started,
            "steps": [s.to_dict() for s in self.steps],
            "files": self.files,
            "commits": self.commits,
        }


def format_time(stamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(stamp))


def group_runs(steps: list[StepRecord]) -> list[Run]:
    """Runs in order of their first step. A step from before runs existed is its own run."""
    runs: dict[str, Run] = {}
    for step in sorted(steps, key=lambda s: (s.created, s.id)):
        key = step.run_id or step.id
        if key not in runs:
            runs[key] = Run(key, step.command, [])
        runs[key].steps.append(step)
    return list(runs.values())


def recent_runs(store: CheckpointStore, limit: int = 10) -> list[Run]:
    """The newest `limit` runs, newest first."""
    return list(reversed(group_runs(store.steps())))[: max(limit, 0)]


def last_live_run(store: CheckpointStore) -> Run | None:
    """The run of mom's newest still-applied step (what plain `mom undo` reverts)."""
    runs = group_runs(store.steps())
    live = [(max(s.created for s in r.live), n) for n, r in enumerate(runs) if r.live]
    return runs[max(live)[1]] if live else None


def undo_last_run(store: CheckpointStore) -> RunUndo:
    """Revert every still-applied step of the newest run, or refuse and change nothing."""
    with store.locked():
        run = last_live_run(store)
        if run is None:
            raise UndoRefusedError("nothing to undo: mom has no applied change here")
        busy = [s for s in run.steps if s.status == "applying"]
        if busy:
            raise RunUndoRefusedError(
                f"refusing to undo run {run.label()}: step {busy[0].id} is still being "
                f"applied by process {busy[0].pid}; wait for it to finish",
                run_id=run.run_id,
            )
        steps = sorted(run.live, key=lambda s: (s.created, s.id), reverse=True)
        changed = changed_files(store, steps)
        if changed:
            raise RunUndoRefusedError(
                f"refusing to undo run {run.label()}: you changed "
                f"{', '.join(changed)} since mom wrote {'it' if len(changed) == 1 else 'them'}; "
                "nothing was changed",
                run_id=run.run_id,
                files=changed,
            )
        commits = _check_commits(store, run, steps)
        if commits:
            _drop_commits(store, steps, commits)
        for record in steps:  # newest first; each is saved, so a crash here can resume
            store.restore_files(record)
            record.status = "undone"
            store.save(record)
        return RunUndo(run, steps, _file_actions(steps), commits)


def changed_files(store: CheckpointStore, newest_first: list[StepRecord]) -> list[str]:
    """Files whose bytes now differ from what the run's steps wrote.

    Replays the undo on hashes only: a file must hold what the newest step touching it
    wrote, and each older step must find what the newer one started from. So a file the
    user changed *between* two of mom's steps is caught too, before anything is written."""
    state: dict[str, str | None] = {}
    changed: list[str] = []
    for record in newest_first:
        for f in record.files:
            if f.path not in state:
                state[f.path] = sha256(read_bytes(store.repo / f.path))
            if state[f.path] != (f.after_sha256 or None) and f.path not in changed:
                changed.append(f.path)
            state[f.path] = f.before_sha256
    return changed


def _check_commits(store: CheckpointStore, run: Run, steps: list[StepRecord]) -> list[str]:
    """The run's commits, newest first, when they are exactly the newest commits on HEAD."""
    mine = {s.commit for s in steps if s.status == "committed" and s.commit}
    if not mine:
        return []
    git = store.git
    top: list[str] = []
    if git is not None and store.head():
        top = git.rev_list("--first-parent", "-n", str(len(mine)), "HEAD").split()
    if set(top) != mine:
        short = " ".join(sorted(c[:10] for c in mine))
        raise RunUndoRefusedError(
            f"refusing to undo run {run.label()}: mom's commits ({short}) are no longer "
            "the newest commits on HEAD (something was committed or rewritten since); "
            f"revert them with `git revert {short}` instead. Nothing was changed.",
            run_id=run.run_id,
        )
    try:
        git.rev_parse("--verify", "-q", f"{top[-1]}^")
    except Exception:
        raise RunUndoRefusedError(
            f"refusing to undo run {run.label()}: mom's commit {top[-1][:10]} is the "
            "repository's first commit; nothing was changed",
            run_id=run.run_id,
        ) from None
    return top


def _drop_commits(store: CheckpointStore, steps: list[StepRecord], commits: list[str]) -> None:
    """Move HEAD back past mom's commits; their files leave the index as they were."""
    git = store.git
    git.update_ref("HEAD", f"{commits[-1]}^", commits[0])
    paths = list(dict.fromkeys(p for s in steps if s.status == "committed" for p in s.paths))
    git.reset("-q", "HEAD", "--", *paths)


def _file_actions(newest_first: list[StepRecord]) -> list[dict[str, str]]:
    """Per file: "restored" to the user's bytes, or "removed" (mom created it)."""
    first: dict[str, bool] = {}
    for record in reversed(newest_first):
        for f in record.files:
            first.setdefault(f.path, f.existed)
    return [{"path": p, "action": "restored" if e else "removed"} for p, e in first.items()]
