"""fix-build's checker reuses the quick stages' result of a tree it already judged: the
full check then runs only the tests. Real commands on a temp repo: a configured build
and test command each append a line to a file, so every run of each is counted."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from git_repos import make_repo

from mom_cli.config import load_config
from mom_cli.workflows.fix_checks import ProjectChecker

__all__ = ["make_repo"]  # pytest fixture from git_repos


def _checker(repo: Path, log: Path) -> ProjectChecker:
    commands = {
        "build_command": f"sh -c 'echo build >> {log}'",
        "test_command": f"sh -c 'echo tests >> {log}'",
        "enable_lint_check": False,
    }
    return ProjectChecker(repo, load_config(repo, overrides={"validation": commands}).config)


def _runs(log: Path) -> list[str]:
    return log.read_text().split() if log.exists() else []


def test_a_full_check_after_a_quick_one_of_the_same_tree_runs_only_the_tests(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    repo = make_repo({"m.py": "x = 1\n"})
    log = tmp_path / "runs.log"
    checker = _checker(repo, log)
    checker.quick()
    assert _runs(log) == ["build"]
    checker()
    assert _runs(log) == ["build", "tests"]
    assert checker.passed and [s.name for s in checker.last.stages] == ["syntax", "build", "tests"]
    # a rollback restores the bytes (not the mtime): still the tree the quick stages judged
    (repo / "m.py").write_text("x = 2\n")
    (repo / "m.py").write_text("x = 1\n")
    checker()
    assert _runs(log) == ["build", "tests", "tests"]
    # a changed tree is checked in full
    (repo / "m.py").write_text("x = 3\n")
    checker()
    assert _runs(log) == ["build", "tests", "tests", "build", "tests"]
    assert checker.runs == 3 and checker.reused_quick == 2
