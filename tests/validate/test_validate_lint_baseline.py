"""Real projects without a ruff config: their flake8 settings and their committed lint
findings must not make mom fail them (or make fix-build rewrite untouched files)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mom_cli.config import ValidationSection
from mom_cli.validate.lint_baseline import PREEXISTING_NOTE
from mom_cli.validate.lint_config import read_flake8_config
from mom_cli.validate.pipeline import validate_project, validate_staged
from mom_cli.validate.result import ValidationResult

LEGACY = "import os\nimport sys\n\n\ndef f(l):\n    x = 1; y = 2\n    return l\n"


def lint_of(result: ValidationResult) -> tuple[bool, list[tuple[str, str, str]]]:
    stage = next(s for s in result.stages if s.name == "lint")
    return stage.passed, [(d.file, d.code, d.severity) for d in stage.diagnostics]


def test_findings_already_in_head_are_reported_but_not_counted(
    make_repo: Callable[..., Path],
) -> None:
    repo = make_repo({"legacy.py": LEGACY, "new.py": "x = 1\n"})
    passed, diags = lint_of(validate_project(repo, config=ValidationSection(), stages=["lint"]))
    assert passed and diags and {sev for _, _, sev in diags} == {"info"}
    # a new finding in an edited file fails; the old ones beside it stay "info"
    (repo / "legacy.py").write_text("import json\n" + LEGACY)
    (repo / "new.py").write_text("import re\nx = 1\n")
    result = validate_project(repo, config=ValidationSection(), stages=["lint"])
    passed, diags = lint_of(result)
    errors = sorted((f, c) for f, c, sev in diags if sev == "error")
    assert not passed and errors == [("legacy.py", "F401"), ("new.py", "F401")]
    [new_legacy] = [d for d in result.diagnostics if d.severity == "error" and d.file != "new.py"]
    assert "`json`" in new_legacy.message
    old = [d for d in result.diagnostics if d.severity == "info"]
    assert old and all(d.message.endswith(PREEXISTING_NOTE) for d in old)


def test_a_second_copy_of_an_old_finding_is_new(make_repo: Callable[..., Path]) -> None:
    repo = make_repo({"m.py": "def f():\n    x = 1; y = 2\n    return x + y\n"})
    (repo / "m.py").write_text(
        "def f():\n    x = 1; y = 2\n    return x + y\n\n\ndef g():\n    a = 1; b = 2\n"
        "    return a + b\n"
    )
    passed, diags = lint_of(validate_project(repo, config=ValidationSection(), stages=["lint"]))
    assert not passed
    assert sorted(sev for _, code, sev in diags if code == "E702") == ["error", "info"]


def test_project_ruff_config_gets_no_baseline(make_repo: Callable[..., Path]) -> None:
    repo = make_repo({"pyproject.toml": "[tool.ruff]\nline-length = 100\n", "legacy.py": LEGACY})
    passed, diags = lint_of(validate_project(repo, config=ValidationSection(), stages=["lint"]))
    assert not passed and {sev for _, _, sev in diags} == {"error"}


def test_untracked_and_first_commit_files_have_no_baseline(
    make_repo: Callable[..., Path],
) -> None:
    empty = make_repo({"legacy.py": LEGACY}, commit=False)
    passed, diags = lint_of(validate_project(empty, config=ValidationSection(), stages=["lint"]))
    assert not passed and {sev for _, _, sev in diags} == {"error"}


def test_hook_blocks_only_what_the_commit_adds(
    make_repo: Callable[..., Path], run_git: Callable[..., str]
) -> None:
    repo = make_repo({"legacy.py": LEGACY})
    (repo / "legacy.py").write_text(LEGACY + "\n\ndef g():\n    return 1\n")
    run_git(repo, "add", "legacy.py")
    assert validate_staged(repo, config=ValidationSection()).passed
    (repo / "legacy.py").write_text("import json\n" + LEGACY)
    run_git(repo, "add", "legacy.py")
    staged = validate_staged(repo, config=ValidationSection())
    assert not staged.passed
    assert [d.message for d in staged.diagnostics if d.severity == "error"] == [
        "`json` imported but unused (autofix available)"
    ]


def test_hook_blocks_only_what_the_commit_adds_with_the_projects_ruff_config(
    make_repo: Callable[..., Path], run_git: Callable[..., str]
) -> None:
    """jaraco.functools (ruff.toml): a commit adding one function to a module blocked on
    the module's committed B008 forty lines away, which the commit did not touch."""
    config = '[tool.ruff.lint]\nselect = ["E", "F"]\n'
    repo = make_repo({"pyproject.toml": config, "legacy.py": LEGACY})
    (repo / "legacy.py").write_text(LEGACY + "\n\ndef g():\n    return 1\n")
    run_git(repo, "add", "legacy.py")
    assert validate_staged(repo, config=ValidationSection()).passed
    (repo / "legacy.py").write_text("import json\n" + LEGACY)
    run_git(repo, "add", "legacy.py")
    staged = validate_staged(repo, config=ValidationSection())
    assert not staged.passed
    assert [d.message for d in staged.diagnostics if d.severity == "error"] == [
        "`json` imported but unused (autofix available)"
    ]
    # `mom validate` still reports the project's own ruff findings in full
    passed, diags = lint_of(validate_project(repo, config=ValidationSection(), stages=["lint"]))
    assert not passed and {sev for _, _, sev in diags} == {"error"}


def test_flake8_config_is_honoured(make_repo: Callable[..., Path]) -> None:
    """cachetools: `[tool.flake8] ignore = ["F401", ...]`; six: setup.cfg `ignore = F821`."""
    pyproject = '[tool.flake8]\nselect = ["E", "F", "B950"]\nignore = ["F401", "E501"]\n'
    repo = make_repo({"pyproject.toml": pyproject, "m.py": "x = 1\n"}, commit=True)
    (repo / "m.py").write_text("import os\nx = 1\n")
    passed, diags = lint_of(validate_project(repo, config=ValidationSection(), stages=["lint"]))
    assert passed and diags == []

    setup_cfg = (
        "[flake8]\nmax-line-length = 100\n# comment\nextend-ignore =\n    E7,  # style\n"
        "    F841\nper-file-ignores =\n    tests/*: F401\n"
    )
    repo = make_repo({"setup.cfg": setup_cfg, "m.py": "x = 1\n"})
    (repo / "tests").mkdir()
    (repo / "tests/t.py").write_text("import os\n")
    (repo / "m.py").write_text("import os\n\n\ndef f():\n    a = 1; b = 2\n")
    passed, diags = lint_of(validate_project(repo, config=ValidationSection(), stages=["lint"]))
    assert not passed and diags == [("m.py", "F401", "error")]
    config = read_flake8_config(repo)
    assert config is not None and config.source == "setup.cfg"
    assert config.ignore == ("E7", "F841")


def test_broken_flake8_config_is_ignored_not_fatal(make_repo: Callable[..., Path]) -> None:
    repo = make_repo({"tox.ini": "[flake8\nignore = F401\n", "m.py": "x = 1\n"})
    (repo / "m.py").write_text("import os\nx = 1\n")
    passed, diags = lint_of(validate_project(repo, config=ValidationSection(), stages=["lint"]))
    assert not passed and diags == [("m.py", "F401", "error")]
    assert read_flake8_config(repo) is None


def test_flake8_does_not_lint_a_venv_or_ignored_folder_in_the_repo(
    make_repo: Callable[..., Path],
) -> None:
    """schedule: `python -m venv .venv` in the checkout, a setup.cfg `[flake8]` without an
    `exclude`: `flake8 .` read all of site-packages (60 s, 33 677 "new" findings, a failed
    `mom validate` and fix-build's debt report pointing `--lint all` at the venv)."""
    repo = make_repo({"setup.cfg": "[flake8]\nmax-line-length = 100\n", "m.py": "x = 1\n"})
    (repo / ".gitignore").write_text("env/\n")
    for folder in (".venv/lib/site-packages", "env/lib"):
        (repo / folder).mkdir(parents=True)
        (repo / folder / "dep.py").write_text("import os\n")
    result = validate_project(repo, config=ValidationSection(), stages=["lint"])
    passed, diags = lint_of(result)
    assert "flake8" in result.stages[0].tool_used
    assert passed and diags == []
