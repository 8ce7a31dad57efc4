"""Crash consistency: kill -9 at each phase of an item, Ctrl-C, resume, and the repo lock."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from milestone_fakes import (
    compile_validator,
    fake_config,
    last_user,
    make_repo,
    scripted,
)

from mom_cli.errors import LockedError
from mom_cli.providers.base import CompletionRequest
from mom_cli.validate.result import ValidationResult
from mom_cli.workflows.milestone import plan as planfile
from mom_cli.workflows.milestone.lock import RepoLock
from mom_cli.workflows.milestone.runner import MilestoneRunner, StaleRunError
from mom_cli.workflows.milestone.runstate import runs_for, unfinished_run

HERE = Path(__file__).parent
PLAN = "## Milestone 1: x\n- [ ] Create pkg/a.py\n- [ ] Create pkg/b.py (after 1)\n"

CHILD = """
import asyncio, os, re, signal, sys
from pathlib import Path
sys.path.insert(0, {here!r})
from milestone_fakes import compile_validator, fake_config, last_user, scripted, whole_file
from mom_cli.workflows.milestone.runner import MilestoneRunner

def script(request, model):
    path = re.search(r"Create (\\S+\\.py)", last_user(request)).group(1)
    return whole_file(path, "V = 1\\n")

def hook(phase, index):
    if phase == {phase!r} and index == 2:
        os.kill(os.getpid(), signal.SIGKILL)

runner = MilestoneRunner(Path({repo!r}), fake_config(), scripted(script),
                         validator=compile_validator, hook=hook)
asyncio.run(runner.run(1))
"""


def script(request: CompletionRequest, model: str) -> str:
    path = re.search(r"Create (\S+\.py)", last_user(request))
    assert path is not None
    return f"{path.group(1)}\n```python\nV = 1\n```\n"


def crash_at(repo: Path, phase: str) -> None:
    code = CHILD.format(here=str(HERE), repo=str(repo), phase=phase)
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ},
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr


def ticks(repo: Path) -> list[bool]:
    return [i.done for i in planfile.load_plan(repo / "MILESTONES.md").milestone(1).items]


@pytest.mark.parametrize(
    ("phase", "b_after_crash", "ticked_after_crash", "redo_calls"),
    [
        ("before_edit", False, [True, False], 1),
        ("edited", True, [True, False], 1),  # unvalidated edit on disk until recovery
        ("validated", True, [True, False], 0),
        ("checkbox_written", True, [True, True], 0),
        ("checked", True, [True, True], 0),
    ],
)
def test_resume_after_kill_at_each_phase(
    tmp_path: Path,
    phase: str,
    b_after_crash: bool,
    ticked_after_crash: list[bool],
    redo_calls: int,
) -> None:
    repo = make_repo(tmp_path / "r", PLAN)
    crash_at(repo, phase)
    assert (repo / "pkg" / "a.py").is_file()
    assert (repo / "pkg" / "b.py").is_file() == b_after_crash
    assert ticks(repo) == ticked_after_crash
    stale = unfinished_run(repo, 1)
    assert stale is not None and stale.item(1).status == "validated"

    caller = scripted(script)
    runner = MilestoneRunner(repo, fake_config(), caller, validator=compile_validator)
    with pytest.raises(StaleRunError, match="--resume"):
        asyncio.run(runner.run(1))
    report = asyncio.run(runner.run(1, stale="resume"))
    assert [c.task_id for c in caller.calls] == ["m1.2"] * redo_calls  # item 1 never redone
    assert [it.status for it in report.items] == ["validated", "validated"]
    assert ticks(repo) == [True, True]
    assert (repo / "pkg" / "b.py").read_text() == "V = 1\n"
    assert report.run_id == stale.run_id
    assert unfinished_run(repo, 1) is None
    assert (
        planfile.load_plan(repo / "MILESTONES.md").milestone(1).items[1].text == "Create pkg/b.py"
    )


def test_discarding_a_stale_run_rolls_back_its_unvalidated_edit(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", PLAN)
    crash_at(repo, "edited")
    caller = scripted(lambda r, m: "no edit here")  # the new run fails item 2
    runner = MilestoneRunner(repo, fake_config(), caller, validator=compile_validator)
    report = asyncio.run(runner.run(1, stale="discard"))
    assert not (repo / "pkg" / "b.py").exists()  # the dead run's edit was rolled back
    assert [it.status for it in report.items] == ["done", "failed"]
    assert [r.status for r in runs_for(repo, 1)] == ["abandoned", "failed"]


def test_ctrl_c_during_validation_rolls_back_and_marks_interrupted(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", "## Milestone 1: x\n- [ ] Create pkg/a.py\n")
    started = asyncio.Event()

    async def slow_validator(repo_: Path, files: list[str]) -> ValidationResult:
        started.set()
        await asyncio.sleep(30)
        return await compile_validator(repo_, files)

    async def main() -> None:
        runner = MilestoneRunner(repo, fake_config(), scripted(script), validator=slow_validator)
        task = asyncio.create_task(runner.run(1))
        await started.wait()
        assert (repo / "pkg" / "a.py").is_file()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert not (repo / "pkg" / "a.py").exists()
    run = runs_for(repo, 1)[-1]
    assert run.status == "interrupted" and run.item(1).status == "pending"
    assert ticks(repo) == [False]


LOCK_CHILD = """
import sys, time
from pathlib import Path
from mom_cli.workflows.milestone.lock import RepoLock
with RepoLock(Path({repo!r}), "milestone 1"):
    print("locked", flush=True)
    time.sleep(60)
"""


def test_second_process_is_refused_with_the_holders_pid(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", PLAN)
    proc = subprocess.Popen(
        [sys.executable, "-c", LOCK_CHILD.format(repo=str(repo))], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        with pytest.raises(LockedError, match=rf"pid {proc.pid}, `mom milestone 1`"):
            RepoLock(repo).acquire()
        runner = MilestoneRunner(repo, fake_config(), scripted(script), validator=compile_validator)
        before = (repo / "MILESTONES.md").read_bytes()
        with pytest.raises(LockedError):
            asyncio.run(runner.run(1))
        assert (repo / "MILESTONES.md").read_bytes() == before
    finally:
        proc.kill()
        proc.wait()
    deadline = time.time() + 5
    while True:  # kill -9 frees the lock: no stale lock file to clean up
        try:
            with RepoLock(repo):
                break
        except LockedError:
            assert time.time() < deadline
            time.sleep(0.05)
