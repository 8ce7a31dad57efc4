"""`mom run` edits through Typer: per-step status, changed files, exit code and diagnosis."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from edit_repo import (
    GOOD_EDIT,
    GOOD_OPS,
    LOCAL_ONLY,
    REQUEST,
    USER_EDIT,
    caller,
    make_repo,
    tree_state,
)
from fakes.scripted import ScriptedCaller
from typer.testing import CliRunner

from mom_cli.cli import run_cmd
from mom_cli.cli.app import app
from mom_cli.config import load_config


def use(
    monkeypatch: pytest.MonkeyPatch, unavailable: dict[str, str] | None = None
) -> ScriptedCaller:
    fake = caller(load_config(environ={}).config, unavailable)
    monkeypatch.setattr(run_cmd, "build_caller", lambda config, sink: (fake, None))
    return fake


def test_validated_edit_is_reported_per_step(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "repo")
    fake = use(monkeypatch)
    fake.default = lambda model, req: GOOD_EDIT

    result = CliRunner().invoke(app, ["run", REQUEST, "--json", "--repo", str(repo)])

    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    (step,) = doc["subtasks"]
    assert step["status"] == "passed" and step["changed_files"] == ["calc/ops.py"]
    assert step["attempts"] == 1
    assert doc["edits"]["changed_files"] == ["calc/ops.py"]
    assert doc["edits"]["steps"]["t1"]["validation"]["passed"]
    assert "diagnosis" not in doc
    assert (repo / "calc/ops.py").read_text() == GOOD_OPS
    assert (repo / "NOTES.md").read_bytes() == USER_EDIT


def test_failure_after_escalation_exits_1_with_the_key_needed_next(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "repo")
    before = tree_state(repo)
    fake = use(monkeypatch, LOCAL_ONLY)
    fake.default = lambda model, req: "I would add a function."

    result = CliRunner().invoke(app, ["run", REQUEST, "--json", "--repo", str(repo)])

    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    assert doc["subtasks"][0]["status"] == "failed"
    (diagnosis,) = doc["diagnosis"]
    assert diagnosis["needs"] == "groq: set GROQ_API_KEY (groq-llama)"
    # one free retry: the same "no edit blocks" came back, so retrying stops there
    assert diagnosis["tried"] == ["local/smollm2: check failed ×2"]
    assert "no edit blocks" in diagnosis["still_failing"][0]
    assert tree_state(repo) == before

    text = CliRunner().invoke(app, ["run", REQUEST, "--repo", str(repo)])
    assert text.exit_code == 1
    assert "next: groq: set GROQ_API_KEY (groq-llama)" in text.stdout


def test_dry_run_never_edits(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    before = tree_state(repo)
    fake = use(monkeypatch)
    fake.default = lambda model, req: GOOD_EDIT

    result = CliRunner().invoke(app, ["run", REQUEST, "--dry-run", "--json", "--repo", str(repo)])

    assert result.exit_code == 0, result.output
    assert set(json.loads(result.stdout)) == {"plan", "subtasks", "totals"}
    assert fake.calls == [] and tree_state(repo) == before


@pytest.mark.embedded
def test_real_embedded_model_run_is_honest(tmp_path: Path) -> None:
    """SmolLM2-135M rarely writes a valid edit: either it validates or the repo is untouched
    and the diagnosis names what would be needed next."""
    repo = make_repo(tmp_path / "repo")
    before = tree_state(repo)

    result = CliRunner().invoke(app, ["run", REQUEST, "--json", "--repo", str(repo)])

    assert result.exit_code in (0, 1), result.output
    doc = json.loads(result.stdout)
    assert doc["subtasks"][0]["tier"] == "local"
    if result.exit_code == 0:
        assert doc["edits"]["steps"]["t1"]["validation"]["passed"]
        assert doc["edits"]["changed_files"]
    else:
        assert tree_state(repo) == before
        assert doc["diagnosis"][0]["needs"].startswith("groq: ")
    assert (repo / "NOTES.md").read_bytes() == USER_EDIT
