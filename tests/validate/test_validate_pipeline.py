"""The pipeline: early exit, staged-only validation, the review hook, `mom validate`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mom_cli.cli.app import app
from mom_cli.config import ValidationSection
from mom_cli.validate.pipeline import validate_paths, validate_project, validate_staged

GOOD = "def add(a: int, b: int) -> int:\n    return a + b\n"
BAD = "def add(a: int, b: int) -> int\n    return a + b\n"
FILES = {"calc/__init__.py": "", "calc/ops.py": GOOD, "pyproject.toml": "[project]\nname='c'\n"}


@pytest.fixture
def repo(make_repo: Callable[..., Path], add_venv: Callable[[Path], Path]) -> Path:
    r = make_repo(FILES)
    add_venv(r)
    return r


def test_early_exit_after_the_first_failing_stage(repo: Path) -> None:
    (repo / "calc/ops.py").write_text(BAD)
    result = validate_paths(repo, ["calc/ops.py"], config=ValidationSection())
    assert not result.passed
    assert [s.name for s in result.stages] == ["syntax"]
    assert result.not_run == ["build", "tests", "lint"]
    everything = validate_paths(repo, ["calc/ops.py"], config=ValidationSection(), early_exit=False)
    assert [s.name for s in everything.stages] == ["syntax", "build", "tests", "lint"]
    assert "expected ':'" in result.prompt_text()


def test_staged_only_ignores_and_never_touches_unstaged_work(
    repo: Path, run_git: Callable[..., str]
) -> None:
    (repo / "calc/ops.py").write_text(GOOD + "\n\nX = 1\n")
    run_git(repo, "add", "calc/ops.py")
    (repo / "calc/ops.py").write_text(BAD)  # unstaged breakage must not block
    (repo / "scratch.py").write_text("this is ( not python\n")  # untracked, not staged
    before = {p: (repo / p).read_bytes() for p in ("calc/ops.py", "scratch.py")}
    index = run_git(repo, "diff", "--cached")
    result = validate_staged(repo, config=ValidationSection())
    assert result.passed and result.files == ["calc/ops.py"]
    assert {p: (repo / p).read_bytes() for p in before} == before
    assert run_git(repo, "diff", "--cached") == index
    # and the other way round: a broken index fails although the work tree is fine
    (repo / "calc/ops.py").write_text(BAD)
    run_git(repo, "add", "calc/ops.py")
    (repo / "calc/ops.py").write_text(GOOD)
    failed = validate_staged(repo, config=ValidationSection())
    assert not failed.passed and failed.stages[0].diagnostics[0].file == "calc/ops.py"


def test_staged_check_says_the_tests_were_not_run(repo: Path, run_git: Callable[..., str]) -> None:
    """itsdangerous: a staged change that failed two timed tests committed through the
    hook, and `mom validate --staged` said "validation passed" with no tests row at all:
    the hook skips tests unless `validation.hook_run_tests` is on, but did not say so."""
    (repo / "calc/ops.py").write_text(GOOD + "\n\nX = 1\n")
    run_git(repo, "add", "calc/ops.py")
    result = validate_staged(repo, config=ValidationSection())
    tests = next(s for s in result.stages if s.name == "tests")
    assert tests.skipped and "validation.hook_run_tests" in tests.note
    assert [s.name for s in result.stages] == ["syntax", "build", "tests", "lint"]
    table = CliRunner().invoke(app, ["validate", "--staged", "--repo", str(repo)])
    assert table.exit_code == 0 and "hook_run_tests" in table.stdout
    ran = validate_staged(repo, config=ValidationSection(hook_run_tests=True))
    assert "hook_run_tests" not in next(s for s in ran.stages if s.name == "tests").note


def test_review_hook_scores_the_diff(repo: Path) -> None:
    (repo / "calc/ops.py").write_text(GOOD.replace("a + b", "a - b"))
    seen: list[str] = []

    def reviewer(diff: str) -> tuple[float, str]:
        seen.append(diff)
        return 0.3, "subtracts instead of adding"

    on = ValidationSection(local_model_review=True)
    result = validate_paths(repo, ["calc/ops.py"], config=on, reviewer=reviewer)
    assert [s.name for s in result.stages] == ["syntax", "review"]
    assert "subtracts instead of adding" in result.stages[1].diagnostics[0].message
    assert "-    return a + b" in seen[0]
    assert validate_paths(
        repo, ["calc/ops.py"], config=ValidationSection(), reviewer=reviewer
    ).passed

    def broken(diff: str) -> tuple[float, str]:
        raise RuntimeError("model not loaded")

    fallback = validate_paths(repo, ["calc/ops.py"], config=on, reviewer=broken)
    assert fallback.passed and fallback.stages[1].diagnostics[0].severity == "warning"


def test_cli_json_and_exit_codes(repo: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(app, ["validate", "--repo", str(repo), "--json"])
    assert ok.exit_code == 0, ok.output
    doc = json.loads(ok.stdout)
    assert doc["passed"] is True
    assert {"name", "passed", "seconds", "diagnostics"} <= set(doc["stages"][0])
    (repo / "calc/ops.py").write_text(BAD)
    bad = runner.invoke(app, ["validate", str(repo / "calc/ops.py"), "--repo", str(repo), "--json"])
    assert bad.exit_code == 1
    doc = json.loads(bad.stdout)
    assert doc["passed"] is False and doc["stages"][0]["diagnostics"][0]["line"] == 1
    table = runner.invoke(app, ["validate", "--repo", str(repo)])
    assert table.exit_code == 1 and "calc/ops.py:1:31" in table.stdout


def test_a_path_that_does_not_exist_is_a_usage_error(repo: Path) -> None:
    """On sqlparse, `mom validate sqlparse/nosuch.py` (a typo) printed "validation passed"
    and exited 0: every stage skipped for want of files. A user who misspells the file
    they meant to check must not be told it passed."""
    runner = CliRunner()
    typo = runner.invoke(app, ["validate", str(repo / "calc/opps.py"), "--repo", str(repo)])
    assert typo.exit_code == 2, typo.output
    assert "calc/opps.py" in typo.output and "no such file" in typo.output
    doc = runner.invoke(
        app, ["validate", str(repo / "calc/opps.py"), "--repo", str(repo), "--json"]
    )
    assert doc.exit_code == 2 and "no such file" in json.loads(doc.stdout)["error"]


def test_the_python_example_shows_all_three_faults(
    tmp_path: Path, add_venv: Callable[[Path], Path]
) -> None:
    import shutil

    example = Path(__file__).resolve().parents[2] / "examples" / "pyproject-calc"
    copy = tmp_path / "calc"
    shutil.copytree(example, copy)
    add_venv(copy)
    result = validate_project(copy, config=ValidationSection(), early_exit=False)
    codes = {(d.stage, d.code) for d in result.diagnostics}
    assert ("syntax", "SyntaxError") in codes and ("lint", "F401") in codes
    (copy / "calc/ops.py").write_text(
        (copy / "calc/ops.py").read_text().replace("-> float\n", "-> float:\n", 1)
    )
    fixed_syntax = validate_project(copy, config=ValidationSection(), early_exit=False)
    failing = {d.code for d in fixed_syntax.diagnostics if d.stage == "tests"}
    assert failing == {"tests/test_stats.py::test_mean", "tests/test_stats.py::test_mean_of_one"}


def test_cli_table_prints_locations_and_messages_verbatim(
    make_repo: Callable[..., Path],
) -> None:
    """rich turned `f.py:100:1` into `f.py💯1` and ate `[bold]` in messages; old lint
    findings are summarised in one line instead of drowning the new ones."""
    lines = "".join(f"x{i} = {i}\n" for i in range(99))
    repo = make_repo({"m.py": "import sys\n" + lines})
    (repo / "m.py").write_text("import sys\n" + lines[: -len("x98 = 98\n")] + "import os\n")
    table = CliRunner().invoke(app, ["validate", "--repo", str(repo)])
    assert table.exit_code == 1, table.output
    assert "m.py:100:8: error (lint) `os` imported but unused" in table.stdout
    assert "💯" not in table.stdout and "`sys`" not in table.stdout
    assert "lint: 1 finding(s) already in HEAD, not counted" in table.stdout

    from mom_cli.cli.validate_cmd import render
    from mom_cli.validate.diagnostics import Diagnostic
    from mom_cli.validate.result import StageResult, ValidationResult

    diag = Diagnostic("tests", "t.py", 1, "expected [bold]list[int][/bold] :100:", code="t[1]")
    result = ValidationResult(False, [StageResult("tests", False, diagnostics=[diag])], None)
    from mom_cli.cli.common import console

    with console.capture() as captured:
        render(result)
    assert "expected [bold]list[int][/bold] :100: [t[1]]" in captured.get()


def test_cli_table_says_why_a_stage_was_skipped(make_repo: Callable[..., Path]) -> None:
    """A JavaScript project without an eslint config: the lint row says why it was skipped
    where its tool would be (lukeed/kleur showed an empty cell)."""
    repo = make_repo({"index.js": "module.exports = { a: 1 };\n"})
    table = CliRunner().invoke(app, ["validate", "--repo", str(repo)], env={"COLUMNS": "160"})
    assert table.exit_code == 0, table.output
    assert "(no linter configured for these files)" in table.stdout
