"""`mom run` end to end through Typer, with the scripted caller switched in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakes.scripted import ScriptedCaller
from typer.testing import CliRunner

from mom_cli.cli import run_cmd
from mom_cli.cli.app import app


@pytest.fixture()
def caller(monkeypatch: pytest.MonkeyPatch) -> ScriptedCaller:
    fake = ScriptedCaller()
    monkeypatch.setattr(run_cmd, "build_caller", lambda config, sink: (fake, None))
    return fake


def test_run_json_document(caller: ScriptedCaller, tmp_path: Path) -> None:
    caller.script("smollm2", ["Paris."])
    result = CliRunner().invoke(
        app, ["run", "What is the capital of France?", "--json", "--repo", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert set(doc) == {"plan", "subtasks", "contributions", "totals"}
    assert doc["subtasks"][0]["tier"] == "local"
    assert list((tmp_path / ".mom" / "runs").glob("*.json"))


def test_dry_run_json_and_text(caller: ScriptedCaller, tmp_path: Path) -> None:
    args = [
        "run",
        "Add auth middleware and implement caching",
        "--dry-run",
        "--repo",
        str(tmp_path),
    ]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert set(doc) == {"plan", "subtasks", "totals"} and doc["totals"]["estimated"]
    assert [s["id"] for s in doc["subtasks"]] == ["t1", "t2"]
    text = CliRunner().invoke(app, args)
    assert text.exit_code == 0 and "estimated" in text.stdout and "t2" in text.stdout


def test_dry_run_under_the_rules_tier_estimates_no_call(
    caller: ScriptedCaller, tmp_path: Path
) -> None:
    """`mom run` needs a model: capped at the rules tier no step can run, so the estimate
    is 0 calls (it said "1 calls" beside a route of "/ (unavailable)")."""
    args = ["run", "add a docstring", "--dry-run", "--max-tier", "rules", "--repo", str(tmp_path)]
    text = CliRunner().invoke(app, args)
    assert text.exit_code == 0, text.output
    assert "estimated: 0 calls" in text.stdout and "no usable model" in text.stdout


def test_unknown_max_tier_is_a_usage_error(caller: ScriptedCaller, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["run", "hi", "--max-tier", "gpt9", "--repo", str(tmp_path)])
    assert result.exit_code == 2


def test_a_run_that_credits_nobody_prints_no_contributions_table(
    caller: ScriptedCaller, tmp_path: Path
) -> None:
    from mom_cli.errors import ProviderError

    caller.script("smollm2", [ProviderError("local model crashed", provider="local")] * 4)
    result = CliRunner().invoke(
        app, ["run", "What is 2+2?", "--max-tier", "local", "--repo", str(tmp_path)]
    )
    assert result.exit_code == 1, result.output
    assert "contributions" not in result.output
    assert "failed" in result.output
