"""Test failures HEAD already has were not caused by the uncommitted change.

fix-build's job is to make the tests pass, so such a failure stays a target and keeps the
exit code at 1. But reported bare ("still failing: test_x") it reads as if mom or the
user's last edit broke it. So, in the spirit of the lint baseline (lint_baseline), the
failing tests are asked of HEAD: run once more, by the same interpreter and pytest run as
the validator (tests.run_pytest), in a clean export of HEAD (a temp folder; the user's
work tree and index are never touched). A failure HEAD also has is labelled "already
failing at HEAD". Unlike lint findings it is not downgraded: the failure is real.

Cost stays bounded: only the failing test ids (a test file that failed to import is run
whole, since its tests are unknown), one pytest run, nothing without a HEAD commit.
pytest only: other runners have no portable per-test selection, so base_runner reruns
their whole test stage instead.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mom_cli.validate.diagnostics import Diagnostic
from mom_cli.validate.failure_keys import failure_key
from mom_cli.validate.operands import path_operands
from mom_cli.validate.pipeline import exported_index
from mom_cli.validate.runner import CommandResult, project_python
from mom_cli.validate.tests import run_pytest

PREEXISTING_LABEL = "already failing at the base"  # merge-base or HEAD~1, not always HEAD
MAX_IDS = 100  # beyond this, run the failing tests' files rather than a huge argv
_PLUGIN = "mom_head_select"
# Keeps only the wanted node ids (or every test of a wanted file). Passing ids as pytest
# arguments instead would abort the whole run on one id HEAD does not have (exit 4).
_PLUGIN_SOURCE = """
import json, os

_WANTED = json.loads(os.environ["MOM_HEAD_TESTS"])


def pytest_collection_modifyitems(config, items):
    ids, files = set(_WANTED["ids"]), set(_WANTED["files"])
    keep = [i for i in items if i.nodeid in ids or i.nodeid.split("::")[0] in files]
    dropped = [i for i in items if i not in keep]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    items[:] = keep
"""


@dataclass
class HeadBaseline:
    """Which of the failing tests also fail in a clean export of HEAD."""

    checked: list[str] = field(default_factory=list)  # test ids / files run at HEAD
    failing: list[str] = field(default_factory=list)  # failure_keys that fail at HEAD
    note: str = ""  # why nothing (or not everything) could be checked
    seconds: float = 0.0

    def is_preexisting(self, d: Diagnostic) -> bool:
        return d.stage == "tests" and failure_key(d) in self.failing

    def merged(self, other: HeadBaseline) -> HeadBaseline:
        """Both checks as one (a project whose pytest and cargo tests both fail)."""
        return HeadBaseline(
            [*self.checked, *other.checked],
            sorted({*self.failing, *other.failing}),
            "; ".join(n for n in (self.note, other.note) if n),
            self.seconds + other.seconds,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "checked": self.checked,
            "failing_at_head": self.failing,
            "note": self.note,
            "seconds": round(self.seconds, 2),
        }


def pytest_selection(diags: Sequence[Diagnostic]) -> tuple[list[str], list[str]]:
    """(test ids, whole test files) to run at HEAD for the failing pytest diagnostics."""
    ids: set[str] = set()
    files: set[str] = set()
    for d in diags:
        if d.stage != "tests" or d.tool != "pytest" or d.severity != "error" or "::" not in d.code:
            continue  # unparsed failures ("exit code 2: …") name no test to rerun
        path, node = d.code.split("::", 1)
        if node == path.removesuffix(".py").replace("/", "."):
            files.add(path)  # a collection error: the module's tests are unknown
        else:
            ids.add(d.code)
    if len(ids) > MAX_IDS:
        files |= {i.split("::", 1)[0] for i in ids}
        ids = set()
    return sorted(ids - {i for i in ids if i.split("::", 1)[0] in files}), sorted(files)


def has_head(repo: Path, commit: str = "HEAD") -> bool:
    proc = subprocess.run(
        ["git", "rev-parse", "--verify", "-q", f"{commit}^{{commit}}"],
        cwd=repo,
        capture_output=True,
        check=False,
    )
    return proc.returncode == 0


def head_baseline(
    repo: Path,
    diags: Sequence[Diagnostic],
    *,
    timeout: float,
    commit: str = "HEAD",
    idle_after_summary: float = 0.0,
) -> HeadBaseline:
    """Run the failing pytest tests of `diags` at `commit` (HEAD, or fix-build's base: see
    workflows.fix_scope) in a clean export of it (see the module docstring).
    `idle_after_summary`: see run_command (validate.hang)."""
    started = time.monotonic()
    ids, files = pytest_selection(diags)
    out = HeadBaseline(checked=[*files, *ids])
    if not out.checked:
        out.note = "no failing pytest test to check"
    elif not has_head(repo, commit):
        out.note = f"no {commit if commit == 'HEAD' else 'base'} commit to compare with"
    else:
        try:
            _run_at_head(repo, diags, (timeout, idle_after_summary), out, commit)
        except (OSError, subprocess.CalledProcessError) as exc:
            out.note = f"could not export the base: {exc}"
    out.seconds = time.monotonic() - started
    return out


def _run_at_head(
    repo: Path,
    diags: Sequence[Diagnostic],
    limits: tuple[float, float],  # (timeout, idle after the summary)
    out: HeadBaseline,
    commit: str,
) -> None:
    timeout, idle = limits
    ids, files = pytest_selection(diags)
    with exported_index(repo, commit) as tree:
        present = [f for f in {*files, *(i.split("::", 1)[0] for i in ids)} if (tree / f).is_file()]
        if not present:
            out.note = "the failing tests' files are not in the compared commit"
            return
        result, found = run_selected(
            repo, tree, ids, files, sorted(present), timeout, idle_after_summary=idle
        )
    if result.timed_out:
        out.note = f"the run at the base timed out after {timeout:g} s"
    elif result.returncode == 5:
        out.note = (
            "none of these test ids exist in the compared commit (new tests, or "
            "parametrized cases whose values changed)"
        )
    elif result.returncode not in (0, 1) and not found:
        out.note = f"the run at the base failed (pytest exit {result.returncode})"
    out.failing = same_failures(diags, found)


def run_selected(
    repo: Path,
    tree: Path,
    ids: Sequence[str],
    files: Sequence[str],
    targets: Sequence[str],
    timeout: float,
    *,
    idle_after_summary: float = 0.0,
) -> tuple[CommandResult, list[Diagnostic]]:
    """One pytest run in `tree` (the work tree or an export) of only these test ids and
    whole files, by the project's interpreter (see `run_pytest`)."""
    with tempfile.TemporaryDirectory() as plugin_dir:
        (Path(plugin_dir) / f"{_PLUGIN}.py").write_text(_PLUGIN_SOURCE, encoding="utf-8")
        return run_pytest(
            project_python(repo),
            tree,
            ["-p", _PLUGIN, *path_operands(targets)],
            timeout=timeout,
            pythonpath=[Path(plugin_dir)],
            env={"MOM_HEAD_TESTS": json.dumps({"ids": list(ids), "files": list(files)})},
            idle_after_summary=idle_after_summary,
        )


def same_failures(now: Sequence[Diagnostic], head: Sequence[Diagnostic]) -> list[str]:
    """Test ids failing at HEAD the same way: a test that fails now but only errors at HEAD
    (a fixture or file the export lacks, e.g. an untracked generated module) is not
    evidence, and a test found by running a whole file counts only as a plain failure."""
    kinds = {d.code: _kind(d) for d in now}
    return sorted(
        {
            d.code
            for d in head
            if d.severity == "error" and d.code and _kind(d) == kinds.get(d.code, "failed")
        }
    )


def _kind(d: Diagnostic) -> str:
    """parse_junit's prefix: "failed" (an assertion) or "error" (in setup, collection)."""
    return d.message.split(" ", 1)[0]
