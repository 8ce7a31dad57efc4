"""fix-build's ContributionRecords: each rule and model that fixed a share of the build."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from fix_build_helpers import (
    FIVE_FAULTS,
    GOOD_MEAN_EDIT,
    LOGIC_BUG,
    ScriptedProvider,
    make_project,
    trust_embedded,
)
from typer.testing import CliRunner

from mom_cli.cli.app import app
from mom_cli.config import load_config
from mom_cli.ledger.store import Ledger
from mom_cli.providers.pool import ProviderPool
from mom_cli.workflows.fix_build import AttemptInfo, FixBuild, FixBuildResult, StepReport
from mom_cli.workflows.fix_contributions import fix_contributions


def test_json_contributions_name_each_rule_at_zero_cost(tmp_path: Path) -> None:
    repo = make_project(tmp_path / "calc", {"calc/ops.py": FIVE_FAULTS["calc/ops.py"][:2]})
    result = CliRunner().invoke(app, ["fix-build", "--repo", str(repo), "--json"])
    assert result.exit_code == 0, result.output
    contributions = json.loads(result.stdout)["contributions"]
    assert sorted((c["tier"], c["model"]) for c in contributions) == [
        ("rules", "python.missing_colon"),
        ("rules", "python.unclosed_bracket"),
    ]
    for c in contributions:
        assert c["subtask_id"] == "calc/ops.py" and c["weight"] == 0.5
        assert c["cost_usd"] == 0 and c["input_tokens"] == c["output_tokens"] == 0


def test_model_and_rules_share_the_fixed_diagnostics(tmp_path: Path) -> None:
    repo = make_project(
        tmp_path / "calc", LOGIC_BUG, {"calc/ops.py": FIVE_FAULTS["calc/ops.py"][:1]}
    )
    cfg = load_config(repo).config
    provider = ScriptedProvider([GOOD_MEAN_EDIT])

    ledger = Ledger(tmp_path / "l.sqlite3")
    trust_embedded(ledger)

    async def go() -> FixBuildResult:
        pool = ProviderPool(cfg, ledger, adapters={"embedded": provider})
        try:
            return await FixBuild(repo, cfg, caller=pool, ledger=ledger, run_id="run").run()
        finally:
            await pool.aclose()

    result = asyncio.run(go())
    assert result.passed, result.to_dict()
    by = {(c.tier, c.model): c for c in result.contributions}
    assert set(by) == {("rules", "python.missing_colon"), ("local", "smollm2")}
    rule, model = by["rules", "python.missing_colon"], by["local", "smollm2"]
    assert rule.subtask_id == "calc/ops.py" and rule.cost_usd == 0
    model_step = next(s for s in result.steps if s.tier == "local")
    assert model.subtask_id == model_step.file
    assert model.input_tokens > 0 and model.output_tokens > 0 and model.provider == "embedded"
    fixed_by_model = len(model_step.diagnostics)
    assert model.weight == round(fixed_by_model / (fixed_by_model + 1), 4)
    assert abs(rule.weight + model.weight - 1) < 1e-3
    assert result.to_dict()["contributions"][0]["tier"] in ("rules", "local")


def test_human_summary_has_a_contributions_line(tmp_path: Path) -> None:
    repo = make_project(tmp_path / "calc", {"calc/ops.py": FIVE_FAULTS["calc/ops.py"][:1]})
    result = CliRunner().invoke(app, ["fix-build", "--repo", str(repo)])
    assert result.exit_code == 0, result.output
    assert "contributions: rules/python.missing_colon 100%" in result.stdout


def test_weights_are_shares_of_fixed_diagnostics_and_tokens_are_the_winners() -> None:
    rules = StepReport("rules:a.py", "a.py", "rules", "python.x", "fixed", attempts=[
        AttemptInfo("rules", "python.x", True), AttemptInfo("rules", "python.y", False),
        AttemptInfo("rules", "python.x", True),
    ])  # fmt: skip
    model = StepReport("fix-1:b.py", "b.py", "haiku", "haiku", "fixed",
        attempts=[AttemptInfo("rules", "python.x", True),  # a prior rule row, not credited
                  AttemptInfo("local", "smollm2", False, input_tokens=50, output_tokens=5),
                  AttemptInfo("haiku", "haiku", True, [], 0.002, 300, 40, endpoint="api")],
        diagnostics=["b.py:1: one", "b.py:2: two", "b.py:3: three"])  # fmt: skip
    failed = StepReport("fix-2:c.py", "c.py", "local", "smollm2", "failed")
    records = fix_contributions([rules, model, failed], load_config(environ={}).config)
    assert [(c.subtask_id, c.tier, c.model, c.weight) for c in records] == [
        ("a.py", "rules", "python.x", 0.4),
        ("b.py", "haiku", "haiku", 0.6),
    ]
    haiku = records[1]
    assert (haiku.input_tokens, haiku.output_tokens, haiku.cost_usd) == (300, 40, 0.002)
    assert (haiku.provider, haiku.endpoint) == ("anthropic", "api")
