"""Review mode: a validated change stays on disk, held, until the user accepts or rejects it.

Accept keeps the bytes mom wrote (the checkpoint stays, so `mom undo` still reverts the
run); reject rolls the step back through its checkpoint (edits.checkpoint), which refuses
when the user changed those files since. `HeldChange.diff()` is the step's change as a
unified diff, from the checkpoint's saved `before` bytes to what mom wrote.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mom_cli.edits.checkpoint import CheckpointStore, StepRecord


@dataclass(frozen=True)
class Decision:
    record_id: str
    action: str  # "accepted" | "rejected" | "refused"
    message: str


def _store(repo: Path) -> CheckpointStore:
    from mom_cli.edits.checkpoint import CheckpointStore

    return CheckpointStore(repo)


def step_diff(repo: Path, record_id: str) -> str:
    """Unified diff of one step: saved before-bytes → the file as it is now."""
    store = _store(repo)
    record = store.load(record_id)
    return diff_of(store, record)


def diff_of(store: CheckpointStore, record: StepRecord) -> str:
    folder = store.steps_dir / record.id / "before"
    out: list[str] = []
    for f in record.files:
        before = (folder / f.blob).read_bytes() if f.existed and f.blob else b""
        target = store.repo / f.path
        after = target.read_bytes() if target.is_file() else b""
        old = f"a/{f.path}" if f.existed else "/dev/null"
        out += difflib.unified_diff(
            before.decode("utf-8", "replace").splitlines(keepends=True),
            after.decode("utf-8", "replace").splitlines(keepends=True),
            old,
            f"b/{f.path}",
        )
    return "".join(line if line.endswith("\n") else line + "\n" for line in out)


def accept(repo: Path, record_id: str) -> Decision:
    """Keep the change. Nothing on disk moves."""
    record = _store(repo).load(record_id)
    return Decision(record_id, "accepted", f"kept {', '.join(record.paths)}")


def reject(repo: Path, record_id: str) -> Decision:
    """Roll the change back to the exact bytes before it (refused if changed since)."""
    from mom_cli.errors import MomError

    store = _store(repo)
    try:
        record = store.rollback(record_id)
    except MomError as exc:
        return Decision(record_id, "refused", str(exc))
    return Decision(record_id, "rejected", f"rolled back {', '.join(record.paths)}")


def reject_all(repo: Path, record_ids: list[str]) -> list[Decision]:
    """Reject each change, newest first (a later step may build on an earlier one)."""
    return [reject(repo, rid) for rid in reversed(record_ids)]


def accept_all(repo: Path, record_ids: list[str]) -> list[Decision]:
    return [accept(repo, rid) for rid in record_ids]
