"""Did the rules' quick-checked edits break a test? Ask the snapshot taken before them.

fix-build lets the rules fix what syntax, build and lint show before the test suite has
run (fix_build), so a rule's edit is judged without the tests: ruff deleting an "unused"
import that a test imports through the package breaks that test. The suite then runs once
on the fixed tree; its failures are rerun in a clean export of the snapshot of the user's
work taken before mom's first write. A failure counts as the rules' only when the test
ran there and did not fail: a test whose file could not even be collected there (the
syntax or import error the rules just fixed) proves nothing. Whatever cannot be told is
blamed on the rules: the caller then retries them with the suite judging each edit,
slower but sure.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

from mom_cli.config import ValidationSection
from mom_cli.validate.base_runner import runner_baseline
from mom_cli.validate.diagnostics import Diagnostic
from mom_cli.validate.failure_keys import failure_key
from mom_cli.validate.head_tests import has_head, pytest_selection, run_selected
from mom_cli.validate.pipeline import exported_index


def broken_since(
    repo: Path,
    commit: str,
    failing: Sequence[Diagnostic],
    config: ValidationSection,
    *,
    now_output: str = "",
) -> list[Diagnostic]:
    """The test failures of `failing` that `commit` (the snapshot) does not show."""
    if not commit or not has_head(repo, commit):
        return list(failing)
    pytest_now = [d for d in failing if d.tool == "pytest"]
    others = [d for d in failing if d.tool != "pytest"]
    blamed = _pytest_blamed(repo, commit, pytest_now, config.timeout_seconds)
    if others:
        before = runner_baseline(repo, others, config, commit=commit, now_output=now_output)
        known = set(before.failing)
        blamed += [d for d in others if failure_key(d) not in known]
    return blamed


def _pytest_blamed(
    repo: Path, commit: str, failing: Sequence[Diagnostic], timeout: float
) -> list[Diagnostic]:
    ids, files = pytest_selection(failing)
    if not ids and not files:
        return list(failing)  # no test named: nothing to compare
    try:
        with exported_index(repo, commit) as tree:
            targets = {*files, *(i.split("::", 1)[0] for i in ids)}
            present = sorted(t for t in targets if (tree / t).is_file())
            if not present:
                return list(failing)
            result, found = run_selected(repo, tree, ids, files, present, timeout)
    except (OSError, subprocess.CalledProcessError):
        return list(failing)
    errors = [d for d in found if d.severity == "error"]
    if result.timed_out or (result.returncode not in (0, 1) and not errors):
        return list(failing)  # the run itself broke: cannot tell
    if any("::" not in d.code for d in errors):
        return []  # a failure naming no test (a broken conftest): nothing ran there
    bad_ids = {d.code for d in errors}
    bad_files = {d.code.split("::", 1)[0] for d in errors if _whole_file(d.code)}
    return [
        d
        for d in failing
        if "::" not in d.code
        or (d.code not in bad_ids and d.code.split("::", 1)[0] not in bad_files)
    ]


def _whole_file(code: str) -> bool:
    """pytest's id of a collection error: the file, then its module name."""
    path, node = code.split("::", 1)
    return node == path.removesuffix(".py").replace("/", ".")
