"""fix-build on a change that imports a package the project's venv does not have:
reported once with the install command, no step for a model, the user's code untouched."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from git_repos import add_upstream, add_venv, make_repo
from typer.testing import CliRunner

from mom_cli.cli.app import app

__all__ = ["add_venv", "make_repo"]  # pytest fixtures from git_repos

FILES: dict[str, str | bytes] = {
    "pyproject.toml": '[project]\nname = "pkg"\nversion = "0"\n',
    "pkg/__init__.py": "",
    "pkg/core.py": '"""Core."""\n\n\ndef total(values):\n    return sum(values)\n',
    "tests/test_core.py": "from pkg.core import total\n\n\ndef test_total():\n"
    "    assert total([1, 2]) == 3\n",
}
USERS = (
    '"""Core."""\n\nimport frobnicate_yaml\n\n\ndef total(values):\n    return sum(values)\n'
    "\n\ndef dump(values):\n    return frobnicate_yaml.dump(values)\n"
)


def test_a_missing_package_is_an_install_hint_not_a_model_step(
    make_repo: Callable[..., Path],
    add_venv: Callable[[Path], Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo = make_repo(FILES)
    python = add_venv(repo)
    monkeypatch.setenv("MOM_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MOM_TIERS__DEFAULT", '["rules"]')
    (repo / "pkg/core.py").write_text(USERS)

    result = CliRunner().invoke(app, ["fix-build", "--repo", str(repo), "--json"])

    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    assert doc["steps"] == [] and doc["needs"] == []  # nothing for a model to do
    [hint] = doc["environment"]
    assert "no module 'frobnicate_yaml'" in hint and "(imported at pkg/core.py:3)" in hint
    assert f"`{python} -m pip install frobnicate_yaml`" in hint
    assert (repo / "pkg/core.py").read_text() == USERS  # the user's import is kept
    text = CliRunner().invoke(app, ["fix-build", "--repo", str(repo)])
    assert text.exit_code == 1 and "environment:" in text.output
    assert os.path.exists(repo / "pkg/core.py")


TIMED_TEST = (
    "import frobnicate_clock\n\nfrom pkg.core import total\n\n\n"
    "def test_total():\n    assert total([1, 2]) == 3\n"
)
BROKEN_TOTAL = '"""Core."""\n\n\ndef total(values):\n    return sum(values) + 1\n'


def test_tests_a_missing_package_keeps_from_running_are_not_base_debt(
    make_repo: Callable[..., Path],
    add_venv: Callable[[Path], Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """itsdangerous without freezegun: its timed tests could not even be collected, at the
    base or now, so a misspelt method in timed.py went unchecked and fix-build said
    "build, tests and lint pass" (exit 0). A test module a missing package keeps from
    running checked nothing: that is the install hint and exit 1, not base debt."""
    repo = make_repo({**FILES, "tests/test_core.py": TIMED_TEST})
    python = add_venv(repo)
    add_upstream(repo)
    monkeypatch.setenv("MOM_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MOM_TIERS__DEFAULT", '["rules"]')
    (repo / "pkg/core.py").write_text(BROKEN_TOTAL)

    result = CliRunner().invoke(app, ["fix-build", "--repo", str(repo), "--json"])

    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    [hint] = doc["environment"]
    assert "no module 'frobnicate_clock'" in hint
    assert f"`{python} -m pip install frobnicate_clock`" in hint
    assert (repo / "pkg/core.py").read_text() == BROKEN_TOTAL
    plan = CliRunner().invoke(app, ["fix-build", "--repo", str(repo), "--dry-run"])
    assert "environment:" in plan.output and "frobnicate_clock" in plan.output
    # the base is the merge-base with origin here, which need not be HEAD
    assert "(already failing at the base)" in plan.output.replace("\n", "")
    assert "at HEAD" not in plan.output
