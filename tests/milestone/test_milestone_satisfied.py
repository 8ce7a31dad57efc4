"""A milestone item whose edit an earlier item already made is satisfied, not failed."""

from __future__ import annotations

import asyncio
from pathlib import Path

from milestone_fakes import (
    compile_validator,
    fake_config,
    make_repo,
    scripted,
    whole_file,
)

from mom_cli.providers.base import CompletionRequest
from mom_cli.workflows.milestone import plan as planfile
from mom_cli.workflows.milestone.runner import MilestoneRunner
from mom_cli.workflows.milestone.runstate import runs_for

PLAN = """# Plan

## Milestone 1: One change, said twice
- [ ] Create pkg/a.py with A = 1
- [ ] Make sure pkg/a.py defines A = 1 (after 1)
"""


def test_second_item_with_the_same_edit_is_satisfied_and_checked_off(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", PLAN)

    def script(request: CompletionRequest, model: str) -> str:
        return whole_file("pkg/a.py", "A = 1\n")

    caller = scripted(script)
    runner = MilestoneRunner(repo, fake_config(), caller, validator=compile_validator)
    report = asyncio.run(runner.run(1))
    assert [it.status for it in report.items] == ["validated", "validated"]
    assert [it.attempts for it in report.items] == [1, 1]  # no climb for the second
    history = runs_for(repo, 1)[-1].item(2).history
    satisfied = [h for h in history if h.outcome == "satisfied"]
    assert satisfied and "pkg/a.py" in satisfied[0].detail
    parsed = planfile.load_plan(repo / "MILESTONES.md").milestone(1)
    assert [i.done for i in parsed.items] == [True, True]
