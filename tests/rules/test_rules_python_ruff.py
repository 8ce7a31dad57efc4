"""ruff rules run the real ruff on temp repos; formatting only where the project formats."""

from __future__ import annotations

from pathlib import Path

from git_repos import init_repo as make_repo
from rules_helpers import fix_with

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


def test_unsafe_fix_never_deletes_a_call_the_user_wrote(tmp_path: Path) -> None:
    """sloria/environs: with `select = ["ALL"]`, T201's unsafe fix removed the `print()` of
    the user's untracked scratch script (no test covers it, so every check passed), then
    its import, now unused, went too: the file was left empty."""
    config = '[project]\nname = "p"\n[tool.ruff.lint]\nselect = ["T201", "F841"]\n'
    scratch = 'import os\n\nprint(os.environ.get("HOME"))\n'
    repo = make_repo(tmp_path / "r", {"pyproject.toml": config, "try_env.py": scratch})
    diag = Diagnostic("lint", "try_env.py", 3, "`print` found", column=1, code="T201")
    assert fix_with("python.ruff_unsafe_fix", diag, scratch, repo) is None
    # An unsafe fix that keeps the call (F841 drops only `x = `) is still proposed.
    unused = "def f():\n    x = g()\n"
    diag = Diagnostic("lint", "try_env.py", 2, "Local variable `x` unused", column=5, code="F841")
    assert fix_with("python.ruff_unsafe_fix", diag, unused, repo) == "def f():\n    g()\n"


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


def test_safe_fix_touches_only_the_targeted_finding(tmp_path: Path) -> None:
    """`ruff --fix --select F401` would also drop `sys`, an old unused import the validator
    reports as already in HEAD: the user never asked for that change."""
    src = "import sys\nimport os\n\nx = 1\n"
    repo = make_repo(tmp_path / "r", {"m.py": src})
    diag = Diagnostic("lint", "m.py", 2, "`os` imported but unused", column=8, code="F401")
    assert fix_with("python.ruff_fix", diag, src, repo) == "import sys\n\nx = 1\n"
    elsewhere = Diagnostic("lint", "m.py", 3, "`os` imported but unused", code="F401")
    assert fix_with("python.ruff_fix", elsewhere, src, repo) is None


def test_fix_keeps_crlf_and_counts_columns_in_characters(tmp_path: Path) -> None:
    src = 'x = "ééé"\r\nimport os\r\ny = x\r\n'
    repo = make_repo(tmp_path / "r", {"m.py": "x = 1\n"})
    diag = Diagnostic("lint", "m.py", 2, "`os` imported but unused", column=8, code="F401")
    assert fix_with("python.ruff_fix", diag, src, repo) == 'x = "ééé"\r\ny = x\r\n'
    inline = 'x = "ééé"; import os\n'
    diag = Diagnostic("lint", "m.py", 1, "`os` imported but unused", column=19, code="F401")
    fixed = fix_with("python.ruff_fix", diag, inline, repo)
    assert fixed is not None and fixed.startswith('x = "ééé"') and "os" not in fixed


def test_ruff_edits_outside_the_text_are_refused() -> None:
    from mom_cli.rules.python_ruff import apply_ruff_edits

    far = {"location": {"row": 9, "column": 1}, "end_location": {"row": 9, "column": 2}}
    assert apply_ruff_edits("x = 1\n", [dict(far, content="")]) is None
    whole = {"location": {"row": 1, "column": 1}, "end_location": {"row": 2, "column": 1}}
    assert apply_ruff_edits("x = 1\n", [dict(whole, content="")]) == ""


def test_a_fix_that_leaves_an_import_unused_removes_it_too(tmp_path: Path) -> None:
    """jaraco.functools: UP045's fix (`Optional[int]` → `int | None`) left `Optional`
    imported but unused, a new F401, so every such fix was rolled back for a model."""
    config = '[tool.ruff]\ntarget-version = "py310"\n[tool.ruff.lint]\nextend-select = ["UP045"]\n'
    src = "from typing import Any, Optional\n\nimport os\n\ndef f(x: Optional[int]) -> Any: ...\n"
    repo = make_repo(tmp_path / "r", {"pyproject.toml": config, "m.pyi": src})
    diag = Diagnostic("lint", "m.pyi", 5, "Use `X | None`", column=10, code="UP045", tool="ruff")
    assert fix_with("python.ruff_fix", diag, src, repo) == (
        "from typing import Any\n\nimport os\n\ndef f(x: int | None) -> Any: ...\n"
    )  # `os` was unused before the fix: not the fix's to remove


def test_a_fix_that_leaves_the_import_block_unformatted_formats_it_too(tmp_path: Path) -> None:
    """python-humanize: removing `import json` from between two blank lines left two blank
    lines after `from __future__`, a new I001 under the project's isort rule, and the fix
    was rolled back; `ruff check --fix` applies both. An I001 the file already had is not
    the fix's to touch."""
    config = '[tool.ruff.lint]\nselect = ["F", "I"]\n'
    src = '"""Doc."""\n\nfrom __future__ import annotations\n\nimport json\n\nX = 1\n\n'
    src += "import bisect\n\nprint(bisect.bisect, X)\n"
    repo = make_repo(tmp_path / "r", {"pyproject.toml": config, "m.py": src})
    diag = Diagnostic("lint", "m.py", 5, "`json` imported but unused", column=8, code="F401")
    assert fix_with("python.ruff_fix", diag, src, repo) == src.replace("\nimport json\n", "")
    unsorted = src.replace("import bisect\n", "import os\nimport bisect\n")  # I001 before
    fixed = fix_with("python.ruff_fix", diag, unsorted, repo)
    assert fixed == unsorted.replace("\nimport json\n", "")  # the old I001 stays the user's
