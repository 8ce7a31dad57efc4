"""Apply one step's edit blocks to the repository: contained, checkpointed, all-or-nothing.

Order of work, so that no failure can leave half a step behind:
1. resolve every path (must stay in the repo; no `..`, absolute paths, symlink escapes,
   `.git/` or mom's own `.mom/`) and compute every new file content in memory;
2. refuse protected files, control characters in paths, a file grown past the size cap,
   and a rewrite that removes most of a file's definitions (edits/guard.py; files
   tree-sitter does not parse fall back to: more than half of 10+ lines) unless the
   block asked for it;
3. save the exact old bytes in a step record (and, optionally, a git snapshot);
4. write each file to a temp file and rename it into place;
5. if a write fails, put back the files already written. If the process dies instead,
   `CheckpointStore.recover_interrupted()` does it on the next run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from mom_cli.config import SafetySection, active_safety
from mom_cli.edits import guard
from mom_cli.edits.blocks import EditBlock
from mom_cli.edits.checkpoint import (
    CheckpointStore,
    PlannedChange,
    StepRecord,
    read_bytes,
    write_atomic,
)
from mom_cli.edits.containment import resolve_repo_path
from mom_cli.edits.match import apply_block
from mom_cli.errors import EditError

LARGE_FILE_LINES = 10


def plan_edits(
    repo: Path, blocks: Sequence[EditBlock], *, safety: SafetySection | None = None
) -> list[PlannedChange]:
    """Every file's exact old and new bytes, computed in memory; nothing is written.

    Blocks for the same file apply in order to the evolving text. Raises EditError
    (or PathEscapeError) for the first block that cannot be applied. `safety` defaults to
    the section of the config this process last loaded for `repo` (config.active_safety).
    """
    safety = safety or active_safety(repo)
    if not blocks:
        raise EditError("no edit blocks", detail="The reply contained no edit blocks.")
    order: list[str] = []
    state: dict[str, tuple[Path, bytes | None, str | None, bool]] = {}
    for block in blocks:
        target, rel = resolve_repo_path(repo, block.path)
        guard.check_protected(rel, safety)
        if rel not in state:
            before = read_bytes(target)
            text = None if before is None else _decode(before)
            state[rel] = (target, before, text, False)
            order.append(rel)
        target, before, text, allow = state[rel]
        new_text = apply_block(text, _with_path(block, rel))
        state[rel] = (target, before, new_text, allow or block.allow_large_deletion)
    changes = []
    for rel in order:
        target, before, text, allow = state[rel]
        after = _encode(rel, text or "")
        if after == before:
            continue
        guard.check_size(rel, before, after, safety)
        if before is not None and not allow:
            old = _decode(before)
            if not guard.check_definitions(rel, old, text or "", safety):
                _check_large_deletion(rel, old, text or "")
        mode = target.stat().st_mode if before is not None else None
        changes.append(PlannedChange(rel, before, after, mode))
    return changes


def _with_path(block: EditBlock, rel: str) -> EditBlock:
    return EditBlock(rel, block.search, block.replace, block.whole_file, block.allow_large_deletion)


def _encode(rel: str, text: str) -> bytes:
    """The new bytes; EditError (with where) for text no file can hold: a lone surrogate
    that is not one of surrogateescape's stand-ins for an undecodable byte of the file."""
    try:
        return text.encode("utf-8", errors="surrogateescape")
    except UnicodeEncodeError as exc:
        line = text.count("\n", 0, exc.start) + 1
        code = f"U+{ord(text[exc.start]):04X}"
        raise EditError(
            f"{rel}: the edit's text holds a lone surrogate ({code}) at line {line}",
            detail=f"The new content of {rel} holds a lone UTF-16 surrogate ({code}) at line "
            f"{line}, which is not valid UTF-8, so nothing was written. Send plain UTF-8 "
            "text (write the character itself, or an escape sequence in the code).",
        ) from None


def _decode(data: bytes) -> str:
    """Text for matching; surrogateescape makes encode(decode(x)) == x for any bytes."""
    return data.decode("utf-8", errors="surrogateescape")


def _check_large_deletion(rel: str, before: str, after: str) -> None:
    old = len(before.splitlines())
    new = len(after.splitlines())
    if old >= LARGE_FILE_LINES and new < old / 2:
        raise EditError(
            f"{rel}: edit would delete {old - new} of {old} lines",
            detail=f"The edit to {rel} would shrink it from {old} to {new} lines. Edit only "
            "the lines that must change (SEARCH/REPLACE), not the whole file.",
        )


def apply_edits(
    repo: Path,
    blocks: Sequence[EditBlock],
    *,
    summary: str = "",
    store: CheckpointStore | None = None,
    snapshot: bool = True,
    after_write: Callable[[str], None] | None = None,
    run_id: str = "",
    safety: SafetySection | None = None,
) -> StepRecord:
    """Apply one step atomically and return its record (use `store.rollback(record.id)`).

    `snapshot=True` first saves the user's uncommitted work as a git snapshot; a caller
    that already took one for the whole run passes False. `after_write(path)` runs after
    each file is renamed into place (progress reporting; tests use it to die mid-step).
    `run_id` groups the step with the rest of its command for `mom undo` (default: the
    store's current run, see `CheckpointStore.begin_run`).
    """
    changes = plan_edits(repo, blocks, safety=safety)
    store = store or CheckpointStore(repo)
    snapshot_ref = store.snapshot(f"mom: before {summary or 'edit'}") if snapshot else ""
    record = store.begin_step(summary or _default_summary(changes), changes, run_id=run_id)
    record.snapshot_ref = snapshot_ref
    root = store.repo
    try:
        for change in changes:
            target = root / change.path
            record.created_dirs += _make_parents(root, target.parent)
            store.save(record)
            write_atomic(target, change.after, change.mode)
            if after_write is not None:
                after_write(change.path)
    except BaseException as exc:
        store.rollback(record.id, force=True)
        if isinstance(exc, OSError):
            raise EditError(f"writing {summary or 'the edit'} failed: {exc}") from exc
        raise
    record.status = "applied"
    store.save(record)
    return record


def _make_parents(root: Path, folder: Path) -> list[str]:
    """Create missing folders (inside the repo, already checked) and return them."""
    missing = []
    current = folder
    while not current.exists() and current != root:
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        os.mkdir(path)
    return [p.relative_to(root).as_posix() for p in missing]


def _default_summary(changes: Sequence[PlannedChange]) -> str:
    names = [c.path for c in changes]
    return "edit " + ", ".join(names[:3]) + (f" (+{len(names) - 3})" if len(names) > 3 else "")
