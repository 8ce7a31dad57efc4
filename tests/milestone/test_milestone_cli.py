"""`mom milestone` through the CLI: JSON shape, exit codes; one real embedded-model run."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest
from milestone_fakes import make_repo
from typer.testing import CliRunner

from mom_cli.cli.app import app
from mom_cli.config import load_config
from mom_cli.ledger.store import Ledger
from mom_cli.providers.pool import ProviderPool
from mom_cli.workflows.milestone import plan as planfile
from mom_cli.workflows.milestone.lock import RepoLock
from mom_cli.workflows.milestone.runner import MilestoneRunner

DEMO = Path(__file__).resolve().parents[2] / "examples" / "milestone-demo"


def test_dry_run_json_shape(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", "## Milestone 3: c\n- [x] Old\n- [ ] Add a.py (after 1)\n")
    result = CliRunner().invoke(app, ["milestone", "3", "--dry-run", "--json", "--repo", str(repo)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["milestone"] == 3
    assert [(i["index"], i["status"], i["depends_on"]) for i in doc["items"]] == [
        (1, "done", []),
        (2, "planned", [1]),
    ]
    for key in ("index", "text", "status", "depends_on", "tier", "model", "attempts", "cost_usd"):
        assert key in doc["items"][1]
    assert doc["totals"]["estimated"] is True


def test_exit_codes_for_plan_and_lock_errors(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", "## Milestone 1: a\n- [ ] x\n")
    result = CliRunner().invoke(app, ["milestone", "7", "--json", "--repo", str(repo)])
    assert result.exit_code == 2
    assert "milestones in this file: 1 (a)" in json.loads(result.stdout)["error"]
    with RepoLock(repo):
        # flock is per open file description, so a second acquire in-process also fails
        result = CliRunner().invoke(app, ["milestone", "1", "--json", "--repo", str(repo)])
    assert result.exit_code == 2
    assert json.loads(result.stdout)["kind"] == "LockedError"


@pytest.mark.embedded
def test_demo_milestone_with_the_embedded_model(tmp_path: Path) -> None:
    """Item 1 is within the 135M model's reach (usually; it samples), item 2 is not."""
    repo = tmp_path / "demo"
    shutil.copytree(DEMO, repo)
    make_repo(repo, (DEMO / "MILESTONES.md").read_text())
    cfg = load_config(repo, environ={}).config
    ledger = Ledger()
    pool = ProviderPool(cfg, ledger=ledger)
    if not pool.availability("smollm2").ok:
        pytest.skip(pool.availability("smollm2").reason)
    report = asyncio.run(MilestoneRunner(repo, cfg, pool, ledger=ledger).run(2))
    by = {it.index: it for it in report.items}
    assert by[2].status == "failed"
    assert "needs groq (groq-llama: GROQ_API_KEY not set)" in by[2].diagnosis
    assert by[3].status == "skipped"
    assert not (repo / "app" / "cache.py").exists()
    done = planfile.load_plan(repo / "MILESTONES.md").milestone(2).items[0].done
    assert done == (by[1].status == "validated")
    if done:
        assert 'VERSION = "1.0"' in (repo / "app" / "version.py").read_text()
    assert report.totals.tokens_in > 0 and report.totals.cost_usd == 0.0
