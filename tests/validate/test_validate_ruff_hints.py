"""A ruff finding's hint says what mom will do with its fix: a safe fix is an autofix,
an unsafe one is kept only if every check passes, one that deletes a call is the user's.
Real ruff on a temp repo."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mom_cli.config import ValidationSection
from mom_cli.validate.pipeline import validate_project
from mom_cli.validate.ruff_edits import DELETES_A_CALL_HINT, SAFE_HINT, UNSAFE_HINT

CONFIG = '[project]\nname = "p"\n[tool.ruff.lint]\nselect = ["T201", "F841", "F401", "E741"]\n'
SCRATCH = 'import json\n\n\ndef f(g):\n    x = g()\n    print("done")\n    l = 1\n    return l\n'


def test_each_finding_says_what_mom_does_with_its_fix(make_repo: Callable[..., Path]) -> None:
    repo = make_repo({"pyproject.toml": CONFIG, "scratch.py": SCRATCH}, commit=False)
    result = validate_project(repo, config=ValidationSection(), stages=["lint"])
    messages = {d.code: d.message for d in result.diagnostics if d.stage == "lint"}
    assert messages["F401"].endswith(SAFE_HINT)  # `import json`: removed as any autofix
    assert messages["F841"].endswith(UNSAFE_HINT)  # `x = g()` → `g()`: the call stays
    assert messages["T201"].endswith(DELETES_A_CALL_HINT)  # the fix deletes `print(...)`
    assert "autofix" not in messages["E741"]  # no fix at all: no hint
    assert "kept only if every check passes" in UNSAFE_HINT
    assert "deletes a call: mom leaves that to you" in DELETES_A_CALL_HINT
