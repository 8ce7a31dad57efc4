"""fix-build end to end on real temp repos: rules first at $0, then the model ladder."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from fix_build_helpers import (
    FIVE_FAULTS,
    GOOD_MEAN_EDIT,
    LOGIC_BUG,
    ScriptedProvider,
    make_project,
    trust_embedded,
)

from mom_cli.config import load_config
from mom_cli.ledger.store import Ledger
from mom_cli.providers.pool import ProviderPool
from mom_cli.workflows.fix_build import FixBuild, FixBuildResult

# A second rung served by the scripted provider, so escalation can be observed offline.
FAKE_GROQ = {"models": {"groq-fake": {"provider": "embedded", "tier": "groq", "model_id": "f"}}}


def _run(
    repo: Path, ledger: Ledger, provider: ScriptedProvider, overrides: dict | None = None
) -> FixBuildResult:
    cfg = load_config(repo, overrides=overrides).config

    async def go() -> FixBuildResult:
        pool = ProviderPool(cfg, ledger, adapters={"embedded": provider})
        try:
            flow = FixBuild(repo, cfg, caller=pool, ledger=ledger, run_id="run")
            return await flow.run()
        finally:
            await pool.aclose()

    return asyncio.run(go())


def _pytest_passes(repo: Path) -> bool:
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    proc = subprocess.run(argv, cwd=repo, capture_output=True)
    return proc.returncode == 0


def test_five_mechanical_faults_fixed_by_rules_with_no_model_call(tmp_path: Path) -> None:
    repo = make_project(tmp_path / "calc", FIVE_FAULTS)
    (repo / "README.md").write_text("my uncommitted notes\n")  # the user's own work
    (repo / "scratch.txt").write_bytes(b"untracked \x00 bytes\n")
    provider = ScriptedProvider([])
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    result = _run(repo, ledger, provider)
    assert result.passed, result.to_dict()
    assert result.exit_code == 0
    assert provider.prompts == []  # no model call at all
    assert {s.tier for s in result.steps} == {"rules"}
    assert result.totals()["cost_usd"] == 0
    fixed = {a.model for s in result.steps for a in s.attempts if a.ok}
    assert fixed == {
        "python.missing_colon",
        "python.unclosed_bracket",
        "python.stray_indent",
        "python.undefined_name",
        "python.ruff_fix",
    }
    rows = ledger.rows(run_id="run")
    assert rows and all(r.tier == "rules" and r.cost_usd == 0 for r in rows)
    assert _pytest_passes(repo)
    assert (repo / "README.md").read_text() == "my uncommitted notes\n"
    assert (repo / "scratch.txt").read_bytes() == b"untracked \x00 bytes\n"


def test_fault_no_rule_can_fix_goes_to_the_model_with_diagnostics(tmp_path: Path) -> None:
    repo = make_project(
        tmp_path / "calc", LOGIC_BUG, {"calc/ops.py": FIVE_FAULTS["calc/ops.py"][:1]}
    )
    provider = ScriptedProvider(["Sure! The mean looks fine to me.", GOOD_MEAN_EDIT])
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    trust_embedded(ledger)
    result = _run(repo, ledger, provider, FAKE_GROQ)
    assert result.passed, result.to_dict()
    # local answered without an edit; the next tier up was told so, with the diagnostics
    assert len(provider.prompts) == 2
    # traced from the failing test to the function under test: its source is in the prompt
    assert "tests/test_stats.py::test_mean" in provider.prompts[0]
    assert "calc/stats.py, mean" in provider.prompts[0]
    assert "return sum(values) / (len(values) - 1)" in provider.prompts[0]
    assert "no edit blocks" in provider.prompts[1]
    tiers = [(r.tier, r.model, r.outcome) for r in ledger.rows(run_id="run")]
    assert {r.category for r in ledger.rows(run_id="run") if r.tier != "rules"} == {"fix:tests"}
    assert tiers == [
        ("rules", "python.missing_colon", "validated"),
        ("local", "smollm2", "failed_validation"),
        ("groq", "groq-fake", "validated"),
    ]
    model_step = result.steps[-1]
    assert (model_step.status, model_step.tier, model_step.model) == ("fixed", "groq", "groq-fake")
    assert [(a.tier, a.ok) for a in model_step.attempts] == [("local", False), ("groq", True)]
    assert _pytest_passes(repo)


def test_ladder_stops_at_unavailable_tier_and_says_what_is_needed(tmp_path: Path) -> None:
    repo = make_project(tmp_path / "calc", LOGIC_BUG)
    (repo / "notes.txt").write_text("keep me")
    before = (repo / "calc/stats.py").read_bytes()
    bad_edit = GOOD_MEAN_EDIT.replace("/ len(values)", "/ (len(values) + 1)")
    provider = ScriptedProvider([bad_edit] * 5)
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    trust_embedded(ledger)
    result = _run(repo, ledger, provider)
    assert not result.passed and result.exit_code == 1
    assert any("GROQ_API_KEY" in need for need in result.needs)
    # the failed model edit was rolled back: the repo is exactly as before
    assert (repo / "calc/stats.py").read_bytes() == before
    assert (repo / "notes.txt").read_text() == "keep me"
    step = result.steps[-1]
    assert step.status == "failed" and step.attempts[-1].tier == "local"
    assert any("test_mean" in d for d in step.attempts[-1].diagnostics)


def test_dry_run_plans_and_touches_nothing(tmp_path: Path) -> None:
    repo = make_project(tmp_path / "calc", FIVE_FAULTS, LOGIC_BUG)
    snapshot = {p: p.read_bytes() for p in repo.rglob("*.py")}
    cfg = load_config(repo).config
    provider = ScriptedProvider([])

    async def go() -> FixBuildResult:
        pool = ProviderPool(cfg, None, adapters={"embedded": provider})
        return await FixBuild(repo, cfg, caller=pool).run(dry_run=True)

    result = asyncio.run(go())
    assert result.dry_run and not result.passed
    assert {p: p.read_bytes() for p in repo.rglob("*.py")} == snapshot
    assert provider.prompts == []
    plan = {s.file: s for s in result.steps}
    assert plan["calc/ops.py"].tier == "rules" and plan["calc/ops.py"].estimated_cost_usd == 0
    assert (
        "refs/mom"
        not in subprocess.run(
            ["git", "for-each-ref"], cwd=repo, capture_output=True, text=True
        ).stdout
    )


def test_workflow_never_imports_the_cli() -> None:
    code = (
        "import sys, mom_cli.workflows.fix_build, mom_cli.rules.engine;"
        "print([m for m in sys.modules if m.startswith('mom_cli.cli')])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
