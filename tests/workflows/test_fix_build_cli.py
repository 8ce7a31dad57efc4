"""`mom fix-build` through the CLI: the JSON contract, exit codes, --dry-run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from fix_build_helpers import FIVE_FAULTS, LOGIC_BUG, make_project
from git_repos import commit_files, init_repo
from typer.testing import CliRunner

from mom_cli.cli.app import app


def test_json_run_exits_0_when_rules_fix_everything(tmp_path: Path) -> None:
    repo = make_project(tmp_path / "calc", {"calc/ops.py": FIVE_FAULTS["calc/ops.py"][:2]})
    result = CliRunner().invoke(app, ["fix-build", "--repo", str(repo), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["passed"] is True
    assert set(doc) >= {"passed", "steps", "totals"}
    assert doc["totals"]["cost_usd"] == 0 and doc["totals"]["model_attempts"] == 0
    assert [s["tier"] for s in doc["steps"]] == ["rules"]


def test_dry_run_json_shows_plan_and_estimate(tmp_path: Path) -> None:
    repo = make_project(
        tmp_path / "calc", {"calc/ops.py": FIVE_FAULTS["calc/ops.py"][:1]}, LOGIC_BUG
    )
    before = (repo / "calc/ops.py").read_bytes()
    result = CliRunner().invoke(app, ["fix-build", "--repo", str(repo), "--json", "--dry-run"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["dry_run"] is True and doc["passed"] is False
    plan = {s["file"]: s for s in doc["steps"]}
    assert plan["calc/ops.py"]["tier"] == "rules"
    # the tests fail to import calc/ops.py: traced there, they are that step's evidence
    assert list(plan) == ["calc/ops.py"]
    assert any("tests/test_stats.py" in d for d in plan["calc/ops.py"]["diagnostics"])
    assert (repo / "calc/ops.py").read_bytes() == before


def test_max_tier_rules_runs_no_model_and_an_unknown_tier_is_a_usage_error(
    tmp_path: Path,
) -> None:
    """`rules` is the first tier in `mom doctor` and the README, so `--max-tier rules` is
    what a user types for a $0 run; it was refused as unknown, after the project's whole
    toolchain had run (16 s on rapidfuzz/strsim-rs)."""
    repo = make_project(tmp_path / "calc", LOGIC_BUG)
    args = ["fix-build", "--repo", str(repo), "--json", "--max-tier"]
    typo = CliRunner().invoke(app, [*args, "rulez"])
    assert typo.exit_code == 2 and "rulez" in typo.output
    result = CliRunner().invoke(app, [*args, "rules"])
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    assert doc["totals"]["model_attempts"] == 0 and doc["needs"] == [
        "a tier above --max-tier rules"
    ]


@pytest.mark.skipif(shutil.which("cargo") is None, reason="cargo is not installed")
def test_an_error_every_stage_reports_is_listed_once_with_its_stages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """cargo check, cargo test and clippy all report a compile error: one error, one line
    (rapidfuzz/strsim-rs said "3 diagnostic(s)" for one misspelt name)."""
    monkeypatch.setenv("COLUMNS", "300")
    lib = "pub fn one() -> u32 {\n    zzzzz\n}\n"
    cargo = '[package]\nname = "t"\nversion = "0.1.0"\nedition = "2021"\n'
    # not the make_repo fixture: its HOME hides rustup's default toolchain
    repo = init_repo(tmp_path / "crate", {"Cargo.toml": cargo, "src/lib.rs": lib})
    result = CliRunner().invoke(app, ["fix-build", "--repo", str(repo), "--max-tier", "rules"])
    assert result.exit_code == 1, result.output
    assert "still failing: 1 diagnostic(s)" in result.output
    assert result.output.count("cannot find value `zzzzz`") == 1
    assert "[build, tests, lint]" in result.output


def test_a_failure_naming_no_file_says_nothing_worked_on_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """vercel/ms (jest): the test run failed, its output named no file mom could read,
    and fix-build ended "0/0 fixed … still failing: exit code 1" with no word on why
    nothing was tried or what would help."""
    monkeypatch.setenv("COLUMNS", "300")
    monkeypatch.setenv("MOM_VALIDATION__TEST_COMMAND", "sh -c 'echo all suites ran; exit 1'")
    monkeypatch.setenv("MOM_HOME", str(tmp_path / "home"))
    repo = make_project(tmp_path / "calc")
    result = CliRunner().invoke(app, ["fix-build", "--repo", str(repo), "--max-tier", "rules"])
    assert result.exit_code == 1, result.output
    assert "named no file for 1 failure" in result.output
    assert "no rule or model worked on them" in " ".join(result.output.split())


def test_a_test_failing_at_the_base_is_listed_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """jaraco.functools: a failing run named the base's failing test twice, under "left
    alone (… failing at the base too)" and again under "already failing at the base"."""
    monkeypatch.setenv("COLUMNS", "300")
    monkeypatch.setenv("MOM_HOME", str(tmp_path / "home"))
    broken_test = {"tests/test_ops.py": [("add(2, 3) == 5", "add(2, 3) == 6")]}
    repo = make_project(tmp_path / "calc", broken_test)
    commit_files(repo, {"CHANGES.txt": "unrelated\n"}, "unrelated")  # the base is HEAD~1
    stats = repo / "calc/stats.py"
    stats.write_text(stats.read_text().replace("/ len(values)", "/ (len(values) - 1)"))
    result = CliRunner().invoke(app, ["fix-build", "--repo", str(repo), "--max-tier", "rules"])
    assert result.exit_code == 1, result.output
    assert result.output.count("tests/test_ops.py::test_ops") == 1, result.output


def test_a_plan_the_rules_cover_names_no_tier_as_needed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """schedule: `--dry-run` planned its one step on a rule and still printed "next tier
    needed" for all four paid tiers; a plan with a step no rule covers does need them."""
    monkeypatch.setenv("MOM_HOME", str(tmp_path / "home"))
    covered = make_project(tmp_path / "a", {"calc/ops.py": FIVE_FAULTS["calc/ops.py"][:1]})
    args = ["fix-build", "--json", "--dry-run", "--repo"]
    doc = json.loads(CliRunner().invoke(app, [*args, str(covered)]).stdout)
    assert [s["tier"] for s in doc["steps"]] == ["rules"] and doc["needs"] == []
    logic = make_project(tmp_path / "b", LOGIC_BUG)
    doc = json.loads(CliRunner().invoke(app, [*args, str(logic)]).stdout)
    assert "rules" not in {s["tier"] for s in doc["steps"]} and doc["needs"]
