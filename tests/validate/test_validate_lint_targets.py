"""Narrowed lint asks for the project's files once, however many files it was given.

fix-build narrows lint to the changed files, and an untracked, un-ignored `.venv` makes
those thousands: asking `git ls-files` again for each one took a 0.9 s markupsafe fix to
65 s (pallets/markupsafe)."""

from __future__ import annotations

from pathlib import Path

import pytest
from git_repos import init_repo

from mom_cli.config import ValidationSection
from mom_cli.validate import detect
from mom_cli.validate.detect import detect_project
from mom_cli.validate.lint import _python_targets
from mom_cli.validate.result import StageContext


def test_narrowed_lint_lists_the_project_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = init_repo(tmp_path / "p", {"pkg/a.py": "x = 1\n", "pkg/b.py": "y = 2\n"})
    project = detect_project(repo)
    venv_files = [f".venv/lib/site-packages/m{i}.py" for i in range(300)]
    calls: list[Path] = []
    real = detect.project_files

    def counting(root: Path) -> list[str]:
        calls.append(root)
        return real(root)

    monkeypatch.setattr(detect, "project_files", counting)
    ctx = StageContext(
        repo, repo, None, project, ValidationSection(),
        lint_files=["pkg/a.py", *venv_files],
    )  # fmt: skip
    assert _python_targets(ctx) == (["pkg/a.py"], ["pkg/a.py"])
    assert len(calls) == 1
