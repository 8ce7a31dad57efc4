"""The project's tools are repo code: their output may name any path. A diagnostic that
names a file outside the repo (absolute, `..`, a symlink out) or in `.git/` must not
become a fix-build step, whose prompt would carry that file's content to the model."""

from __future__ import annotations

from pathlib import Path

import pytest
from hostile import make_repo

from mom_cli.validate.diagnostics import Diagnostic
from mom_cli.workflows.model_step import group_by_file

CREDS = "[default]\naws_secret_access_key = outside-secret\n"


@pytest.fixture
def repo_and_creds(tmp_path: Path) -> tuple[Path, Path]:
    creds = tmp_path / "home" / ".aws" / "creds.ini"
    creds.parent.mkdir(parents=True)
    creds.write_text(CREDS)
    repo = make_repo(tmp_path / "repo")
    (repo / "linked.ini").symlink_to(creds)
    return repo, creds


def test_a_diagnostic_outside_the_repo_is_no_step(repo_and_creds: tuple[Path, Path]) -> None:
    repo, creds = repo_and_creds
    named = [str(creds), "../home/.aws/creds.ini", "linked.ini", ".git/config", "calc/ops.py"]
    diags = [Diagnostic("tests", name, 1, "boom", tool="pytest") for name in named]

    steps = group_by_file(diags, repo, [])

    assert [s.file for s in steps] == ["calc/ops.py"]


def test_the_index_does_not_follow_a_symlink_out_of_the_repo(tmp_path: Path) -> None:
    from mom_cli.index.discover import discover

    outside = tmp_path / "home" / "secret_settings.py"
    outside.parent.mkdir(parents=True)
    outside.write_text('TOKEN = "outside-secret"\n')
    repo = make_repo(tmp_path / "repo")
    (repo / "settings.py").symlink_to(outside)  # a clone can track this link
    (repo / "gitcfg.py").symlink_to(".git/config")  # remote URLs may hold tokens
    (repo / "calc" / "alias.py").symlink_to("ops.py")  # a link inside is fine

    found = {c.path for c in discover(repo).candidates}

    assert "settings.py" not in found and "gitcfg.py" not in found
    assert {"calc/ops.py", "calc/alias.py"} <= found
