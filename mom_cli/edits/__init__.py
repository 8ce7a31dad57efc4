"""Edits: parse a model's edit blocks, apply them inside the repo, checkpoint and undo.

Public API (see each module's docstring for the why):
    parse_edit_blocks(text) -> list[EditBlock]          edits.parse
    EDIT_FORMAT_PROMPT, format_edit_blocks(blocks)       edits.parse
    plan_edits(repo, blocks) -> list[PlannedChange]      edits.apply (dry run)
    apply_edits(repo, blocks, summary=..., store=...)    edits.apply -> StepRecord
    CheckpointStore(repo): snapshot, restore_snapshot, rollback, undo_last,
                           recover_interrupted, commit_step     edits.checkpoint
    CheckpointStore.begin_run(run_id, command): group a command's steps into one run
    commit_if_configured(store, record, enabled=..., message_template=...)
    undo_last_run(store) -> RunUndo, recent_runs(store) -> list[Run]   edits.runs
"""

from mom_cli.edits.apply import apply_edits, plan_edits
from mom_cli.edits.blocks import EditBlock
from mom_cli.edits.checkpoint import (
    CheckpointStore,
    StepRecord,
    UndoRefusedError,
    commit_if_configured,
)
from mom_cli.edits.containment import resolve_repo_path
from mom_cli.edits.parse import EDIT_FORMAT_PROMPT, format_edit_blocks, parse_edit_blocks
from mom_cli.edits.runs import Run, RunUndo, RunUndoRefusedError, recent_runs, undo_last_run

__all__ = [
    "EDIT_FORMAT_PROMPT",
    "CheckpointStore",
    "EditBlock",
    "Run",
    "RunUndo",
    "RunUndoRefusedError",
    "StepRecord",
    "UndoRefusedError",
    "apply_edits",
    "commit_if_configured",
    "format_edit_blocks",
    "parse_edit_blocks",
    "plan_edits",
    "recent_runs",
    "resolve_repo_path",
    "undo_last_run",
]
