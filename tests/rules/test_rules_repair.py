"""Rules repairing a model's failing edit in place (real validator, temp git repos)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from git_repos import init_repo as make_repo

from mom_cli.config import load_config
from mom_cli.edits.apply import apply_edits
from mom_cli.edits.blocks import EditBlock
from mom_cli.edits.checkpoint import CheckpointStore
from mom_cli.ledger.store import Ledger
from mom_cli.rules.repair import repair_after_edit, repair_edit
from mom_cli.rules.steps import CheckpointApplier
from mom_cli.validate.pipeline import validate_paths
from mom_cli.validate.result import ValidationResult

OPS = "def add(a: int, b: int) -> int:\n    return a + b\n"
FILES = {
    "pyproject.toml": '[project]\nname = "calc"\nversion = "0.1.0"\n\n'
    '[tool.ruff.lint]\nselect = ["E", "F"]\n',
    "calc/__init__.py": "",
    "calc/ops.py": OPS,
    "tests/test_ops.py": "from calc.ops import add\n\n\ndef test_add() -> None:\n"
    "    assert add(2, 3) == 5\n",
}
# The model's near-miss: right, but for a missing colon.
NEAR_MISS = OPS + "\n\ndef double(x: int) -> int\n    return x * 2\n"
# A missing colon the rules can fix, plus a broken add() no rule may "fix".
HOPELESS = OPS.replace("a + b", "a - b") + "\n\ndef double(x: int) -> int\n    return x * 2\n"


def _setup(tmp_path: Path, new_text: str) -> tuple[Path, CheckpointStore, ValidationResult]:
    repo = make_repo(tmp_path / "repo", FILES)
    store = CheckpointStore(repo)
    apply_edits(repo, [EditBlock("calc/ops.py", OPS, new_text)], store=store, snapshot=False)
    failed = _validate(repo)(["calc/ops.py"])
    assert not failed.passed
    return repo, store, failed


def _validate(repo: Path):  # type: ignore[no-untyped-def]
    cfg = load_config(environ={}).config.validation
    cfg.timeout_seconds = 120
    return lambda paths: validate_paths(repo, paths, config=cfg)


def test_near_miss_is_repaired_and_kept(tmp_path: Path) -> None:
    repo, store, failed = _setup(tmp_path, NEAR_MISS)
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    seen: list[list[str]] = []
    outcome = repair_edit(
        repo, ["calc/ops.py"], failed.diagnostics, _validate(repo),
        CheckpointApplier(repo, store), ledger=ledger, run_id="r", on_steps=seen.append,
    )  # fmt: skip
    assert outcome.ok and outcome.result is not None and outcome.result.passed
    assert outcome.rules == ["python.missing_colon"]
    assert (repo / "calc/ops.py").read_text() == NEAR_MISS.replace(
        "-> int\n    return x", "-> int:\n    return x"
    )
    assert len(outcome.steps) == 1 and seen[-1] == outcome.steps
    rows = ledger.rows(run_id="r")
    assert [(r.tier, r.model, r.outcome, r.cost_usd) for r in rows] == [
        ("rules", "python.missing_colon", "validated", 0.0)
    ]


def test_unrepairable_edit_undoes_every_rule_step_and_says_so(tmp_path: Path) -> None:
    repo, store, failed = _setup(tmp_path, HOPELESS)
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    outcome = repair_edit(
        repo, ["calc/ops.py"], failed.diagnostics, _validate(repo),
        CheckpointApplier(repo, store), ledger=ledger, run_id="r",
    )  # fmt: skip
    assert not outcome.ok and outcome.steps == [] and outcome.fixed == []
    # the colon fix was kept by the engine, then undone with the rest: the model's bytes
    assert [a.rule for a in outcome.attempts if a.outcome == "validated"] == [
        "python.missing_colon"
    ]
    assert (repo / "calc/ops.py").read_text() == HOPELESS
    assert any("test_add" in line for line in outcome.feedback())
    outcomes = {(r.model, r.outcome) for r in ledger.rows(run_id="r")}
    assert ("python.missing_colon", "rolled_back") in outcomes
    assert ("python.missing_colon", "validated") not in outcomes


def test_rules_never_edit_files_outside_the_models_edit(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {**FILES, "calc/other.py": "def f()\n    return 1\n"})
    store = CheckpointStore(repo)
    apply_edits(repo, [EditBlock("calc/ops.py", OPS, NEAR_MISS)], store=store, snapshot=False)
    both = ["calc/ops.py", "calc/other.py"]
    failed = _validate(repo)(both)
    outcome = repair_edit(
        repo, ["calc/ops.py"], failed.diagnostics, lambda _: _validate(repo)(both),
        CheckpointApplier(repo, store),
    )  # fmt: skip
    assert (repo / "calc/other.py").read_text() == "def f()\n    return 1\n"
    refused = [a for a in outcome.attempts if a.file == "calc/other.py"]
    assert refused and all("outside the model's edit" in a.reason for a in refused)
    assert not outcome.ok  # other.py still fails, so nothing is kept
    assert (repo / "calc/ops.py").read_text() == NEAR_MISS


def test_async_wrapper_awaits_the_validator_on_the_loop(tmp_path: Path) -> None:
    repo, store, failed = _setup(tmp_path, NEAR_MISS)
    calls: list[list[str]] = []

    async def validate(paths: list[str]) -> ValidationResult:
        calls.append(paths)
        return await asyncio.to_thread(_validate(repo), paths)

    async def go() -> bool:
        outcome = await repair_after_edit(
            repo, ["calc/ops.py"], failed.diagnostics, validate, CheckpointApplier(repo, store)
        )
        return outcome.ok

    assert asyncio.run(go())
    assert calls and all(paths == ["calc/ops.py"] for paths in calls)
