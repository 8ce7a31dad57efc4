"""`mom run` on one change: never two steps making the same edit; a step whose goal an
earlier step already met is "satisfied", and the run exits 0 (issue 12)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from edit_repo import GOOD_EDIT, GOOD_OPS, USER_EDIT, caller, make_repo
from typer.testing import CliRunner

from mom_cli.cli import run_cmd
from mom_cli.cli.app import app
from mom_cli.config import load_config
from mom_cli.routing.split import split_request

BUG_REPORT = (
    "The test suite fails: a recent change in calc/ops.py broke how add handles its "
    "arguments. Fix the bug."
)
SAME_CHANGE_TWICE = (
    "1. Add a function double(x) to calc/ops.py that returns x * 2\n"
    "2. Add double(x) to calc/ops.py returning x * 2\n"
)


def test_a_bug_report_then_fix_is_one_part_with_the_report_as_context() -> None:
    parts, context = split_request(BUG_REPORT)
    assert [p.text for p in parts] == ["Fix the bug."]
    assert "calc/ops.py broke how add" in context
    # a real second instruction still splits
    two, _ = split_request("The parser is slow. Add a cache to parse() and then test it.")
    assert len(two) == 2


def test_bug_report_request_plans_one_step(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    fake = caller(load_config(environ={}).config)
    monkeypatch.setattr(run_cmd, "build_caller", lambda config, sink: (fake, None))
    result = CliRunner().invoke(
        app, ["run", BUG_REPORT, "--dry-run", "--json", "--repo", str(repo)]
    )
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["subtasks"]) == 1


def test_second_step_with_the_same_edit_is_satisfied_and_the_run_passes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "repo")
    fake = caller(load_config(environ={}).config)
    fake.default = lambda model, req: GOOD_EDIT
    monkeypatch.setattr(run_cmd, "build_caller", lambda config, sink: (fake, None))

    result = CliRunner().invoke(app, ["run", SAME_CHANGE_TWICE, "--json", "--repo", str(repo)])

    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    statuses = sorted(s["status"] for s in doc["subtasks"])
    assert statuses == ["passed", "satisfied"]
    assert all(s["attempts"] == 1 for s in doc["subtasks"])  # no climb for the second
    assert (repo / "calc/ops.py").read_text() == GOOD_OPS  # the change made once
    assert (repo / "NOTES.md").read_bytes() == USER_EDIT
