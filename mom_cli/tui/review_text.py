"""What the session says about changes held for review, kept apart from the app's wiring."""

from __future__ import annotations

from mom_cli.tui.state import StepRow


def held_refusal(count: int, command: str) -> str:
    """Why a new run must wait: it would drop the held changes from the plan panel (no
    a/r for them any more) and might edit the same files, after which a reject is refused."""
    what = "request" if command == "run" else f"/{command}"
    return (
        f"✗ {count} change(s) still held for review: decide first (F2, then a/r, or A/R), "
        f"or /undo them, then send the {what} again"
    )


def not_held(row: StepRow | None) -> str:
    """Why a/r did nothing, for the selected step: a bare "no held change" read as if the
    step's change were gone when /fix had simply applied it (fix-build holds nothing)."""
    if row is None:
        return "no change is held for review"
    if row.review:
        return f"{row.task_id}: already {row.review}"
    if row.record_id:
        return f"{row.task_id}: its change was applied, not held (/fix holds none); /undo reverts"
    return f"{row.task_id}: no change to accept or reject"


def held_on_quit(count: int) -> tuple[str, str]:
    """Quitting is a decision too: say that held changes stay applied, and how to revert."""
    return (
        f"{count} change(s) are still held for review. Quitting leaves them applied "
        "(/undo here or `mom undo` later reverts the run). Quit?",
        "y: quit and keep them · n: stay and review (F2, a/r)",
    )
