"""Tracked files named like options (`--version.py`, `-x.py`) are linted, not obeyed: mom
hands them to ruff, flake8 and eslint as `./-x.py` or `--stdin-filename=-x.py`."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from mom_cli.config import ValidationSection
from mom_cli.validate.operands import path_operand, path_option
from mom_cli.validate.pipeline import validate_paths, validate_staged
from mom_cli.validate.result import ValidationResult

NAMES = ("--version.py", "-x.py", "--help.py")


def _lint(result: ValidationResult, severity: str = "error") -> list[tuple[str, int, str]]:
    lint = next(s for s in result.stages if s.name == "lint")
    return sorted((d.file, d.line, d.code or "") for d in lint.diagnostics
                  if d.severity == severity)  # fmt: skip


def _dashed_repo(make_repo: Callable[..., Path], **extra: str) -> Path:
    """Each dashed file committed with one unused import, then one more added."""
    repo = make_repo({**{name: "import os\n" for name in NAMES}, **extra})
    for name in NAMES:
        (repo / name).write_text("import os\nimport sys\n")
    return repo


def test_ruff_lints_staged_dashed_files_and_sees_their_head_findings(
    make_repo: Callable[..., Path], run_git: Callable[..., str]
) -> None:
    repo = _dashed_repo(make_repo, **{"pyproject.toml": "[project]\nname='d'\n"})
    run_git(repo, "add", "-A")
    result = validate_staged(repo, config=ValidationSection())
    # the new finding in each file; `import os` was in HEAD (the stdin baseline found it)
    assert _lint(result) == sorted((name, 2, "F401") for name in NAMES), result.to_dict()
    assert _lint(result, "info") == sorted((name, 1, "F401") for name in NAMES)


def test_flake8_lints_dashed_files(make_repo: Callable[..., Path]) -> None:
    repo = _dashed_repo(make_repo, **{"setup.cfg": "[flake8]\nmax-line-length = 100\n"})
    paths = [repo / name for name in NAMES]
    result = validate_paths(repo, paths, config=ValidationSection(), early_exit=False)
    lint = next(s for s in result.stages if s.name == "lint")
    assert "flake8" in (lint.tool_used or "")
    assert _lint(result) == sorted((name, 2, "F401") for name in NAMES), result.to_dict()
    assert _lint(result, "info") == sorted((name, 1, "F401") for name in NAMES)


# An eslint stand-in that parses its options as strictly as eslint does: an unknown option
# is exit 2, and it reports one finding per file named.
STRICT_ESLINT = """#!/usr/bin/env python3
import json, os, sys
args = sys.argv[1:]
files = []
while args:
    a = args.pop(0)
    if a == "-f":
        args.pop(0)
    elif a.startswith("-"):
        print(f"Invalid option '{a}'", file=sys.stderr)
        sys.exit(2)
    else:
        files.append(a)
print(json.dumps([{"filePath": os.path.abspath(f), "messages": [{"ruleId": "semi",
    "severity": 2, "message": "Missing semicolon.", "line": 1, "column": 10}]} for f in files]))
sys.exit(1)
"""


def test_eslint_gets_dashed_files_as_paths(make_repo: Callable[..., Path]) -> None:
    repo = make_repo({"package.json": '{"name": "p"}\n', ".eslintrc.yml": "root: true\n",
                      ".gitignore": "node_modules/\n", "-x.js": "let a = 1\n"})  # fmt: skip
    tool = repo / "node_modules" / ".bin" / "eslint"
    tool.parent.mkdir(parents=True)
    tool.write_text(STRICT_ESLINT)
    tool.chmod(0o755)
    result = validate_paths(repo, [repo / "-x.js"], config=ValidationSection(), early_exit=False)
    assert _lint(result) == [("-x.js", 1, "semi")], result.to_dict()


@given(st.text(min_size=1).filter(lambda s: "\0" not in s and not s.startswith("/")))
def test_an_operand_never_reads_as_an_option_and_names_the_same_file(rel: str) -> None:
    shown = path_operand(rel)
    assert not shown.startswith("-")
    assert os.path.normpath(shown) == os.path.normpath(rel)
    assert path_option("--stdin-filename", rel).split("=", 1) == ["--stdin-filename", rel]


def test_pytest_runs_a_dashed_test_file(make_repo: Callable[..., Path]) -> None:
    """`-x_test.py` matches pytest's `*_test.py`; as a bare argument it was an option."""
    repo = make_repo({"pyproject.toml": "[project]\nname='d'\n",
                      "-x_test.py": "def test_a():\n    assert 1 == 2\n"})  # fmt: skip
    result = validate_paths(repo, [repo / "-x_test.py"], config=ValidationSection())
    tests = next(s for s in result.stages if s.name == "tests")
    assert [d.code for d in tests.diagnostics] == ["-x_test.py::test_a"], result.to_dict()
