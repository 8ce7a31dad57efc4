"""Is a test failure that appeared after an edit real, or a flaky test? Run it once more.

Real projects have timing-sensitive tests (`assert elapsed < 0.1`) that fail now and then,
more often on a loaded machine. Judged on one run, an edit that fixed 75 failures was
rolled back because `test_sleeps` failed beside it (jd/tenacity). So before an edit is
blamed for a new test failure, that test alone runs once more in the work tree, by the
same interpreter and pytest run as the validator; only a failure that comes back counts.
pytest only: other runners' failures cannot be selected one by one, so they stand.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from mom_cli.validate.diagnostics import Diagnostic
from mom_cli.validate.head_tests import pytest_selection, run_selected

RERUN_TIMEOUT = 120.0


def failing_again(
    repo: Path,
    new: Sequence[Diagnostic],
    timeout: float = RERUN_TIMEOUT,
    *,
    idle_after_summary: float = 0.0,
) -> list[Diagnostic]:
    """The diagnostics of `new` whose test fails again when rerun alone (every one that
    cannot be rerun, or when the rerun itself fails to run, is kept).
    `idle_after_summary`: see run_command (validate.hang)."""
    ids, files = pytest_selection(new)
    if not ids:  # a whole file (a collection error) or another runner: not flaky-prone
        return list(new)
    targets = sorted({i.split("::", 1)[0] for i in ids})
    result, found = run_selected(
        repo, repo, ids, files, targets, timeout, idle_after_summary=idle_after_summary
    )
    if result.timed_out or (result.returncode not in (0, 1) and not found):
        return list(new)
    again = {d.code for d in found if d.severity == "error"}
    return [d for d in new if d.code not in ids or d.code in again]
