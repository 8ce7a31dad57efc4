"""The pre-commit hook: install/uninstall etiquette and real `git commit` runs."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mom_cli.cli.app import app
from mom_cli.errors import UsageError
from mom_cli.hooks.install import HOOK_MARKER, install_hook, uninstall_hook

GOOD = "def add(a: int, b: int) -> int:\n    return a + b\n"
BAD_SYNTAX = "def add(a: int, b: int) -> int\n    return a + b\n"
BAD_LINT = "import os\n\n\n" + GOOD


@pytest.fixture
def repo(make_repo: Callable[..., Path]) -> Path:
    r = make_repo(
        {"calc/__init__.py": "", "calc/ops.py": GOOD, "pyproject.toml": "[project]\nname='c'\n"}
    )
    install_hook(r)
    return r


def commit(repo: Path, message: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "commit", "-m", message], cwd=repo, capture_output=True, text=True
    )


def test_bad_commit_is_blocked_and_good_one_passes(repo: Path, run_git: Callable[..., str]) -> None:
    (repo / "calc/ops.py").write_text(BAD_SYNTAX)
    run_git(repo, "add", "calc/ops.py")
    blocked = commit(repo, "broken")
    assert blocked.returncode != 0
    assert "calc/ops.py:1" in blocked.stderr and "expected ':'" in blocked.stderr
    assert run_git(repo, "log", "--format=%s").split("\n")[0] == "initial"
    (repo / "calc/ops.py").write_text(BAD_LINT)
    run_git(repo, "add", "calc/ops.py")
    lint = commit(repo, "lint")
    assert lint.returncode != 0 and "F401" in lint.stderr
    (repo / "calc/ops.py").write_text(GOOD.replace("a + b", "b + a"))
    run_git(repo, "add", "calc/ops.py")
    ok = commit(repo, "good")
    assert ok.returncode == 0, ok.stderr
    assert run_git(repo, "log", "-1", "--format=%s").strip() == "good"


def test_unstaged_breakage_does_not_block_and_survives(
    repo: Path, run_git: Callable[..., str]
) -> None:
    (repo / "calc/ops.py").write_text(GOOD + "\nX = 1\n")
    run_git(repo, "add", "calc/ops.py")
    (repo / "calc/ops.py").write_text(BAD_SYNTAX + "# my unfinished work\n")
    before = (repo / "calc/ops.py").read_bytes()
    ok = commit(repo, "staged part only")
    assert ok.returncode == 0, ok.stderr
    assert (repo / "calc/ops.py").read_bytes() == before
    assert run_git(repo, "show", "HEAD:calc/ops.py") == GOOD + "\nX = 1\n"


def test_foreign_hook_is_never_overwritten_without_force(make_repo: Callable[..., Path]) -> None:
    r = make_repo({"a.py": "x = 1\n"})
    hook = r / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho theirs\n")
    with pytest.raises(UsageError, match="--force"):
        install_hook(r)
    assert hook.read_text() == "#!/bin/sh\necho theirs\n"
    with pytest.raises(UsageError, match="not mom's"):
        uninstall_hook(r)
    install_hook(r, force=True)
    assert HOOK_MARKER in hook.read_text()
    assert (hook.parent / "pre-commit.mom-backup").read_text() == "#!/bin/sh\necho theirs\n"
    install_hook(r)  # reinstalling over our own hook needs no force
    path, restored = uninstall_hook(r)
    assert restored and hook.read_text() == "#!/bin/sh\necho theirs\n"


def test_cli_install_uninstall(make_repo: Callable[..., Path]) -> None:
    r = make_repo({"a.py": "x = 1\n"})
    runner = CliRunner()
    first = runner.invoke(app, ["hook", "install", "--repo", str(r)])
    assert first.exit_code == 0, first.output
    assert HOOK_MARKER in (r / ".git/hooks/pre-commit").read_text()
    assert runner.invoke(app, ["hook", "uninstall", "--repo", str(r)]).exit_code == 0
    assert not (r / ".git/hooks/pre-commit").exists()
    assert runner.invoke(app, ["hook", "uninstall", "--repo", str(r)]).exit_code == 2


def test_pre_commit_framework_manifest() -> None:
    manifest = Path(__file__).resolve().parents[2] / ".pre-commit-hooks.yaml"
    text = manifest.read_text()
    assert "id: mom-validate" in text and "mom_cli.hooks.precommit" in text


def test_a_husky_hook_gets_advice_not_a_replacement(
    make_repo: Callable[..., Path], run_git: Callable[..., str]
) -> None:
    """core.hooksPath = .husky: the pre-commit there is a tracked project file. The refusal
    said only "use --force to replace it"; it now says how to run mom from it."""
    r = make_repo({"a.py": "x = 1\n", ".husky/pre-commit": "#!/bin/sh\nnpx lint-staged\n"})
    run_git(r, "config", "core.hooksPath", ".husky")
    with pytest.raises(UsageError) as refused:
        install_hook(r)
    assert "core.hooksPath = .husky" in str(refused.value)
    assert "add the line `mom validate --staged` to it" in str(refused.value)
    assert (r / ".husky/pre-commit").read_text() == "#!/bin/sh\nnpx lint-staged\n"
    assert run_git(r, "status", "--porcelain") == ""


def test_no_hook_is_written_where_git_would_commit_it(
    make_repo: Callable[..., Path], run_git: Callable[..., str]
) -> None:
    """core.hooksPath = .husky with no pre-commit yet: mom wrote .husky/pre-commit into the
    work tree, an untracked file holding this machine's interpreter path."""
    r = make_repo({"a.py": "x = 1\n", ".husky/commit-msg": "#!/bin/sh\n"})
    run_git(r, "config", "core.hooksPath", ".husky")
    with pytest.raises(UsageError) as refused:
        install_hook(r)
    assert "a file git would commit" in str(refused.value)
    assert not (r / ".husky/pre-commit").exists()
    assert run_git(r, "status", "--porcelain") == ""
    assert install_hook(r, force=True) == (r / ".husky/pre-commit").resolve()


def test_a_hooks_folder_git_ignores_gets_the_hook(
    make_repo: Callable[..., Path], run_git: Callable[..., str]
) -> None:
    r = make_repo({"a.py": "x = 1\n", ".gitignore": ".hooks/\n"})
    run_git(r, "config", "core.hooksPath", ".hooks")
    hook = install_hook(r)
    assert HOOK_MARKER in hook.read_text()
    assert run_git(r, "status", "--porcelain") == ""
