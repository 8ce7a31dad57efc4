"""Running items: ordering, parallel items, failure diagnosis, test-first, generation."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from milestone_fakes import (
    ScriptedCaller,
    compile_validator,
    fake_config,
    last_user,
    make_repo,
    scripted,
    whole_file,
)

from mom_cli.providers.base import CompletionRequest
from mom_cli.validate.result import ValidationResult
from mom_cli.workflows.milestone import plan as planfile
from mom_cli.workflows.milestone.generate import deterministic_checklist, validate_items
from mom_cli.workflows.milestone.runner import MilestoneRunner
from mom_cli.workflows.milestone.runstate import RunState, runs_for

PLAN = """# Plan

## Milestone 1: Two modules
- [ ] Create pkg/a.py with A = 1
- [ ] Create pkg/b.py with B = 2
- [ ] Create pkg/c.py using A and B (after 1, 2)
"""


def create_file_script(request: CompletionRequest, model: str) -> str:
    """Write the file the task names, with a constant; BROKEN when the task says so."""
    task = last_user(request)
    path = re.search(r"Create (\S+\.py)", task)
    assert path is not None
    body = "BROKEN = True\n" if "broken" in task else f"VALUE = {len(task)}\n"
    return whole_file(path.group(1), body)


def runner(repo: Path, caller: ScriptedCaller, **kw: object) -> MilestoneRunner:
    return MilestoneRunner(repo, fake_config(), caller, validator=compile_validator, **kw)  # type: ignore[arg-type]


def test_items_run_in_dependency_order_and_in_parallel(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", PLAN)
    caller = scripted(create_file_script, delay=0.2)
    report = asyncio.run(runner(repo, caller).run(1))
    assert [it.status for it in report.items] == ["validated"] * 3
    order = [c.task_id for c in caller.calls]
    assert order.index("m1.3") > max(order.index("m1.1"), order.index("m1.2"))
    assert caller.peak == 2  # items 1 and 2 were generated concurrently
    for name in ("a", "b", "c"):
        assert (repo / "pkg" / f"{name}.py").is_file()  # different files, both kept
    text = (repo / "MILESTONES.md").read_text()
    assert text == PLAN.replace("- [ ]", "- [x]")
    assert report.totals.local_handling_rate == 1.0


def test_failed_item_stays_open_with_diagnosis_and_dependents_skip(tmp_path: Path) -> None:
    plan = PLAN.replace("pkg/b.py with B = 2", "pkg/b.py broken")
    repo = make_repo(tmp_path / "r", plan)
    caller = scripted(create_file_script)
    report = asyncio.run(runner(repo, caller).run(1))
    by = {it.index: it for it in report.items}
    assert by[1].status == "validated"
    assert by[2].status == "failed"
    assert "needs groq (groq-llama: GROQ_API_KEY not set)" in by[2].diagnosis
    assert "test_feature failed" in by[2].diagnosis
    assert by[2].attempts == 4  # free local tier retried up to 1 + max_retries
    assert by[3].status == "skipped" and by[3].diagnosis == "item 2 failed"
    assert not (repo / "pkg" / "b.py").exists()  # rolled back
    parsed = planfile.load_plan(repo / "MILESTONES.md").milestone(1)
    assert [i.done for i in parsed.items] == [True, False, False]
    run = runs_for(repo, 1)[-1]
    assert run.status == "failed"
    assert run.item(2).history[-1].tier == "sonnet"  # every rung was considered


def test_escalation_to_a_usable_higher_tier(tmp_path: Path) -> None:
    plan = "## Milestone 1: x\n- [ ] Create pkg/a.py broken\n"
    repo = make_repo(tmp_path / "r", plan)

    def script(request: CompletionRequest, model: str) -> str:
        return whole_file("pkg/a.py", "BROKEN = 1\n" if model == "smollm2" else "A = 1\n")

    caller = scripted(script, usable=("smollm2", "groq-llama"))
    report = asyncio.run(runner(repo, caller).run(1))
    item = report.items[0]
    assert (item.status, item.tier, item.model, item.attempts) == (
        "validated",
        "groq",
        "groq-llama",
        2,
    )
    assert report.totals.escalation_rate == 1.0
    assert report.totals.local_handling_rate == 0.0


def test_test_first_requires_failing_tests_then_passing_implementation(tmp_path: Path) -> None:
    plan = "## Milestone 1: x\n- [ ] Create pkg/a.py with A = 1\n"
    repo = make_repo(tmp_path / "r", plan, {"tests/__init__.py": ""})
    seen: list[str] = []

    def script(request: CompletionRequest, model: str) -> str:
        task = last_user(request)
        if "pytest file" in task:
            seen.append("tests")
            # BROKEN makes the fake test stage fail, like a test of a missing feature
            return whole_file("tests/test_milestone_1_item_1.py", "BROKEN = 'until a.py'\n")
        seen.append("impl")
        assert "Tests that must pass" in task
        return whole_file("pkg/a.py", "A = 1\n")

    async def validator(repo_: Path, files: list[str]) -> ValidationResult:
        result = await compile_validator(repo_, files)
        if (repo_ / "pkg" / "a.py").exists() and not result.passed:
            result.passed = True  # the implementation makes the generated test pass
            result.stages[-1].passed = True
        return result

    caller = scripted(script)
    report = asyncio.run(
        MilestoneRunner(repo, fake_config(), caller, validator=validator).run(1, test_first=True)
    )
    assert seen == ["tests", "impl"]
    assert report.items[0].status == "validated"
    assert (repo / "tests" / "test_milestone_1_item_1.py").is_file()


def test_test_first_rejects_tests_that_already_pass(tmp_path: Path) -> None:
    plan = "## Milestone 1: x\n- [ ] Create pkg/a.py with A = 1\n"
    repo = make_repo(tmp_path / "r", plan)

    def script(request: CompletionRequest, model: str) -> str:
        return whole_file("test_milestone_1_item_1.py", "def test_x():\n    assert True\n")

    report = asyncio.run(runner(repo, scripted(script)).run(1, test_first=True))
    assert report.items[0].status == "failed"
    assert "already pass" in report.items[0].diagnosis
    assert not (repo / "test_milestone_1_item_1.py").exists()


def test_dry_run_plans_tiers_and_writes_nothing(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", PLAN)
    caller = scripted(create_file_script)
    before = (repo / "MILESTONES.md").read_bytes()
    report = asyncio.run(runner(repo, caller).dry_run(1))
    data = report.to_dict()
    assert [(i["index"], i["status"], i["tier"], i["depends_on"]) for i in data["items"]] == [
        (1, "planned", "local", []),
        (2, "planned", "local", []),
        (3, "planned", "local", [1, 2]),
    ]
    assert data["totals"]["estimated"] is True
    assert caller.calls == []
    assert (repo / "MILESTONES.md").read_bytes() == before


def test_missing_checklist_is_generated_validated_and_written(tmp_path: Path) -> None:
    plan = "## Milestone 2: Docs\nWrite USAGE.md. Document greet in app.py.\n\n## Milestone 3: z\n"
    repo = make_repo(tmp_path / "r", plan)

    def script(request: CompletionRequest, model: str) -> str:
        if "checklist" in request.messages[0].content:
            return "Sure!\n- [ ] Create USAGE.md with a title\n- [ ] Create docs.py (after 1)\n"
        return whole_file(re.search(r"Create (\S+\.\w+)", last_user(request)).group(1), "X = 1\n")  # type: ignore[union-attr]

    report = asyncio.run(runner(repo, scripted(script)).run(2))
    assert [(i.text, i.status) for i in report.items] == [
        ("Create USAGE.md with a title", "validated"),
        ("Create docs.py", "validated"),
    ]
    text = (repo / "MILESTONES.md").read_text()
    assert planfile.GENERATED_MARKER in text
    assert "- [x] Create docs.py (after 1)" in text


def test_junk_model_checklist_falls_back_to_sentences(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="expected 1 to 8 items"):
        validate_items([])
    plan = planfile.parse_plan("## Milestone 1: x\nAdd a cache. Wire the cache in.\n", Path("M.md"))
    assert deterministic_checklist(plan.milestone(1)) == ["Add a cache", "Wire the cache in"]
    repo = make_repo(tmp_path / "r", "## Milestone 1: x\nAdd a cache. Wire the cache in.\n")
    caller = scripted(lambda r, m: "```\nnonsense\n```")
    report = asyncio.run(runner(repo, caller).dry_run(1))
    assert report.checklist_source == "deterministic"
    assert [i.text for i in report.items] == ["Add a cache", "Wire the cache in"]


def test_run_state_is_written_with_ids(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", PLAN)
    asyncio.run(runner(repo, scripted(create_file_script)).run(1))
    run = runs_for(repo, 1)[-1]
    assert run.path.name.startswith("1-") and run.status == "done"
    again = RunState.load(run.path)
    assert again.item(1).steps and again.item(1).phase == "checked"
    assert again.snapshot_ref.startswith("refs/mom/snapshots/")


def test_failed_attempts_are_not_counted_as_savings(tmp_path: Path) -> None:
    """Every local attempt failed validation: the report must not claim the top tier's
    price of those tokens as saved (as `mom cost` and the session header)."""
    from mom_cli.ledger.store import Ledger

    plan = "## Milestone 1: x\n- [ ] Create pkg/a.py broken\n"
    repo = make_repo(tmp_path / "r", plan)
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    caller = scripted(lambda request, model: whole_file("pkg/a.py", "BROKEN = 1\n"), ledger=ledger)
    report = asyncio.run(runner(repo, caller, ledger=ledger).run(1))
    assert report.items[0].status == "failed" and report.totals.tokens_in > 0
    assert report.totals.baseline_cost_usd == 0.0 and report.totals.savings_usd == 0.0
