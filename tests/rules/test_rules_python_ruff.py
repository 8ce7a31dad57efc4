"""ruff rules run the real ruff on temp repos; formatting only where the project formats."""

from __future__ import annotations

from pathlib import Path

from rules_helpers import fix_with, make_repo

from mom_cli.rules.python_ruff import project_formatter
from mom_cli.rules.registry import RuleContext
from mom_cli.validate.diagnostics import Diagnostic

UNUSED = "import os\nimport sys\n\n\ndef f():\n    return sys.argv\n"


def test_safe_fix_removes_unused_import(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"m.py": UNUSED})
    diag = Diagnostic("lint", "m.py", 1, "`os` imported but unused", code="F401", tool="ruff")
    assert fix_with("python.ruff_fix", diag, UNUSED, repo) == UNUSED.replace("import os\n", "")


def test_unfixable_code_is_refused(tmp_path: Path) -> None:
    src = "def f():\n    return undefined_thing\n"
    repo = make_repo(tmp_path / "r", {"m.py": src})
    diag = Diagnostic("lint", "m.py", 2, "Undefined name", code="F821", tool="ruff")
    assert fix_with("python.ruff_fix", diag, src, repo) is None
    assert fix_with("python.ruff_unsafe_fix", diag, src, repo) is None


def test_not_a_ruff_diagnostic_is_refused(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"m.py": UNUSED})
    diag = Diagnostic("tests", "m.py", 1, "failed test_x", code="F401", tool="pytest")
    assert fix_with("python.ruff_fix", diag, UNUSED, repo) is None


def test_unsafe_fix_is_a_strict_rule(tmp_path: Path) -> None:
    from mom_cli.rules.registry import all_rules

    strict = {r.name for r in all_rules() if r.strict}
    assert strict == {"python.ruff_unsafe_fix"}


UGLY = "x = [1,2,\n  3]\n"


def test_format_only_when_project_formats(tmp_path: Path) -> None:
    diag = Diagnostic("lint", "m.py", 0, "would reformat", code="format", tool="ruff-format")
    plain = make_repo(tmp_path / "plain", {"m.py": UGLY, "pyproject.toml": "[project]\nname='p'\n"})
    assert project_formatter(RuleContext(plain)) is None
    assert fix_with("python.format", diag, UGLY, plain) is None
    styled = make_repo(
        tmp_path / "styled",
        {"m.py": UGLY, "pyproject.toml": "[project]\nname='p'\n[tool.ruff.format]\n"},
    )
    assert project_formatter(RuleContext(styled)) == "ruff"
    assert fix_with("python.format", diag, UGLY, styled) == "x = [1, 2, 3]\n"
