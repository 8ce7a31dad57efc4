"""The one way tier 0 and fix-build touch files: mom's checkpointed, atomic step apply."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from mom_cli.edits.apply import apply_edits
from mom_cli.edits.blocks import EditBlock
from mom_cli.edits.checkpoint import CheckpointStore


class CheckpointApplier:
    """Applies each step with `apply_edits` (no per-step git snapshot: the run took one)."""

    def __init__(self, repo: Path, store: CheckpointStore | None = None) -> None:
        self.repo = repo
        self.store = store or CheckpointStore(repo)
        self.applied: list[str] = []

    def apply(self, blocks: Sequence[EditBlock], summary: str) -> str:
        record = apply_edits(self.repo, blocks, summary=summary, store=self.store, snapshot=False)
        self.applied.append(record.id)
        return record.id

    def rollback(self, step_id: str) -> None:
        self.store.rollback(step_id, force=True)
        if step_id in self.applied:
            self.applied.remove(step_id)
