"""A flaky test must not roll back a real fix: a new failure is rerun before it counts.

Real pytest on a temp git repo. The edit (a rule renaming `self.secnds`) fixes the one
real failure; a timing-like test fails only on its second run, which is the check right
after the edit. Seen on jd/tenacity, where `test_sleeps` undid a fix of 75 failures.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from git_repos import init_repo as make_repo

from mom_cli.events import ChangeApplied, Event, Notice
from mom_cli.providers.base import Completion, CompletionRequest
from mom_cli.routing.ladder import Feedback, Rung
from mom_cli.rules.engine import RulesEngine
from mom_cli.rules.steps import CheckpointApplier
from mom_cli.validate.diagnostics import Diagnostic
from mom_cli.validate.rerun import failing_again
from mom_cli.validate.runner import project_python
from mom_cli.validate.tests import run_pytest
from mom_cli.workflows.model_step import FixStep, ModelAttempt, ProjectState

WAIT = "class Wait:\n    def __init__(self):\n        self.seconds = 1\n\n    def get(self):\n"
WAIT += "        return self.secnds\n"
TEST_WAIT = "from pkg.wait import Wait\n\n\ndef test_get():\n    assert Wait().get() == 1\n"


def flaky_test(counter: Path, fails_on: int) -> str:
    """A test that fails on its `fails_on`-th run only (the runs are counted in a file)."""
    return (
        "from pathlib import Path\n\n\ndef test_timing():\n"
        f"    counter = Path({str(counter)!r})\n"
        "    runs = int(counter.read_text()) + 1 if counter.exists() else 1\n"
        "    counter.write_text(str(runs))\n"
        f"    assert runs != {fails_on}\n"
    )


def _check(repo: Path) -> list[Diagnostic]:
    return run_pytest(project_python(repo), repo, ["tests"], timeout=60)[1]


def _repo(tmp_path: Path, fails_on: int) -> Path:
    files = {
        "pkg/__init__.py": "",
        "pkg/wait.py": WAIT,
        "tests/test_wait.py": TEST_WAIT,
        "tests/test_timing.py": flaky_test(tmp_path / "runs", fails_on),
    }
    return make_repo(tmp_path / "r", files)


def test_a_fix_survives_a_test_that_failed_once(tmp_path: Path) -> None:
    repo = _repo(tmp_path, fails_on=2)  # run 1: before; run 2: after the edit; 3: rerun
    seen: list[Event] = []
    engine = RulesEngine(
        repo, lambda: _check(repo), CheckpointApplier(repo), sink=seen.append,
        project_files=("pkg/wait.py",),
    )  # fmt: skip
    report = engine.run()
    assert [a.outcome for a in report.attempts] == ["validated"]
    assert "self.seconds" in (repo / "pkg" / "wait.py").read_text()
    notes = [e.message for e in seen if isinstance(e, Notice)]
    assert any("test_timing" in n and "flaky" in n for n in notes)
    # reported at the test, fixed in the module: the step is named by the file it edits
    assert report.attempts[0].file == "tests/test_wait.py"
    assert report.attempts[0].edited == "pkg/wait.py"
    assert {e.task_id for e in seen if isinstance(e, ChangeApplied)} == {"rules:pkg/wait.py"}


def test_without_the_rerun_the_flaky_failure_rolls_the_edit_back(tmp_path: Path) -> None:
    """The control: with `recheck=None` the verdict is the one-run verdict of before, so
    the rerun is what keeps the fix above."""
    repo = _repo(tmp_path, fails_on=2)
    engine = RulesEngine(
        repo, lambda: _check(repo), CheckpointApplier(repo), project_files=("pkg/wait.py",),
        recheck=None,
    )  # fmt: skip
    report = engine.run()
    assert report.attempts[0].outcome == "rolled_back"
    assert "test_timing" in report.attempts[0].reason


def test_failing_again_keeps_real_failures_and_unselectable_ones(tmp_path: Path) -> None:
    repo = _repo(tmp_path, fails_on=1)
    real = [d for d in _check(repo) if d.code.endswith("test_get")]
    assert len(real) == 1 and failing_again(repo, real) == real
    bare = [Diagnostic("tests", "", 0, "exit code 2: make test failed", tool="make")]
    assert failing_again(repo, bare) == bare


class _OneReply:
    """A model caller that answers every step with one fixed edit (no provider needed:
    this test is about judging the edit, not about calling a model)."""

    def __init__(self, reply: str) -> None:
        self.reply = reply

    async def complete(
        self, request: CompletionRequest, *, model: str, run_id: str = "", task_id: str = ""
    ) -> Completion:
        return Completion(self.reply, model, model, "test", "local", "", 1, 1, 0.0, 1.0)


def test_a_model_step_survives_a_test_that_failed_once(tmp_path: Path) -> None:
    """The same on the model ladder: a flaky failure would otherwise climb (and pay)."""
    repo = _repo(tmp_path, fails_on=2)
    before = _check(repo)
    target = [d for d in before if d.code.endswith("test_get")]
    reply = "pkg/wait.py\n<<<<<<< SEARCH\n        return self.secnds\n=======\n"
    reply += "        return self.seconds\n>>>>>>> REPLACE\n"
    step = FixStep("fix-1", "pkg/wait.py", target)
    attempt = ModelAttempt(
        step, repo, _OneReply(reply), CheckpointApplier(repo), lambda: _check(repo),
        asyncio.Lock(), state=ProjectState(before),
    )  # fmt: skip
    result = asyncio.run(attempt(Rung("local", "smollm2"), Feedback(0)))
    assert result.ok, result.diagnostics
    assert "self.seconds" in (repo / "pkg" / "wait.py").read_text()
