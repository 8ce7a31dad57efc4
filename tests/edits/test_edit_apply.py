"""Applying a step: contained in the repo, atomic, refusing large deletions."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from mom_cli.edits.apply import apply_edits, plan_edits, resolve_repo_path
from mom_cli.edits.blocks import EditBlock
from mom_cli.edits.checkpoint import CheckpointStore
from mom_cli.errors import EditError, PathEscapeError


@pytest.fixture
def repo(make_repo: Callable[..., Path]) -> Path:
    return make_repo({"a.py": "x = 1\n", "pkg/b.py": "y = 2\n"})


@pytest.mark.parametrize(
    "path",
    [
        "../outside.py",
        "pkg/../../outside.py",
        "/etc/passwd",
        "/tmp/x.py",
        "~/x.py",
        "C:/Windows/x.py",
        "..\\outside.py",
        ".git/config",
        ".git/hooks/pre-commit",
        "pkg/.git/x",
        ".GIT/config",
        ".mom/checkpoints/x",
        "",
        "a\0.py",
        ".",
        "pkg",
    ],
)
def test_lexical_escapes_are_refused(repo: Path, path: str) -> None:
    with pytest.raises(EditError):
        apply_edits(repo, [EditBlock(path, "", "pwned\n", whole_file=True)])
    assert (repo / "a.py").read_text() == "x = 1\n"


def test_symlink_escapes_are_refused(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.py"
    secret.write_text("secret = 1\n")
    (repo / "link_file.py").symlink_to(secret)
    (repo / "link_dir").symlink_to(outside)
    (repo / "gitdir").symlink_to(repo / ".git")
    (repo / "inner_link.py").symlink_to(repo / "a.py")
    attempts = [
        EditBlock("link_file.py", "secret = 1\n", "secret = 2\n"),
        EditBlock("link_dir/secret.py", "secret = 1\n", "secret = 2\n"),
        EditBlock("link_dir/new.py", "", "x\n"),
        EditBlock("gitdir/config", "", "x\n", whole_file=True),
        EditBlock("gitdir/hooks/pre-commit", "", "#!/bin/sh\n", whole_file=True),
        EditBlock("inner_link.py", "x = 1\n", "x = 3\n"),
    ]
    for block in attempts:
        with pytest.raises(PathEscapeError):
            apply_edits(repo, [block])
    assert secret.read_text() == "secret = 1\n"
    assert not (outside / "new.py").exists()
    assert (repo / "a.py").read_text() == "x = 1\n"


def test_symlinked_dir_inside_repo_resolves_to_its_target(repo: Path) -> None:
    (repo / "alias").symlink_to(repo / "pkg")
    target, rel = resolve_repo_path(repo, "alias/b.py")
    assert rel == "pkg/b.py" and target == (repo / "pkg" / "b.py").resolve()


def test_step_is_all_or_nothing(repo: Path) -> None:
    with pytest.raises(EditError, match="not found"):
        apply_edits(
            repo,
            [EditBlock("a.py", "x = 1\n", "x = 10\n"), EditBlock("pkg/b.py", "nope\n", "z\n")],
        )
    assert (repo / "a.py").read_text() == "x = 1\n"


def test_failure_mid_write_puts_back_what_was_written(repo: Path) -> None:
    def explode(path: str) -> None:
        if path == "pkg/b.py":
            raise OSError("disk full")

    with pytest.raises(EditError, match="disk full"):
        apply_edits(
            repo,
            [
                EditBlock("a.py", "x = 1\n", "x = 10\n"),
                EditBlock("pkg/b.py", "y = 2\n", "y = 20\n"),
            ],
            after_write=explode,
        )
    assert (repo / "a.py").read_text() == "x = 1\n"
    assert (repo / "pkg/b.py").read_text() == "y = 2\n"


def test_large_deletion_needs_the_flag(repo: Path) -> None:
    big = "".join(f"line{i} = {i}\n" for i in range(20))
    (repo / "big.py").write_text(big)
    shrink = EditBlock("big.py", "", "line0 = 0\n", whole_file=True)
    with pytest.raises(EditError, match="delete 19 of 20"):
        plan_edits(repo, [shrink])
    allowed = EditBlock("big.py", "", "line0 = 0\n", whole_file=True, allow_large_deletion=True)
    apply_edits(repo, [allowed])
    assert (repo / "big.py").read_text() == "line0 = 0\n"
    small = repo / "small.py"
    small.write_text("a\nb\nc\n")
    apply_edits(repo, [EditBlock("small.py", "", "a\n", whole_file=True)])  # < 10 lines: fine


def test_new_file_in_new_folder_and_rollback_removes_both(repo: Path) -> None:
    record = apply_edits(repo, [EditBlock("new/deep/mod.py", "", "z = 3\n")])
    assert (repo / "new/deep/mod.py").read_text() == "z = 3\n"
    CheckpointStore(repo).rollback(record.id)
    assert not (repo / "new").exists()


def test_mode_is_kept(repo: Path) -> None:
    script = repo / "run.sh"
    script.write_text("echo hi\n")
    script.chmod(0o755)
    apply_edits(repo, [EditBlock("run.sh", "echo hi\n", "echo bye\n")])
    assert os.stat(script).st_mode & 0o777 == 0o755
    assert not list(repo.glob("**/*.momtmp"))
