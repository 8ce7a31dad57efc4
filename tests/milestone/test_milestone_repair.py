"""Milestone items whose model edit is a near miss: rules repair it at $0 (real validator)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from git_repos import tree_state
from milestone_fakes import ScriptedCaller, fake_config, make_repo, scripted, whole_file

from mom_cli.edits.apply import apply_edits
from mom_cli.edits.blocks import EditBlock
from mom_cli.edits.checkpoint import CheckpointStore
from mom_cli.ledger.store import Ledger
from mom_cli.rules.steps import CheckpointApplier
from mom_cli.workflows.milestone.item import ItemEnv, settle_item
from mom_cli.workflows.milestone.runner import MilestoneRunner, pipeline_validator
from mom_cli.workflows.milestone.runstate import ItemState, new_run

PLAN = """# Plan

## Milestone 1: Helpers
- [ ] Create pkg/one.py with a function one() that returns 1
"""
FILES = {
    "pyproject.toml": '[project]\nname = "pkg"\nversion = "0.1.0"\n\n'
    '[tool.ruff.lint]\nselect = ["E", "F"]\n',
    "pkg/__init__.py": "",
    "tests/test_pkg.py": "import pkg\n\n\ndef test_pkg() -> None:\n    assert pkg\n",
}
NEAR_MISS = "def one() -> int\n    return 1\n"  # the colon is missing
HOPELESS = "def one() -> int\n    return undefined_thing_xyz\n"  # and a name no rule knows


def ledger_caller(body: str, ledger: Ledger) -> ScriptedCaller:
    """Replies `body` for pkg/one.py and writes a ledger row per call, as the pool does."""
    return scripted(lambda request, model: whole_file("pkg/one.py", body), ledger=ledger)


def run(repo: Path, caller: ScriptedCaller, ledger: Ledger):  # type: ignore[no-untyped-def]
    cfg = fake_config()
    cfg.validation.timeout_seconds = 120
    return asyncio.run(MilestoneRunner(repo, cfg, caller, ledger=ledger).run(1))


def test_near_miss_item_is_repaired_by_rules_and_checked_off(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", PLAN, FILES)
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    caller = ledger_caller(NEAR_MISS, ledger)

    report = run(repo, caller, ledger)

    (item,) = report.items
    assert item.status == "validated", item.diagnosis
    assert (item.tier, item.model, item.attempts) == ("local", "smollm2", 1)
    assert item.helped_by == ["python.missing_colon"] and not item.escalated
    assert (repo / "pkg/one.py").read_text() == "def one() -> int:\n    return 1\n"
    assert "- [x] Create pkg/one.py" in (repo / "MILESTONES.md").read_text()
    rows = [(r.tier, r.model, r.outcome) for r in ledger.rows(run_id=report.run_id)]
    assert rows == [
        ("local", "smollm2", "validated"),
        ("rules", "python.missing_colon", "validated"),
    ]
    assert report.totals.local_handling_rate == 1.0


def test_unrepairable_item_is_rolled_back_whole_and_retried_free(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", PLAN, FILES)
    before = tree_state(repo)
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    caller = ledger_caller(HOPELESS, ledger)

    report = run(repo, caller, ledger)

    (item,) = report.items
    assert item.status == "failed" and item.attempts == 4  # free tier: 1 + max_retries
    assert "undefined_thing_xyz" in item.diagnosis
    assert item.helped_by == []
    assert tree_state(repo) == {**before, "MILESTONES.md": before["MILESTONES.md"]}
    rows = [(r.tier, r.model, r.outcome) for r in ledger.rows(run_id=report.run_id)]
    assert rows.count(("local", "smollm2", "failed_validation")) == 4
    assert ("rules", "python.missing_colon", "rolled_back") in rows
    assert ("rules", "python.missing_colon", "validated") not in rows
    assert "Automatic rule repairs (" in item.diagnosis  # small model: no retry feedback


def test_crash_mid_repair_is_settled_by_rolling_back_rule_steps_first(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", PLAN, {**FILES, "pkg/one.py": "ONE = 1\n"})
    before = tree_state(repo)
    store = CheckpointStore(repo)
    cfg = fake_config()
    model = apply_edits(repo, [EditBlock("pkg/one.py", "ONE = 1\n", NEAR_MISS)], store=store,
                        snapshot=False)  # fmt: skip
    fix = NEAR_MISS.replace("-> int\n", "-> int:\n")
    rule = CheckpointApplier(repo, store).apply([EditBlock("pkg/one.py", NEAR_MISS, fix)], "r")
    run_state = new_run(repo, 1, repo / "MILESTONES.md", test_first=False)
    st = ItemState(1, "Create pkg/one.py")
    run_state.items.append(st)
    st.status, st.phase, st.current_step, st.repair_steps = "running", "edited", model.id, [rule]
    env = ItemEnv(repo, cfg, scripted(lambda r, m: ""), pipeline_validator(cfg),
                  run_state, repo / "MILESTONES.md", store)  # fmt: skip

    settle_item(env, st, None)  # what `--resume` does after a kill -9 mid-repair

    assert tree_state(repo) == before
    assert st.status == "pending" and st.repair_steps == [] and st.current_step == ""
