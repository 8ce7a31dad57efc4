"""Edits: parse a model's edit blocks, apply them inside the repo, checkpoint and undo.

Public API (see each module's docstring for the why):
    parse_edit_blocks(text) -> list[EditBlock]          edits.parse
    EDIT_FORMAT_PROMPT, format_edit_blocks(blocks)       edits.parse
    plan_edits(repo, blocks) -> list[PlannedChange]      edits.apply (dry run)
    apply_edits(repo, blocks, summary=..., store=...)    edits.apply -> StepRecord
    CheckpointStore(repo): snapshot, restore_snapshot, rollback, undo_last,
                           recover_interrupted, commit_step     edits.checkpoint
    commit_if_configured(store, record, enabled=..., message_template=...)
"""

from mom_cli.edits.apply import apply_edits, plan_edits, resolve_repo_path
from mom_cli.edits.blocks import EditBlock
from mom_cli.edits.checkpoint import (
    CheckpointStore,
    StepRecord,
    UndoRefusedError,
    commit_if_configured,
)
from mom_cli.edits.parse import EDIT_FORMAT_PROMPT, format_edit_blocks, parse_edit_blocks

__all__ = [
    "EDIT_FORMAT_PROMPT",
    "CheckpointStore",
    "EditBlock",
    "StepRecord",
    "UndoRefusedError",
    "apply_edits",
    "commit_if_configured",
    "format_edit_blocks",
    "parse_edit_blocks",
    "plan_edits",
    "resolve_repo_path",
]
