"""Test runners that print their summary and never exit, run for real on temp repos: the
test stage stops them after `validation.idle_after_summary_seconds` and judges them by
their summary, and leaves alone every run that has not printed one or is still working."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from mom_cli.config import ValidationSection
from mom_cli.validate.diagnostics import Diagnostic
from mom_cli.validate.head_tests import head_baseline
from mom_cli.validate.pipeline import run_validation
from mom_cli.validate.rerun import failing_again
from mom_cli.validate.result import StageResult

STOPPED = "did not exit after its summary"
# a generous timeout: a run that is (wrongly) not stopped fails its asserts after it
TIMEOUT = 60.0


def _node_package(script: str) -> dict[str, str]:
    """An npm project whose `npm test` is test/a.js (a stand-in for mocha or jest)."""
    package = {"name": "t", "version": "1.0.0", "scripts": {"test": "node test/a.js"}}
    return {"package.json": json.dumps(package), "test/a.js": script}


def _tests_stage(repo: Path, **config: object) -> StageResult:
    settings = ValidationSection(timeout_seconds=TIMEOUT, idle_after_summary_seconds=1, **config)
    [stage] = run_validation(repo, None, config=settings, stages=["tests"]).stages
    return stage


def _needs_npm() -> None:
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.skip("node/npm are not installed")


# mocha's spec reporter after a run that left a server open (no --exit)
MOCHA_PASSING = "console.log('  cookieParser()\\n    ✔ works\\n\\n  4 passing (72ms)\\n');\n"
MOCHA_FAILING = (
    "console.log('  4 passing (72ms)\\n  1 failing\\n\\n  1) cookieParser()\\n"
    "       should work:\\n     Error: expected 200, got 500\\n"
    "      at Context.<anonymous> (test/a.js:3:5)\\n');\n"
)
OPEN_HANDLE = "setTimeout(() => {}, 120000);\n"


def test_mocha_like_run_that_never_exits_is_stopped_and_passes(
    make_repo: Callable[..., Path],
) -> None:
    _needs_npm()
    repo = make_repo(_node_package(MOCHA_PASSING + OPEN_HANDLE))
    tests = _tests_stage(repo)
    assert tests.passed, tests.diagnostics
    assert STOPPED in tests.note and "4 passing (72ms)" in tests.note
    [warning] = tests.diagnostics
    assert warning.severity == "warning" and STOPPED in warning.message
    assert "idle_after_summary_seconds" in tests.raw_output
    assert tests.raw_output.count("4 passing (72ms)") == 1  # the runner's, not quoted again


def test_failing_summary_of_a_run_that_never_exits_stays_failing(
    make_repo: Callable[..., Path],
) -> None:
    _needs_npm()
    repo = make_repo(_node_package(MOCHA_FAILING + OPEN_HANDLE))
    tests = _tests_stage(repo)
    assert not tests.passed
    assert STOPPED in tests.note and "1 failing" in tests.note
    assert any(d.severity == "error" for d in tests.diagnostics), tests.diagnostics
    assert not any("timed out" in d.message for d in tests.diagnostics)


def test_zero_turns_the_stop_off(make_repo: Callable[..., Path]) -> None:
    _needs_npm()
    repo = make_repo(_node_package(MOCHA_PASSING + "setTimeout(() => {}, 3000);\n"))
    settings = ValidationSection(timeout_seconds=1.5, idle_after_summary_seconds=0)
    [tests] = run_validation(repo, None, config=settings, stages=["tests"]).stages
    assert not tests.passed  # waited for the exit and hit the timeout, as before
    assert any(d.message.startswith("timed out") for d in tests.diagnostics)
    assert STOPPED not in tests.note


def _slow_script(lines: list[str], *, then: str = "") -> str:
    """A python test command printing `lines` 0.4 s apart, then running `then`."""
    body = "".join(f"print({line!r}, flush=True)\ntime.sleep(0.4)\n" for line in lines)
    return "import time\n" + body + then


def test_slow_progress_without_a_summary_is_not_stopped(
    make_repo: Callable[..., Path],
) -> None:
    """Gaps between lines shorter than the idle time never stop a run, and a run that
    went quiet without a summary runs on to its own exit."""
    script = _slow_script([f"test {i} ok" for i in range(6)], then="time.sleep(2.5)\n")
    repo = make_repo({"slow.py": script})
    tests = _tests_stage(repo, test_command="python3 slow.py")
    assert tests.passed, tests.diagnostics
    assert tests.note == "" and not tests.diagnostics


def test_summary_then_more_work_is_not_stopped(make_repo: Callable[..., Path]) -> None:
    """After a summary, a second command that keeps the CPU busy (a build, more tests)
    while printing nothing is working, not hanging."""
    script = (
        "import time\nprint('1 passed in 0.01s', flush=True)\n"
        "end = time.monotonic() + 3.0\n"
        "while time.monotonic() < end:\n    sum(range(1000))\n"
        "print('2 passed in 3.00s', flush=True)\n"
    )
    repo = make_repo({"busy.py": script})
    tests = _tests_stage(repo, test_command="python3 busy.py")
    assert tests.passed, tests.diagnostics
    assert tests.note == ""
    assert "2 passed in 3.00s" in tests.raw_output


def test_silent_run_without_a_summary_runs_to_the_timeout(
    make_repo: Callable[..., Path],
) -> None:
    repo = make_repo({"quiet.py": "import time\nprint('starting', flush=True)\ntime.sleep(30)\n"})
    settings = ValidationSection(
        timeout_seconds=2.5, idle_after_summary_seconds=0.5, test_command="python3 quiet.py"
    )
    [tests] = run_validation(repo, None, config=settings, stages=["tests"]).stages
    assert not tests.passed
    assert any(d.message.startswith("timed out") for d in tests.diagnostics)
    assert STOPPED not in tests.note


# pytest: a conftest that starts a non-daemon thread keeps the interpreter alive after
# the summary (a test server, a watcher), until the thread ends
CONFTEST_THREAD = (
    "import threading, time\n"
    "threading.Thread(target=time.sleep, args=(120,), name='left-running').start()\n"
)


@pytest.mark.parametrize(
    ("test_body", "passes"), [("assert 1 + 1 == 2", True), ("assert 1 + 1 == 3", False)]
)
def test_pytest_run_kept_alive_by_a_thread_is_stopped(
    make_repo: Callable[..., Path],
    add_venv: Callable[[Path], Path],
    test_body: str,
    passes: bool,
) -> None:
    repo = make_repo(
        {
            "conftest.py": CONFTEST_THREAD,
            "test_math.py": f"def test_add():\n    {test_body}\n",
        }
    )
    add_venv(repo)
    tests = _tests_stage(repo)
    assert tests.passed is passes, tests.diagnostics
    assert STOPPED in tests.note
    errors = [d for d in tests.diagnostics if d.severity == "error"]
    if passes:
        assert not errors
    else:
        # the JUnit report was written before the summary: the failure is named
        assert [(d.file, d.code) for d in errors] == [("test_math.py", "test_math.py::test_add")], (
            errors
        )


def test_base_rerun_of_a_failing_test_is_stopped_after_its_summary(
    make_repo: Callable[..., Path], add_venv: Callable[[Path], Path]
) -> None:
    """fix-build's check of which failures were already at the base reruns them there:
    a conftest thread kept that rerun alive until its timeout too."""
    repo = make_repo(
        {"conftest.py": CONFTEST_THREAD, "test_math.py": "def test_add():\n    assert 0\n"}
    )
    add_venv(repo)
    failure = Diagnostic(
        "tests", "test_math.py", 2, "failed", code="test_math.py::test_add", tool="pytest"
    )
    base = head_baseline(repo, [failure], timeout=TIMEOUT, idle_after_summary=1)
    assert base.failing == ["test_math.py::test_add"] and base.note == ""


def test_rerun_of_a_new_failure_is_stopped_after_its_summary(
    make_repo: Callable[..., Path], add_venv: Callable[[Path], Path]
) -> None:
    """fix-build reruns a new failure alone to tell a flaky test from a broken one; the
    rerun of a run kept alive by a thread ends at its summary too (a rerun that timed out
    would keep the failure: only a rerun judged by its summary finds it flaky)."""
    repo = make_repo(
        {"conftest.py": CONFTEST_THREAD, "test_math.py": "def test_add():\n    assert 1\n"}
    )
    add_venv(repo)
    failure = Diagnostic(
        "tests", "test_math.py", 2, "failed", code="test_math.py::test_add", tool="pytest"
    )
    assert failing_again(repo, [failure], TIMEOUT, idle_after_summary=1) == []


def test_a_summary_printed_by_a_test_never_passes_a_pytest_run(
    make_repo: Callable[..., Path], add_venv: Callable[[Path], Path]
) -> None:
    """A test (run with -s) prints a summary-like line, then waits without CPU: the run
    is stopped there, but pytest had written no report yet, so it was not pytest's own
    summary and the run fails as incomplete instead of passing on the test's word."""
    repo = make_repo(
        {
            "pytest.ini": "[pytest]\naddopts = -s\n",
            "test_noisy.py": (
                "import time\n\ndef test_prints_a_summary():\n"
                "    print('\\n3 passed in 0.01s', flush=True)\n    time.sleep(8)\n"
            ),
        }
    )
    add_venv(repo)
    tests = _tests_stage(repo)
    assert not tests.passed
    assert "not its own" in tests.note
