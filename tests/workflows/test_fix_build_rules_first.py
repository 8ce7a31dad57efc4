"""fix-build lets the rules fix what syntax, build and lint show before the test suite
runs; the suite then runs once, on the fixed tree. Real git, ruff and pytest on temp repos;
the suite counts its own runs by appending to a file outside the repo."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from git_repos import add_venv, commit_files, make_repo
from typer.testing import CliRunner

from mom_cli.cli.app import app

__all__ = ["add_venv", "make_repo"]  # pytest fixtures from git_repos

CORE = '''"""Core maths."""
import os

SEPARATOR = os.sep


def total(values):
    return sum(values)


def joined(values):
    return SEPARATOR.join(str(value) for value in values)
'''
HELPERS = '''"""Helpers."""


def double(value):
    return value * 2
'''
RUFF = '[project]\nname = "pkg"\nversion = "0"\n\n[tool.ruff.lint]\nselect = ["E", "F"]\n'


def _tests(counter: Path) -> str:
    return f"""from pkg.core import joined, total


def test_total():
    assert total([1, 2, 3]) == 6


def test_joined():
    assert joined([1, 2]) == "1" + "/" + "2"


def test_count_the_suite_runs():
    with open({str(counter)!r}, "a") as log:
        log.write("run\\n")
"""


@pytest.fixture
def project(
    make_repo: Callable[..., Path], add_venv: Callable[[Path], Path], tmp_path: Path
) -> Callable[[], tuple[Path, Path]]:
    """() -> (repo, counter): a passing project whose last commit is unrelated (the base
    is HEAD~1), and the file each run of its whole suite appends a line to."""

    def make() -> tuple[Path, Path]:
        counter = tmp_path / "suite-runs.log"
        files = {
            "pkg/__init__.py": "",
            "pkg/core.py": CORE,
            "pkg/helpers.py": HELPERS,
            "tests/test_core.py": _tests(counter),
            "pyproject.toml": RUFF,
        }
        repo = make_repo(files)
        add_venv(repo)
        commit_files(repo, {"CHANGES.txt": "unrelated\n"}, "unrelated")
        return repo, counter

    os.environ["MOM_HOME"] = str(tmp_path / "home")
    return make


def _swap(repo: Path, rel: str, old: str, new: str) -> None:
    text = (repo / rel).read_text()
    assert old in text, (rel, old)
    (repo / rel).write_text(text.replace(old, new, 1))


def _fix_build(repo: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, Any]:
    monkeypatch.setenv("MOM_TIERS__DEFAULT", '["rules"]')  # no model: $0, offline
    result = CliRunner().invoke(app, ["fix-build", "--repo", str(repo), "--json"])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def _runs(counter: Path) -> int:
    return len(counter.read_text().splitlines()) if counter.exists() else 0


def test_a_lint_fault_and_a_typo_the_rules_fix_cost_one_run_of_the_suite(
    project: Callable[[], tuple[Path, Path]], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, counter = project()
    _swap(repo, "pkg/core.py", "SEPARATOR = os.sep\n", "SEPARATOR = os.sepp\n")  # import fails
    _swap(repo, "pkg/core.py", "import os\n", "import os\nimport json\n")  # F401
    code, doc = _fix_build(repo, monkeypatch)
    assert code == 0 and doc["passed"], doc["remaining"]
    assert (repo / "pkg/core.py").read_text() == CORE
    fixed = {a["model"] for s in doc["steps"] for a in s["attempts"] if a["ok"]}
    assert "python.misspelt_attribute" in fixed
    # the import error failed every test; before, fix-build ran the suite, reran the
    # failures at the base, and ran it again after the rules: three runs, not one
    assert _runs(counter) == 1
    assert doc["totals"]["validations"] == 1


def test_a_passing_project_runs_its_suite_once(
    project: Callable[[], tuple[Path, Path]], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, counter = project()
    code, doc = _fix_build(repo, monkeypatch)
    assert code == 0 and doc["passed"]
    assert _runs(counter) == 1


def test_a_rule_fix_that_breaks_a_test_is_rolled_back_and_the_rest_kept(
    project: Callable[[], tuple[Path, Path]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """ruff's safe fix deletes `double`'s import from core.py ("unused"), but a new test
    imports it from there: the suite fails after the rules, the snapshot of the user's
    work passes it, so the rules' edits are undone and retried one by one with the suite
    judging each. The import stays, the other fix is kept, nothing claims success."""
    repo, counter = project()
    _swap(repo, "pkg/core.py", "import os\n", "import os\n\nfrom pkg.helpers import double\n")
    _swap(repo, "pkg/helpers.py", '"""Helpers."""\n', '"""Helpers."""\n\nLABEL = f"double"\n')
    test = repo / "tests/test_core.py"
    test.write_text(
        test.read_text() + "\n\ndef test_double():\n"
        "    from pkg.core import double\n\n    assert double(2) == 4\n"
    )
    user_test = test.read_bytes()
    code, doc = _fix_build(repo, monkeypatch)
    assert code == 1 and not doc["passed"]
    assert "from pkg.helpers import double\n" in (repo / "pkg/core.py").read_text()
    assert 'LABEL = "double"\n' in (repo / "pkg/helpers.py").read_text()  # F541's fix kept
    assert test.read_bytes() == user_test
    remaining = [d for d in doc["remaining"] if d["severity"] == "error"]
    assert [(d["file"], d["code"]) for d in remaining] == [("pkg/core.py", "F401")]
    # once after the quick fixes, once after undoing them, once per edit retried
    assert doc["totals"]["validations"] == _runs(counter) == 4
