"""Shapes seen on real projects (itsdangerous): a test module that cannot import here, and
a misspelt name that leaves the value it meant unused. Real git, ruff and pytest."""

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

SIGN = '''"""Signatures."""


def signature(values):
    sig = sum(values) % 97
    return sig
'''
TEST_SIGN = """from pkg.sign import signature


def test_signature():
    assert signature([100, 2]) == 5
"""
TEST_OPTIONAL = """import an_optional_dependency_missing_here  # noqa: F401


def test_optional():
    pass
"""
PYPROJECT = '[project]\nname = "pkg"\nversion = "0"\n\n[tool.ruff.lint]\nselect = ["E", "F"]\n'


@pytest.fixture
def project(
    make_repo: Callable[..., Path], add_venv: Callable[[Path], Path], tmp_path: Path
) -> Callable[..., Path]:
    def make(files: dict[str, str | bytes]) -> Path:
        repo = make_repo({"pkg/__init__.py": "", "pyproject.toml": PYPROJECT, **files})
        add_venv(repo)
        return repo

    os.environ["MOM_HOME"] = str(tmp_path / "home")
    return make


def _fix_build(repo: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, Any]:
    monkeypatch.setenv("MOM_TIERS__DEFAULT", '["rules"]')  # no model: $0, offline
    result = CliRunner().invoke(app, ["fix-build", "--repo", str(repo), "--json"])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def test_a_test_module_that_cannot_import_does_not_hide_the_other_tests(
    project: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """pytest stops after a collection error by default; then no test reports and a
    broken function looks healthy."""
    repo = project({"pkg/sign.py": SIGN, "tests/test_sign.py": TEST_SIGN})
    commit_files(repo, {"tests/test_optional.py": TEST_OPTIONAL}, "optional test")
    commit_files(repo, {"pkg/sign.py": SIGN.replace("% 97", "% 96")}, "broken: logic")
    code, doc = _fix_build(repo, monkeypatch)
    assert code == 1 and not doc["passed"]
    failing = {d["code"]: d["preexisting"] for d in doc["remaining"] if d["stage"] == "tests"}
    assert failing.get("tests/test_sign.py::test_signature") is False, doc["remaining"]


def test_a_misspelt_name_is_renamed_not_its_value_deleted(
    project: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`return sgi` leaves `sig = ...` unused (F841); deleting the assignment first would
    destroy the value the typo meant. Without tests nothing else would catch that."""
    repo = project({"pkg/sign.py": SIGN})
    commit_files(repo, {"pkg/sign.py": SIGN.replace("return sig", "return sgi")}, "broken")
    code, doc = _fix_build(repo, monkeypatch)
    assert (repo / "pkg/sign.py").read_text() == SIGN
    assert code == 0 and doc["passed"], doc["remaining"]
